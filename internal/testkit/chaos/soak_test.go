package chaos

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestShortSoak is the CI size of `make chaos`: about 100 runs of the
// examples with endpoint kills, two restate-server restarts and injected
// provider faults. Set REAFLOW_CHAOS_SEED to replay another seed's jobs.
func TestShortSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak starts restate-server and endpoint processes")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	bin, err := BuildReaflow(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Short()
	cfg.Reaflow, cfg.Workflows = bin, "../../../workflows"
	if s := os.Getenv("REAFLOW_CHAOS_SEED"); s != "" {
		var seed uint64
		if _, err := fmt.Sscan(s, &seed); err != nil {
			t.Fatalf("REAFLOW_CHAOS_SEED=%q: %v", s, err)
		}
		cfg.Seed = seed
	}
	var progress bytes.Buffer
	cfg.Progress = &progress
	rep, err := Run(ctx, cfg)
	if rep != nil {
		var out bytes.Buffer
		rep.Print(&out)
		t.Logf("report:\n%s", out.String())
	}
	if err != nil {
		t.Fatalf("%v\nprogress:\n%s", err, progress.String())
	}
	if !rep.Passed() {
		t.Fatalf("the soak failed (seed %d); progress:\n%s", cfg.Seed, progress.String())
	}
	if rep.TotalRuns() < cfg.Runs {
		t.Errorf("%d runs, want at least %d", rep.TotalRuns(), cfg.Runs)
	}
}
