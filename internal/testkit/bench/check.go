package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
)

// Check runs each variant once with k steps, under ids starting with
// prefix, and fails unless every one returns the baseline's output (as
// JSON values: spacing and key order aside): comparing speeds only means
// something if the work is the same. The client must be prepared for k.
func (c *Client) Check(ctx context.Context, k int, prefix string) error {
	var want any
	for _, v := range Variants {
		raw, err := c.Run(ctx, v, k, fmt.Sprintf("%s-%s-k%d", prefix, v, k))
		if err != nil {
			return fmt.Errorf("check %s with %d steps: %w", v, k, err)
		}
		var got any
		if err := json.Unmarshal(raw, &got); err != nil {
			return fmt.Errorf("check %s with %d steps: output: %w", v, k, err)
		}
		if v == Baseline {
			want = got
		} else if !reflect.DeepEqual(got, want) {
			return fmt.Errorf("check %s with %d steps: output %v, the baseline's %v", v, k, got, want)
		}
	}
	return nil
}
