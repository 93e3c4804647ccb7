package integrations

import (
	"context"
	"fmt"

	"github.com/motcua/motcua/activities"
)

// PortalClient pushes dossier statuses to the national public service
// portal: a POST of activities.PortalStatus to the configured URL. The
// idempotency key is "<dossier code>/status/<seq>".
type PortalClient struct{ ep *endpoint }

var _ activities.Portal = (*PortalClient)(nil)

// NewPortalClient checks cfg and returns the client.
func NewPortalClient(cfg Config) (*PortalClient, error) {
	ep, err := newEndpoint("portal", cfg)
	if err != nil {
		return nil, err
	}
	return &PortalClient{ep: ep}, nil
}

// PushStatus posts s; any 2xx answer is an acknowledgement.
func (p *PortalClient) PushStatus(ctx context.Context, s activities.PortalStatus) error {
	return p.ep.post(ctx, p.ep.url, fmt.Sprintf("%s/status/%d", s.Code, s.Seq), s, nil)
}
