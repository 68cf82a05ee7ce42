package rea_test

import (
	"testing"
	"time"

	restate "github.com/restatedev/sdk-go"
	"github.com/stretchr/testify/assert"

	"github.com/reaflow/reaflow/rea"
)

func TestRunConfigOptions(t *testing.T) {
	cases := []struct {
		name string
		cfg  rea.RunConfig
		want []restate.RunOption
	}{
		{
			name: "zero value runs once",
			cfg:  rea.RunConfig{},
			want: []restate.RunOption{restate.WithMaxRetryAttempts(1)},
		},
		{
			name: "every field",
			cfg:  rea.RunConfig{Name: "charge", MaxRetries: 3, InitialDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, BackoffFactor: 1.5},
			want: []restate.RunOption{
				restate.WithName("charge"),
				restate.WithMaxRetryAttempts(4),
				restate.WithInitialRetryInterval(100 * time.Millisecond),
				restate.WithMaxRetryInterval(2 * time.Second),
				restate.WithRetryIntervalFactor(1.5),
			},
		},
		{
			name: "unlimited leaves the attempt count to Restate",
			cfg:  rea.RunConfig{Name: "ship", MaxRetries: rea.Unlimited, InitialDelay: time.Second},
			want: []restate.RunOption{restate.WithName("ship"), restate.WithInitialRetryInterval(time.Second)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.cfg.Options())
		})
	}
}
