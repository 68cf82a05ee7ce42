package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/reaflow/reaflow/client"
)

type resolveCommand struct{ m *Main }

func (*resolveCommand) Name() string    { return "resolve" }
func (*resolveCommand) Summary() string { return "complete a callback with a JSON value" }

func (c *resolveCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("resolve", "resolve CALLBACK_ID [JSON|@FILE|@-]", `
reaflow resolve sign_1NMyOAvDK2CcBjUH4Rmb7eGBp0DNNDnmsAAAAAQ '{"status": "paid"}'
curl -s https://provider.example/webhook-body | reaflow resolve sign_1NMyOAvDK2CcBjUH4Rmb7eGBp0DNNDnmsAAAAAQ @-`)
	target := c.m.addRestateFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return usagef("name the callback id, then optionally the JSON value to complete it with")
	}
	id := fs.Arg(0)
	value, err := readJSON(c.m.Stdin, "the value", fs.Arg(1))
	if err != nil {
		return err
	}
	return c.m.completeCallback(ctx, target, id, "resolve", func(cl *client.Client) (*client.Callback, error) {
		return cl.Resolve(ctx, id, value)
	})
}

type rejectCommand struct{ m *Main }

func (*rejectCommand) Name() string    { return "reject" }
func (*rejectCommand) Summary() string { return "fail a callback with a message" }

func (c *rejectCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("reject", "reject CALLBACK_ID MESSAGE", `
reaflow reject sign_1NMyOAvDK2CcBjUH4Rmb7eGBp0DNNDnmsAAAAAQ 'payment expired'`)
	target := c.m.addRestateFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("name the callback id and the message to fail it with")
	}
	id, message := fs.Arg(0), fs.Arg(1)
	if strings.TrimSpace(message) == "" {
		return usagef("the message is empty; say why the callback fails")
	}
	return c.m.completeCallback(ctx, target, id, "reject", func(cl *client.Client) (*client.Callback, error) {
		return cl.Reject(ctx, id, message)
	})
}

// completeCallback resolves or rejects (verb) the callback id, and says
// which run (or invocation) it was for.
func (m *Main) completeCallback(ctx context.Context, target *restateFlags, id, verb string, complete func(*client.Client) (*client.Callback, error)) error {
	if id == "" {
		return usagef("the callback id is empty")
	}
	done := strings.TrimSuffix(verb, "e") + "ed" // resolved, rejected
	failed := func(format string, args ...any) error {
		return fmt.Errorf("callback %s not %s: %s", id, done, fmt.Sprintf(format, args...))
	}
	c, err := target.client()
	if err != nil {
		return err
	}
	cb, err := complete(c)
	var (
		finished *client.FinishedError
		refused  *client.RefusedError
	)
	switch {
	case err == nil:
	case errors.Is(err, client.ErrNotFound):
		return failed("Restate knows no run that waits for it (a mistyped id, or a run that ended and was forgotten)")
	case errors.As(err, &finished):
		return failed("%s", finished)
	case errors.As(err, &refused) && refused.Code == http.StatusBadRequest:
		return failed("%s (a callback id looks like sign_1… or prom_1…, as the run reported it)", refused.Message)
	case errors.As(err, &refused):
		return failed("%s", refused.Message)
	default:
		return err
	}
	if cb.Unchecked != nil {
		fmt.Fprintf(m.Stderr, "reaflow: could not check that anything waits for callback %s: %v\n", id, cb.Unchecked)
	}
	of := ""
	if cb.Owner != nil {
		of = " of " + cb.Owner.String()
	}
	fmt.Fprintf(m.Stdout, "%s callback %s%s\n", done, id, of)
	return nil
}
