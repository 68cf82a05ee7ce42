package chaos

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Config sizes and shapes one soak.
type Config struct {
	// Reaflow is the reaflow binary whose `serve` command runs the
	// endpoints.
	Reaflow string
	// Workflows is the directory holding the example definitions (Files).
	Workflows string
	// Runs is the least number of workflow runs to submit.
	Runs int
	// Duration, if set, keeps submitting new jobs until it has passed, even
	// after Runs is reached: a soak by time rather than by count.
	Duration time.Duration
	// Concurrency is how many jobs are in flight at once.
	Concurrency int
	// Seed determines the jobs, their inputs, the fault rules' draws and
	// the moments of the kills.
	Seed uint64
	// Endpoints is 2 for two endpoint processes behind one deployment, or 1
	// for a single endpoint registered directly and restarted repeatedly.
	Endpoints int
	// EndpointKills is how many times an endpoint (one at random) is
	// SIGKILLed, at random points of the submission; MaxDown is the
	// longest a killed endpoint stays down before it is started again.
	EndpointKills int
	MaxDown       time.Duration
	// ServerRestarts is how many times restate-server is SIGKILLed and
	// started again on the same data while jobs are submitted.
	ServerRestarts int
	// FaultRate is the probability of each injected provider failure (429,
	// 5xx before or after the effect) on a key's first calls; latency is
	// injected at twice that rate.
	FaultRate float64
	// Schedules is how many schedules fire a quick deployed definition
	// every second while the jobs run.
	Schedules int
	// Strict fails the soak on problems of known issues (KnownIssues) too.
	Strict bool
	// ServerEnv adds RESTATE_* settings to restate-server's environment,
	// e.g. RESTATE_WORKER__INVOKER__INACTIVITY_TIMEOUT=0s to suspend every
	// invocation whenever it waits, so that the soak also replays every
	// step.
	ServerEnv []string
	// DrainTimeout bounds the wait for the runs in flight once submission
	// and chaos have ended: a run not finished by then is stuck.
	DrainTimeout time.Duration
	// WorkDir receives restate-server's data and log and the endpoints'
	// logs; empty means a new temporary directory, removed after a soak
	// that passed unless Keep is set.
	WorkDir string
	Keep    bool
	// Progress, if set, receives a line per phase and a status line every
	// few seconds.
	Progress io.Writer
}

// Short is the size CI runs: about 100 runs, 20 endpoint kills, two
// server restarts and two schedules; seconds on an idle machine, a minute
// or two on a busy one.
func Short() Config {
	return Config{
		Runs: 100, Concurrency: 12, Seed: 1, Endpoints: 2,
		EndpointKills: 20, MaxDown: 500 * time.Millisecond, ServerRestarts: 2,
		FaultRate: 0.15, DrainTimeout: 3 * time.Minute, Schedules: 2,
	}
}

// Long is what `make chaos` runs by default: 2000 runs, 150 endpoint
// kills, four server restarts, three schedules; a few minutes.
func Long() Config {
	c := Short()
	c.Runs, c.Concurrency, c.ServerRestarts = 2000, 24, 4
	c.EndpointKills, c.Schedules = 150, 3
	return c
}

func (c *Config) check() error {
	var errs []error
	if c.Reaflow == "" {
		errs = append(errs, errors.New("no reaflow binary"))
	}
	if c.Workflows == "" {
		errs = append(errs, errors.New("no workflows directory"))
	}
	if c.Runs < 1 {
		errs = append(errs, fmt.Errorf("runs %d: at least 1", c.Runs))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d: at least 1", c.Concurrency))
	}
	if c.Endpoints != 1 && c.Endpoints != 2 {
		errs = append(errs, fmt.Errorf("endpoints %d: 1 or 2", c.Endpoints))
	}
	if c.EndpointKills < 0 || c.MaxDown < 0 || c.Duration < 0 {
		errs = append(errs, errors.New("durations must not be negative"))
	}
	if c.Schedules < 0 {
		errs = append(errs, fmt.Errorf("schedules %d: not negative", c.Schedules))
	}
	if c.ServerRestarts < 0 {
		errs = append(errs, fmt.Errorf("server restarts %d: not negative", c.ServerRestarts))
	}
	if c.FaultRate < 0 || c.FaultRate > 0.5 {
		errs = append(errs, fmt.Errorf("fault rate %v: between 0 and 0.5", c.FaultRate))
	}
	if c.DrainTimeout <= 0 {
		errs = append(errs, errors.New("drain timeout must be positive"))
	}
	return errors.Join(errs...)
}
