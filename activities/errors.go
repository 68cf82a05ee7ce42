package activities

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failure reported by an activity with a machine-readable code
// (for example "card_declined"). A terminal Error is never retried: the step
// fails at once and the failure flows to the workflow's error handling. A
// non-terminal Error is retried by the step's retry policy like any other
// error.
type Error struct {
	// Code names the kind of failure, for matching in catch blocks.
	Code string
	// Message is for people.
	Message string
	// Terminal means retrying cannot help.
	Terminal bool
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Code == "" {
		return msg
	}
	return e.Code + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

// Terminal marks err as not retryable. It keeps the code of an *Error that
// err already wraps.
func Terminal(err error) error {
	if err == nil {
		return nil
	}
	var ae *Error
	if errors.As(err, &ae) {
		// The code is already ae's; keep it out of the message so that
		// Error() does not print it twice.
		msg := ae.Message
		if err != ae {
			msg = strings.TrimPrefix(err.Error(), ae.Code+": ")
		}
		return &Error{Code: ae.Code, Message: msg, Terminal: true, Err: err}
	}
	return &Error{Message: err.Error(), Terminal: true, Err: err}
}

// TerminalErrorf returns a terminal error with the given code.
func TerminalErrorf(code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Terminal: true}
}

// IsTerminal reports whether err, or an error it wraps, is a terminal
// activity error.
func IsTerminal(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Terminal
}

// ErrorCode returns the code of the first *Error in err's chain, or "".
func ErrorCode(err error) string {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}
