package scenario

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/rea"
)

// TestClassify checks how calls are named and told apart from
// compensations, with keys derived as the interpreter derives them.
func TestClassify(t *testing.T) {
	f, err := Load("testdata/case.test.json", []byte(`{"definition": "shop.json", "scenarios": [{"name": "a", "input": {"orderId": "o"}}]}`))
	require.NoError(t, err)
	d := f.def
	const run = "r"
	tests := []struct {
		name               string
		workflowID, stepID string
		stepPath, key      string
		want               string
		wantCompensation   bool
	}{
		{"a step's own call", run, "charge", "/steps/0", rea.IdempotencyKey(run, rea.Step("charge")), "charge", false},
		{"its compensation", run, "charge", "/steps/0", rea.IdempotencyKey(run, rea.Step("charge"), rea.Role("compensate")), "charge", true},
		{"a dedup step's call", run, "ship", "/steps/1", rea.IdempotencyKey("ship/ship:o", rea.Role("dedup")), "ship", false},
		{"a foreach item", run, "pack", "/steps/3[1]/foreach/steps/0",
			rea.IdempotencyKey(run, rea.Step("lines"), rea.Index(1), rea.Step("pack")), "pack[1]", false},
		{"a foreach item's compensation with the same activity", run, "pack", "/steps/3[1]/foreach/steps/0",
			rea.IdempotencyKey(run, rea.Step("lines"), rea.Index(1), rea.Step("pack"), rea.Role("compensate")), "pack[1]", true},
		{"a step of a child run", run + ".notify", "send", "/steps/0[0]/foreach/steps/0",
			rea.IdempotencyKey(run+".notify", rea.Step("items"), rea.Index(0), rea.Step("send")), "notify/send[0]", false},
		{"a child run per foreach item", run + ".notify.2", "send", "/steps/0",
			rea.IdempotencyKey(run+".notify.2", rea.Step("send")), "notify[2]/send", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := d.classify(run, run, tt.workflowID, tt.stepID, tt.stepPath, tt.key)
			assert.Equal(t, tt.want, c.name)
			assert.Equal(t, tt.wantCompensation, c.compensation)
			assert.Equal(t, tt.stepID, c.stepID)
		})
	}
	assert.Equal(t, []string{"charge", "email", "pack", "refund", "ship", "sign"}, d.activityNames(), "compensations and child runs need mocks too")
}
