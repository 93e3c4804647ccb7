package integrations

import (
	"context"
	"fmt"
	"strings"

	"github.com/motcua/motcua/activities"
)

// PostalClient hands results to the public postal service: a POST of
// activities.Shipment to the configured URL, answered by
// {"tracking": "..."}. The idempotency key is
// "<dossier code>/shipment/<result code>".
type PostalClient struct{ ep *endpoint }

var _ activities.Postal = (*PostalClient)(nil)

// NewPostalClient checks cfg and returns the client.
func NewPostalClient(cfg Config) (*PostalClient, error) {
	ep, err := newEndpoint("postal service", cfg)
	if err != nil {
		return nil, err
	}
	return &PostalClient{ep: ep}, nil
}

// Ship posts s and returns the tracking number; an answer without one is
// an error.
func (p *PostalClient) Ship(ctx context.Context, s activities.Shipment) (string, error) {
	var answer struct {
		Tracking string `json:"tracking"`
	}
	if err := p.ep.post(ctx, p.ep.url, fmt.Sprintf("%s/shipment/%s", s.Code, s.ResultCode), s, &answer); err != nil {
		return "", err
	}
	if t := strings.TrimSpace(answer.Tracking); t != "" {
		return t, nil
	}
	return "", fmt.Errorf("%s: POST %s: the answer has no \"tracking\"", p.ep.system, p.ep.url.Redacted())
}
