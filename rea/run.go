package rea

import (
	"time"

	restate "github.com/restatedev/sdk-go"
)

// Unlimited as RunConfig.MaxRetries retries until the call succeeds or
// returns a terminal error.
const Unlimited = -1

// RunConfig describes how Restate retries one Run. It maps one to one onto
// Restate's Run retry options; the zero value runs once and does not retry.
type RunConfig struct {
	// MaxRetries is the number of retries after the first attempt;
	// Unlimited retries forever.
	MaxRetries int
	// InitialDelay is the pause before the first retry. Zero keeps
	// Restate's default (50ms).
	InitialDelay time.Duration
	// MaxDelay caps the pause between retries. Zero keeps Restate's
	// default (2s).
	MaxDelay time.Duration
	// BackoffFactor multiplies the pause after each retry. Zero keeps
	// Restate's default (2).
	BackoffFactor float64
	// Name labels the journal entry; reaflow uses the step id.
	Name string
}

// Options returns the Restate Run options for c.
func (c RunConfig) Options() []restate.RunOption {
	// Room for every option and one more, such as a codec, that callers
	// append.
	opts := make([]restate.RunOption, 0, 6)
	if c.Name != "" {
		opts = append(opts, restate.WithName(c.Name))
	}
	if c.MaxRetries >= 0 {
		opts = append(opts, restate.WithMaxRetryAttempts(uint(c.MaxRetries)+1))
	}
	if c.InitialDelay > 0 {
		opts = append(opts, restate.WithInitialRetryInterval(c.InitialDelay))
	}
	if c.MaxDelay > 0 {
		opts = append(opts, restate.WithMaxRetryInterval(c.MaxDelay))
	}
	if c.BackoffFactor > 0 {
		opts = append(opts, restate.WithRetryIntervalFactor(float32(c.BackoffFactor)))
	}
	return opts
}

// RunWithRetry runs fn as one journaled Restate Run retried by c. A
// restate.TerminalError returned by fn is recorded and never retried; when
// the retries are used up, Restate records the last error as terminal.
// After a replay the recorded result is returned without calling fn. opts
// are further Run options, such as restate.WithCodec(RawJSON).
func RunWithRetry[T any](ctx restate.Context, c RunConfig, fn func(ctx restate.RunContext) (T, error), opts ...restate.RunOption) (T, error) {
	out, err := restate.Run(ctx, fn, append(c.Options(), opts...)...)
	return out, err
}
