package integrations

import (
	"context"
	"fmt"
	"strings"

	"github.com/motcua/motcua/activities"
)

// PaymentsClient asks the payment platform (the national one or a
// provincial gateway) for payment orders: a POST of
// activities.PaymentRequest to the configured URL, answered by
// {"reference": "...", "url": "..."}. The idempotency key is
// "<dossier code>/payment/<16 hex digits of the request's SHA-256>", since
// a request carries no sequence of its own.
type PaymentsClient struct{ ep *endpoint }

var _ activities.Payments = (*PaymentsClient)(nil)

// NewPaymentsClient checks cfg and returns the client.
func NewPaymentsClient(cfg Config) (*PaymentsClient, error) {
	ep, err := newEndpoint("payment platform", cfg)
	if err != nil {
		return nil, err
	}
	return &PaymentsClient{ep: ep}, nil
}

// RequestPayment posts r and returns the order; an answer without a
// reference is an error.
func (p *PaymentsClient) RequestPayment(ctx context.Context, r activities.PaymentRequest) (activities.PaymentOrder, error) {
	var o activities.PaymentOrder
	if err := p.ep.post(ctx, p.ep.url, fmt.Sprintf("%s/payment/%s", r.Code, keyPart(r)), r, &o); err != nil {
		return activities.PaymentOrder{}, err
	}
	if strings.TrimSpace(o.Reference) == "" {
		return activities.PaymentOrder{}, fmt.Errorf("%s: POST %s: the answer has no \"reference\"", p.ep.system, p.ep.url.Redacted())
	}
	return o, nil
}
