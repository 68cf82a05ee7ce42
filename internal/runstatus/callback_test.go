package runstatus

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The ids are a pair restate-server 1.7 gave: an invocation, and the first
// callback it created.
func TestAwakeableID(t *testing.T) {
	assert.Equal(t, "sign_15Arsm8cnmlE6gJeYs6RxWa-nkMGR_D_rAAAAEQ", awakeableID("inv_170mIzl4euz279UrcKaTXUkvXfvhzmf8Aq", 17))
	assert.Equal(t, "sign_1Ec2_t1Lv0JAgN4odOt_NYt3yn814eqArAAAAEg", awakeableID("inv_1cqQSQuPZBJf1kk0ycmZFcfREu9C1iRQB2", 18))
	for _, bad := range []string{"", "inv_1short", "prom_170mIzl4euz279UrcKaTXUkvXfvhzmf8Aq", "inv_1!!mIzl4euz279UrcKaTXUkvXfvhzmf8Aq"} {
		assert.Empty(t, awakeableID(bad, 17), bad)
	}
	assert.Equal(t, "inv_170mIzl4euz279UrcKaTXUkvXfvhzmf8Aq", CallbackInvocation("sign_15Arsm8cnmlE6gJeYs6RxWa-nkMGR_D_rAAAAEQ"))
	assert.Empty(t, CallbackInvocation("approval-1"))
}
