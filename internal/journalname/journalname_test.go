package journalname_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reaflow/reaflow/internal/journalname"
)

// Every name the interpreter writes parses back to what it was made from.
func TestNamesParseBack(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) journalname.Entry
		want  journalname.Entry
	}{
		{journalname.ActivityRun("charge"), journalname.ParseRun, journalname.Entry{Kind: journalname.Activity, Step: "charge"}},
		{journalname.ClockRun, journalname.ParseRun, journalname.Entry{Kind: journalname.Clock}},
		{journalname.CompensationRun("charge"), journalname.ParseRun, journalname.Entry{Kind: journalname.Compensation, Step: "charge"}},
		{journalname.CompensationRun(journalname.Item("ship", 2, 0)), journalname.ParseRun, journalname.Entry{Kind: journalname.Compensation, Step: "ship", Indexes: []int{2, 0}}},
		{journalname.SleepTimer("nap"), journalname.ParseTimer, journalname.Entry{Kind: journalname.Sleep, Step: "nap"}},
		{journalname.TimeoutTimer("nap"), journalname.ParseTimer, journalname.Entry{Kind: journalname.Timeout, Step: "nap"}},
		{journalname.TimeoutTimer(""), journalname.ParseTimer, journalname.Entry{Kind: journalname.Timeout}},
		{journalname.CancelGraceTimer("charge"), journalname.ParseTimer, journalname.Entry{Kind: journalname.CancelGrace, Step: "charge"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.parse(tt.name), tt.name)
	}
	signal, ok := journalname.ParseSignalPromise(journalname.SignalPromise("approve"))
	assert.True(t, ok)
	assert.Equal(t, "approve", signal)
	for _, indexes := range [][]int{nil, {3}, {3, 0}} {
		step, ok := journalname.ParseChildRunID("order.1", journalname.ChildRunID("order.1", "sub", indexes...))
		assert.True(t, ok)
		assert.Equal(t, "sub", step)
	}
}

// Names reaflow does not write are not mistaken for its own.
func TestForeignNamesAreUnknown(t *testing.T) {
	for _, name := range []string{"", "compensate ", "compensate [1]", "compensate ship[", "compensate ship[x]", "compensate ship[1"} {
		assert.Equal(t, journalname.Unknown, journalname.ParseRun(name).Kind, "%q", name)
	}
	assert.Equal(t, journalname.Unknown, journalname.ParseTimer("").Kind)
	for _, key := range []string{"", "signal.", "approve", "state.x"} {
		_, ok := journalname.ParseSignalPromise(key)
		assert.False(t, ok, "%q", key)
	}
	for _, key := range []string{"order", "order.", "other.sub", "order.sub.x", "order.sub.1."} {
		_, ok := journalname.ParseChildRunID("order", key)
		assert.False(t, ok, "%q", key)
	}
}
