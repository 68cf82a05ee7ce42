package client

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/reaflow/reaflow/internal/runstatus"
)

func TestValidateID(t *testing.T) {
	require.NoError(t, ValidateID("order-o-1:retry_2.~x"))
	err := ValidateID(strings.Repeat("x", 201))
	require.ErrorIs(t, err, ErrInvalidID)
	assert.EqualError(t, err, "the id is 201 characters long; use at most 200")
	assert.ErrorIs(t, ValidateID("a b"), ErrInvalidID)
}

func TestPageTokenRoundTrips(t *testing.T) {
	c := runstatus.Cursor{CreatedAt: "2025-01-02T03:04:05.678Z", WorkflowID: "run-1"}
	got, err := decodePageToken(pageToken(c))
	require.NoError(t, err)
	assert.Equal(t, c, *got)
	_, err = decodePageToken("not a token")
	require.Error(t, err)
}

func TestNewRefusesWhatIsNotAURL(t *testing.T) {
	_, err := New("127.0.0.1:8080", "http://127.0.0.1:9070")
	require.ErrorContains(t, err, "is not a URL")
	_, err = New("http://127.0.0.1:8080", "")
	require.ErrorContains(t, err, "no address")
}

func TestErrorsSayWhatTheyAre(t *testing.T) {
	inv := Invocation{ID: "inv_1", Service: "CallbackWaiter", Handler: "Wait"}
	finished := error(&FinishedError{Invocation: inv, State: Done})
	assert.True(t, errors.Is(finished, ErrFinished))
	assert.EqualError(t, finished, "invocation inv_1 (CallbackWaiter/Wait) has already finished (done)")
	assert.EqualError(t, &FinishedError{Invocation: Invocation{Service: "Reaflow", Key: "r", Handler: "Run"}}, "run r has already finished")
	assert.True(t, errors.Is(&RefusedError{Code: 409}, ErrRefused))
	assert.EqualError(t, &RefusedError{Code: 409, Message: "already delivered"}, "[409] already delivered")
	assert.True(t, errors.Is(&NotFoundError{What: "definition", Name: "x"}, ErrNotFound))
	assert.EqualError(t, &NotFoundError{What: "definition", Name: "x"}, `no such definition "x"`)
}
