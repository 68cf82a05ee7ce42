package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/reaflow/reaflow/interpreter"
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
	if value == nil {
		value = []byte("null")
	}
	return c.m.completeCallback(ctx, target, id, "resolve", "application/json", value)
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
	return c.m.completeCallback(ctx, target, id, "reject", "text/plain; charset=utf-8", []byte(message))
}

// completeCallback resolves or rejects (verb) the callback id through the
// ingress. Restate accepts a completion for any well-formed id without
// saying whether anything waits for it, so the invocation that created the
// callback, named in the id, is looked up first: an unknown or finished one
// is an error, and nothing is sent.
func (m *Main) completeCallback(ctx context.Context, target *restateFlags, id, verb, contentType string, body []byte) error {
	if id == "" {
		return usagef("the callback id is empty")
	}
	done := strings.TrimSuffix(verb, "e") + "ed" // resolved, rejected
	failed := func(format string, args ...any) error {
		return fmt.Errorf("callback %s not %s: %s", id, done, fmt.Sprintf(format, args...))
	}
	var owner *invocation
	if invID := callbackInvocation(id); invID != "" {
		inv, err := findInvocationByID(ctx, target, invID)
		switch {
		case errors.Is(err, errNoInvocation):
			return failed("Restate knows no run that waits for it (a mistyped id, or a run that ended and was forgotten)")
		case err == nil && inv.completed():
			return failed("%s has already finished (%s)", describe(inv), inv.outcome())
		case err == nil:
			owner = inv
		default:
			// The ingress alone decides; it accepts any well-formed id.
			fmt.Fprintf(m.Stderr, "reaflow: could not check that anything waits for callback %s: %v\n", id, err)
		}
	}

	err := target.postIngress(ctx, "/restate/awakeables/"+url.PathEscape(id)+"/"+verb, contentType, body)
	var answer *ingressAnswer
	switch {
	case err == nil:
	case errors.As(err, &answer) && answer.status == http.StatusBadRequest:
		return failed("%s (a callback id looks like sign_1… or prom_1…, as the run reported it)", answer.message)
	case errors.As(err, &answer):
		return failed("%s", answer.message)
	default:
		return err
	}
	of := ""
	if owner != nil {
		of = " of " + describe(owner)
	}
	fmt.Fprintf(m.Stdout, "%s callback %s%s\n", done, id, of)
	return nil
}

// describe names an invocation for a person: "run ID" for a reaflow run.
func describe(inv *invocation) string {
	if inv.Service == interpreter.WorkflowService && inv.Handler == "Run" {
		return "run " + inv.Key
	}
	target := inv.Service
	if inv.Key != "" {
		target += "/" + inv.Key
	}
	return fmt.Sprintf("invocation %s (%s/%s)", inv.ID, target, inv.Handler)
}

// callbackInvocation returns the id of the invocation that created a
// callback, as the admin API names it, or "" when id is not in a format it
// knows. A callback (awakeable) id is "sign_1" or "prom_1" followed by the
// URL-safe base64 of the invocation's partition key (8 bytes), its UUID (16
// bytes) and an index (4 bytes), all big-endian. An invocation id is "inv_1"
// followed by the partition key in 11 and the UUID in 22 base62 digits
// (0-9a-zA-Z, zero-padded), each number taken with its bytes reversed.
func callbackInvocation(id string) string {
	var encoded string
	for _, prefix := range []string{"sign_1", "prom_1"} {
		if rest, ok := strings.CutPrefix(id, prefix); ok {
			encoded = strings.TrimRight(rest, "=")
		}
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(raw) != 8+16+4 {
		return ""
	}
	partitionKey := new(big.Int).SetUint64(binary.LittleEndian.Uint64(raw[:8]))
	reversed := slices.Clone(raw[8:24])
	slices.Reverse(reversed)
	uuid := new(big.Int).SetBytes(reversed)
	return "inv_1" + base62(partitionKey, 11) + base62(uuid, 22)
}

func base62(n *big.Int, width int) string {
	s := n.Text(62) // digits 0-9a-zA-Z
	return strings.Repeat("0", max(0, width-len(s))) + s
}
