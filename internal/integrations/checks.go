package integrations

import (
	"context"
	"fmt"
	"strings"

	"github.com/motcua/motcua/activities"
)

// ChecksClient runs automated checks against other systems (population
// database, land registry …) through one gateway: a POST of
// activities.CheckRequest to <URL>/checks/<check name>, answered by
// {"passed": true|false, "note": "..."}. The idempotency key is
// "<dossier code>/check/<name>/<16 hex digits of the request's SHA-256>".
type ChecksClient struct{ ep *endpoint }

var _ activities.Checker = (*ChecksClient)(nil)

// NewChecksClient checks cfg and returns the client.
func NewChecksClient(cfg Config) (*ChecksClient, error) {
	ep, err := newEndpoint("checks", cfg)
	if err != nil {
		return nil, err
	}
	return &ChecksClient{ep: ep}, nil
}

// Check posts r to the check's URL. An answer without "passed" is an
// error, so that a gateway that answers {} never passes a check.
func (c *ChecksClient) Check(ctx context.Context, r activities.CheckRequest) (activities.CheckResult, error) {
	if !validCheckName(r.Check) {
		return activities.CheckResult{}, fmt.Errorf("%s: invalid check name %q: want letters, digits, '_', '-' or '.', not starting with '.'", c.ep.system, r.Check)
	}
	u := c.ep.url.JoinPath("checks", r.Check)
	var answer struct {
		Passed *bool  `json:"passed"`
		Note   string `json:"note"`
	}
	if err := c.ep.post(ctx, u, fmt.Sprintf("%s/check/%s/%s", r.Code, r.Check, keyPart(r)), r, &answer); err != nil {
		return activities.CheckResult{}, err
	}
	if answer.Passed == nil {
		return activities.CheckResult{}, fmt.Errorf("%s: POST %s: the answer has no \"passed\"", c.ep.system, u.Redacted())
	}
	return activities.CheckResult{Passed: *answer.Passed, Note: strings.TrimSpace(answer.Note)}, nil
}

func validCheckName(name string) bool {
	if name == "" || name[0] == '.' || len(name) > 100 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
