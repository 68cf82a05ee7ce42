package builtin

import (
	"net/url"

	"github.com/reaflow/reaflow/activities"
)

// BookInput is the input of the book activity.
type BookInput struct {
	// Kind is "flight", "hotel" or "car".
	Kind     string `json:"kind"`
	Customer string `json:"customer"`
	// Item is what is booked: a flight number, a hotel, a car class.
	Item string `json:"item"`
	// Amount is the price in cents, if known.
	Amount int64 `json:"amount,omitempty"`
}

// BookOutput is the output of the book activity.
type BookOutput struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`
	Item     string `json:"item"`
	Customer string `json:"customer,omitempty"`
	Amount   int64  `json:"amount,omitempty"`
	// Status is "confirmed".
	Status string `json:"status"`
}

// CancelBookingInput is the input of the cancelBooking activity.
type CancelBookingInput struct {
	// ID is the id book returned.
	ID string `json:"id"`
}

// CancelBookingOutput is the output of the cancelBooking activity.
type CancelBookingOutput struct {
	ID string `json:"id"`
	// Status is "cancelled".
	Status string `json:"status"`
}

type travel struct{ provider }

// book books an item. A sold-out item is the terminal error "sold_out".
func (p travel) book(ctx *activities.Context, in BookInput) (BookOutput, error) {
	return post[BookOutput](ctx, p.provider, "/bookings", in)
}

// cancel cancels a booking. Cancelling a cancelled booking succeeds again;
// an unknown booking is the terminal error "resource_missing".
func (p travel) cancel(ctx *activities.Context, in CancelBookingInput) (CancelBookingOutput, error) {
	if in.ID == "" {
		return CancelBookingOutput{}, activities.TerminalErrorf("invalid_input", "cancelBooking: id is required")
	}
	return post[CancelBookingOutput](ctx, p.provider, "/bookings/"+url.PathEscape(in.ID)+"/cancel", struct{}{})
}
