package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/activities"
)

type greetIn struct {
	Name string `json:"name"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

func greet(_ *activities.Context, in greetIn) (greetOut, error) {
	if in.Name == "" {
		return greetOut{}, activities.TerminalErrorf("missing_name", "name is required")
	}
	return greetOut{Greeting: "hello " + in.Name}, nil
}

func TestRegistryCall(t *testing.T) {
	reg := activities.NewRegistry()
	activities.Register(reg, "greet", greet)
	ctx := activities.NewContext(context.Background(), activities.Context{StepID: "s"}, nil)

	cases := []struct {
		name     string
		activity string
		input    string
		want     string
		code     string
		terminal bool
	}{
		{name: "typed input and output", activity: "greet", input: `{"name":"ada"}`, want: `{"greeting":"hello ada"}`},
		{name: "terminal error keeps its code", activity: "greet", input: `{}`, code: "missing_name", terminal: true},
		{name: "null input is the zero value", activity: "greet", input: `null`, code: "missing_name", terminal: true},
		{name: "unknown field is rejected", activity: "greet", input: `{"nme":"ada"}`, code: "invalid_input", terminal: true},
		{name: "wrong type is rejected", activity: "greet", input: `{"name":1}`, code: "invalid_input", terminal: true},
		{name: "unknown activity", activity: "gret", input: `{}`, code: "unknown_activity", terminal: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := reg.Call(ctx, c.activity, json.RawMessage(c.input))
			if c.code != "" {
				require.Error(t, err)
				assert.Equal(t, c.code, activities.ErrorCode(err))
				assert.Equal(t, c.terminal, activities.IsTerminal(err))
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, c.want, string(out))
		})
	}
}

// Bind decodes, and fails for a bad input or name, before anything is
// called; the call it returns runs the activity with the decoded input.
func TestRegistryBind(t *testing.T) {
	reg := activities.NewRegistry()
	calls := 0
	activities.Register(reg, "greet", func(ctx *activities.Context, in greetIn) (greetOut, error) {
		calls++
		return greet(ctx, in)
	})
	ctx := activities.NewContext(context.Background(), activities.Context{StepID: "s"}, nil)

	_, err := reg.Bind("greet", json.RawMessage(`{"nme":"ada"}`))
	assert.Equal(t, "invalid_input", activities.ErrorCode(err))
	assert.True(t, activities.IsTerminal(err))
	_, err = reg.Bind("gret", json.RawMessage(`{}`))
	assert.Equal(t, "unknown_activity", activities.ErrorCode(err))
	assert.Zero(t, calls)

	call, err := reg.Bind("greet", json.RawMessage(`{"name":"ada"}`))
	require.NoError(t, err)
	assert.Zero(t, calls, "binding calls nothing")
	out, err := call(ctx)
	require.NoError(t, err)
	assert.JSONEq(t, `{"greeting":"hello ada"}`, string(out))
	assert.Equal(t, 1, calls)
}

// A Bound called again hands the activity a new decoding of its input,
// not the value an earlier call may have changed.
func TestBoundCalledTwiceDecodesAgain(t *testing.T) {
	reg := activities.NewRegistry()
	var seen []string
	activities.Register(reg, "append", func(_ *activities.Context, in *struct{ Items []string }) ([]string, error) {
		in.Items = append(in.Items, "added")
		seen = append(seen, strings.Join(in.Items, ","))
		return in.Items, nil
	})
	call, err := reg.Bind("append", json.RawMessage(`{"items":["a"]}`))
	require.NoError(t, err)
	ctx := activities.NewContext(context.Background(), activities.Context{}, nil)
	for range 2 {
		_, err := call(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"a,added", "a,added"}, seen)
}

func TestRegisterTwicePanics(t *testing.T) {
	reg := activities.NewRegistry()
	activities.Register(reg, "greet", greet)
	assert.PanicsWithValue(t, `activities: activity "greet" registered twice`, func() {
		activities.Register(reg, "greet", greet)
	})
}

func TestTerminal(t *testing.T) {
	plain := errors.New("boom")
	assert.False(t, activities.IsTerminal(plain))
	assert.True(t, activities.IsTerminal(activities.Terminal(plain)))
	assert.ErrorIs(t, activities.Terminal(plain), plain)
	assert.Nil(t, activities.Terminal(nil))

	retryable := &activities.Error{Code: "rate_limited", Message: "slow down"}
	assert.False(t, activities.IsTerminal(retryable))
	marked := activities.Terminal(retryable)
	assert.True(t, activities.IsTerminal(marked))
	assert.Equal(t, "rate_limited", activities.ErrorCode(marked))
}
