package builtin

import (
	"net/url"

	"github.com/reaflow/reaflow/activities"
)

// ChargeInput is the input of the charge activity.
type ChargeInput struct {
	// Amount is in currency units (42.5 is $42.50) and must be positive.
	Amount float64 `json:"amount"`
	// Currency defaults to "usd" at the provider.
	Currency string `json:"currency,omitempty"`
	Customer string `json:"customer,omitempty"`
}

// ChargeOutput is the output of the charge activity.
type ChargeOutput struct {
	ID       string  `json:"id"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	Customer string  `json:"customer,omitempty"`
	Status   string  `json:"status"`
}

// RefundInput is the input of the refund activity.
type RefundInput struct {
	ChargeID string `json:"chargeId"`
	// Amount defaults to what is left of the charge.
	Amount *float64 `json:"amount,omitempty"`
}

// RefundOutput is the output of the refund activity.
type RefundOutput struct {
	ID       string  `json:"id"`
	ChargeID string  `json:"chargeId"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	Status   string  `json:"status"`
}

type payments struct{ provider }

func (p payments) charge(ctx *activities.Context, in ChargeInput) (ChargeOutput, error) {
	return post[ChargeOutput](ctx, p.provider, "/charges", in)
}

func (p payments) refund(ctx *activities.Context, in RefundInput) (RefundOutput, error) {
	return post[RefundOutput](ctx, p.provider, "/refunds", in)
}

// ShipInput is the input of the ship activity.
type ShipInput struct {
	OrderID string `json:"orderId,omitempty"`
	// Address is a string or an object, passed to the carrier as is.
	Address any `json:"address"`
	Items   any `json:"items,omitempty"`
}

// ShipOutput is the output of the ship activity.
type ShipOutput struct {
	ID             string `json:"id"`
	TrackingNumber string `json:"trackingNumber"`
	Carrier        string `json:"carrier"`
	Status         string `json:"status"`
}

// CancelShipmentInput is the input of the cancelShipment activity.
type CancelShipmentInput struct {
	ShipmentID string `json:"shipmentId"`
}

// CancelShipmentOutput is the output of the cancelShipment activity.
type CancelShipmentOutput struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type shipping struct{ provider }

func (p shipping) ship(ctx *activities.Context, in ShipInput) (ShipOutput, error) {
	return post[ShipOutput](ctx, p.provider, "/shipments", in)
}

func (p shipping) cancel(ctx *activities.Context, in CancelShipmentInput) (CancelShipmentOutput, error) {
	if in.ShipmentID == "" {
		return CancelShipmentOutput{}, activities.TerminalErrorf("invalid_input", "cancelShipment: shipmentId is required")
	}
	return post[CancelShipmentOutput](ctx, p.provider, "/shipments/"+url.PathEscape(in.ShipmentID)+"/cancel", struct{}{})
}

// EmailInput is the input of the email activity.
type EmailInput struct {
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body,omitempty"`
}

// EmailOutput is the output of the email activity.
type EmailOutput struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type email struct{ provider }

func (p email) send(ctx *activities.Context, in EmailInput) (EmailOutput, error) {
	return post[EmailOutput](ctx, p.provider, "/messages", in)
}
