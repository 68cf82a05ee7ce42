package suggest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/reaflow/reaflow/internal/suggest"
)

func TestClosest(t *testing.T) {
	words := []string{"submit", "status", "signal", "charge", "input"}
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"stauts", "status", true},   // a swap counts once
		{"chrage", "charge", true},   // a swap counts once
		{"inptu", "input", true},     // a swap at the end
		{"submt", "submit", true},    // a deletion
		{"sgnal", "signal", true},    // a deletion
		{"deploy", "", false},        // nothing close
		{"s", "", false},             // too short to guess
		{"statuses", "status", true}, // two insertions in eight
	}
	for _, tt := range tests {
		got, ok := suggest.Closest(tt.name, words)
		assert.Equal(t, tt.want, got, tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
	}
}

func TestDistance(t *testing.T) {
	assert.Equal(t, 0, suggest.Distance("same", "same"))
	assert.Equal(t, 1, suggest.Distance("ab", "ba"))
	assert.Equal(t, 3, suggest.Distance("", "abc"))
	assert.Equal(t, 1, suggest.Distance("café", "cafe"), "runes, not bytes")
}
