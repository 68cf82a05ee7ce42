package sandbox

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
)

// The endpoints below run with s.mu held (see applyFunc).

type charge struct {
	ID            string  `json:"id"`
	Amount        float64 `json:"amount"`
	Currency      string  `json:"currency"`
	Customer      string  `json:"customer"`
	Status        string  `json:"status"`
	refundedCents int64
}

func (s *Sandbox) createCharge(c call) (outcome, *refusal) {
	var req struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
		Customer string  `json:"customer"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	if !(req.Amount > 0) || math.IsInf(req.Amount, 0) {
		return outcome{}, refuse("parameter_invalid", "amount must be a number greater than 0")
	}
	currency := strings.ToLower(req.Currency)
	if currency == "" {
		currency = "usd"
	}
	summary := fmt.Sprintf("%.2f %s from %s", req.Amount, currency, req.Customer)
	if c.decline || s.declined[req.Customer] || strings.HasPrefix(req.Customer, "cus_declined") {
		return outcome{
			status:  http.StatusPaymentRequired,
			body:    errorBody("card_error", "card_declined", "Your card was declined."),
			summary: "declined " + summary,
		}, nil
	}
	ch := &charge{ID: s.nextID("ch_"), Amount: req.Amount, Currency: currency, Customer: req.Customer, Status: "succeeded"}
	s.charges[ch.ID] = ch
	return outcome{status: http.StatusOK, body: ch, objectID: ch.ID, summary: "charged " + summary}, nil
}

func (s *Sandbox) createRefund(c call) (outcome, *refusal) {
	var req struct {
		ChargeID string   `json:"chargeId"`
		Amount   *float64 `json:"amount"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	if req.ChargeID == "" {
		return outcome{}, refuse("parameter_missing", "chargeId is required")
	}
	if req.Amount != nil && !(*req.Amount > 0) {
		return outcome{}, refuse("parameter_invalid", "amount must be greater than 0 when given")
	}
	ch, ok := s.charges[req.ChargeID]
	if !ok {
		return notFound("charge", req.ChargeID), nil
	}
	// Money is compared in cents so that float rounding cannot leave a
	// refundable remainder of 0.0000001.
	remaining := cents(ch.Amount) - ch.refundedCents
	amount := remaining
	if req.Amount != nil {
		amount = cents(*req.Amount)
	}
	switch {
	case remaining == 0:
		return failed(http.StatusBadRequest, "charge_already_refunded", "charge %s is already fully refunded", ch.ID), nil
	case amount > remaining:
		return failed(http.StatusBadRequest, "amount_too_large", "refund of %.2f exceeds the %.2f left on charge %s", float64(amount)/100, float64(remaining)/100, ch.ID), nil
	}
	ch.refundedCents += amount
	re := refund{ID: s.nextID("re_"), ChargeID: ch.ID, Amount: float64(amount) / 100, Currency: ch.Currency, Status: "succeeded"}
	return outcome{status: http.StatusOK, body: re, objectID: re.ID, summary: fmt.Sprintf("refunded %.2f %s of %s", re.Amount, re.Currency, ch.ID)}, nil
}

type refund struct {
	ID       string  `json:"id"`
	ChargeID string  `json:"chargeId"`
	Amount   float64 `json:"amount"`
	Currency string  `json:"currency"`
	Status   string  `json:"status"`
}

func cents(amount float64) int64 { return int64(math.Round(amount * 100)) }

type shipment struct {
	ID             string `json:"id"`
	OrderID        string `json:"orderId"`
	TrackingNumber string `json:"trackingNumber"`
	Carrier        string `json:"carrier"`
	Status         string `json:"status"`
}

func (s *Sandbox) createShipment(c call) (outcome, *refusal) {
	var req struct {
		OrderID string `json:"orderId"`
		Address any    `json:"address"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	if problem := addressProblem(req.Address); problem != "" {
		return failed(http.StatusUnprocessableEntity, "invalid_address", "%s", problem), nil
	}
	sh := &shipment{
		ID:      s.nextID("shp_"),
		OrderID: req.OrderID,
		Carrier: "sandbox-express",
		Status:  "created",
	}
	sh.TrackingNumber = fmt.Sprintf("TRK%09d", s.lastID["shp_"])
	s.shipments[sh.ID] = sh
	return outcome{status: http.StatusOK, body: sh, objectID: sh.ID, summary: fmt.Sprintf("shipped order %q as %s", req.OrderID, sh.TrackingNumber)}, nil
}

// addressProblem says why the carrier would reject address, or returns "".
// Any string inside it containing "INVALID" stands for an undeliverable
// address, so tests can trigger the refusal with ordinary input.
func addressProblem(address any) string {
	switch a := address.(type) {
	case nil:
		return "address is missing"
	case string:
		if strings.TrimSpace(a) == "" {
			return "address is empty"
		}
	case map[string]any:
		if len(a) == 0 {
			return "address is empty"
		}
	default:
		return "address must be a string or an object"
	}
	if strings.Contains(string(mustMarshal(address)), "INVALID") {
		return "the carrier cannot deliver to this address"
	}
	return ""
}

func (s *Sandbox) cancelShipment(c call) (outcome, *refusal) {
	id := c.r.PathValue("id")
	sh, ok := s.shipments[id]
	if !ok {
		return notFound("shipment", id), nil
	}
	// Cancelling twice is harmless with a real carrier too.
	sh.Status = "cancelled"
	return outcome{
		status:   http.StatusOK,
		body:     map[string]string{"id": sh.ID, "status": sh.Status},
		objectID: sh.ID,
		summary:  "cancelled " + sh.ID,
	}, nil
}

func (s *Sandbox) sendEmail(c call) (outcome, *refusal) {
	var req struct {
		To      string `json:"to"`
		Subject string `json:"subject"`
		Body    string `json:"body"`
	}
	if err := json.Unmarshal(c.body, &req); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	if !strings.Contains(req.To, "@") {
		return failed(http.StatusUnprocessableEntity, "invalid_recipient", "%q is not an email address", req.To), nil
	}
	id := s.nextID("msg_")
	return outcome{
		status:   http.StatusOK,
		body:     map[string]string{"id": id, "to": req.To, "status": "queued"},
		objectID: id,
		summary:  fmt.Sprintf("to %s: %q", req.To, req.Subject),
	}, nil
}

// receiveWebhook stands for any HTTP service a workflow notifies (a billing
// system, a CRM): it accepts any JSON body and records it as an effect.
func (s *Sandbox) receiveWebhook(c call) (outcome, *refusal) {
	var body any
	if err := json.Unmarshal(c.body, &body); err != nil {
		return outcome{}, refuse("parameter_invalid", "%v", err)
	}
	id := s.nextID("evt_")
	name := c.r.PathValue("name")
	return outcome{
		status:   http.StatusOK,
		body:     map[string]any{"id": id, "webhook": name, "received": body},
		objectID: id,
		summary:  "webhook " + name,
	}, nil
}

func notFound(kind, id string) outcome {
	return failed(http.StatusNotFound, "resource_missing", "no such %s: %q", kind, id)
}

// failed is a stored business refusal.
func failed(status int, code, format string, args ...any) outcome {
	msg := fmt.Sprintf(format, args...)
	return outcome{status: status, body: errorBody("invalid_request_error", code, "%s", msg), summary: code + ": " + msg}
}
