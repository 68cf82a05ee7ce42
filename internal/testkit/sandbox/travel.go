package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
)

// Booking kinds the travel provider sells.
var bookingKinds = []string{"flight", "hotel", "car"}

type booking struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Item     string `json:"item"`
	Customer string `json:"customer"`
	// Amount is in cents; 0 when the request gave none.
	Amount int64  `json:"amount,omitempty"`
	Status string `json:"status"`
}

// soldOut reports whether the travel provider has no more of item: any
// item containing "sold-out", in any case, stands for one, so tests can
// make a booking fail with ordinary input.
func soldOut(item string) bool {
	return strings.Contains(strings.ToLower(item), "sold-out")
}

func (s *Sandbox) createBooking(c call) (outcome, *refusal) {
	var req struct {
		Kind     string   `json:"kind"`
		Customer string   `json:"customer"`
		Item     string   `json:"item"`
		Amount   *float64 `json:"amount"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	switch {
	case req.Kind == "":
		return outcome{}, refuse("parameter_missing", "kind is required: one of %s", strings.Join(bookingKinds, ", "))
	case !slices.Contains(bookingKinds, req.Kind):
		return outcome{}, refuse("parameter_invalid", "kind %q is not one of %s", req.Kind, strings.Join(bookingKinds, ", "))
	case strings.TrimSpace(req.Customer) == "":
		return outcome{}, refuse("parameter_missing", "customer is required")
	case strings.TrimSpace(req.Item) == "":
		return outcome{}, refuse("parameter_missing", "item is required")
	}
	var amount int64
	if req.Amount != nil {
		// Amounts are whole cents, as with Stripe.
		a := *req.Amount
		if a < 0 || a != math.Trunc(a) || a > 1<<53 {
			return outcome{}, refuse("parameter_invalid", "amount must be a whole, non-negative number of cents")
		}
		amount = int64(a)
	}
	summary := fmt.Sprintf("%s %q for %s", req.Kind, req.Item, req.Customer)
	if c.decline || soldOut(req.Item) {
		return outcome{
			status:  http.StatusUnprocessableEntity,
			body:    errorBody("booking_error", "sold_out", "%s %q is sold out", req.Kind, req.Item),
			summary: "sold out: " + summary,
		}, nil
	}
	bk := &booking{ID: s.nextID("bk_"), Kind: req.Kind, Item: req.Item, Customer: req.Customer, Amount: amount, Status: "confirmed"}
	s.bookings[bk.ID] = bk
	return outcome{status: http.StatusOK, body: bk, objectID: bk.ID, summary: "booked " + summary + " as " + bk.ID}, nil
}

func (s *Sandbox) cancelBooking(c call) (outcome, *refusal) {
	id := c.r.PathValue("id")
	bk, ok := s.bookings[id]
	if !ok {
		return notFound("booking", id), nil
	}
	summary := "cancelled " + bk.ID
	if bk.Status == "cancelled" {
		// Like cancelling a shipment, cancelling twice is harmless; the
		// ledger still shows the second request as an effect of its own.
		summary += " (already cancelled)"
	}
	bk.Status = "cancelled"
	return outcome{
		status:   http.StatusOK,
		body:     map[string]string{"id": bk.ID, "status": bk.Status},
		objectID: bk.ID,
		summary:  summary,
	}, nil
}
