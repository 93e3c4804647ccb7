package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// PaymentCallback is the payment platform's report of a payment order.
type PaymentCallback struct {
	Code      string    `json:"code" validate:"required,max=100"`      // the dossier code
	Reference string    `json:"reference" validate:"required,max=200"` // the payment order's reference
	Amount    int64     `json:"amount" validate:"gte=0"`               // VND
	Status    string    `json:"status" validate:"required,oneof=paid failed cancelled"`
	PaidAt    time.Time `json:"paid_at,omitempty"`
}

// PortalCallback is the national portal's acknowledgement of a status
// synchronisation.
type PortalCallback struct {
	Code     string    `json:"code" validate:"required,max=100"`
	Status   int       `json:"status" validate:"gte=1,lte=10"`
	Accepted bool      `json:"accepted"`
	Message  string    `json:"message,omitempty" validate:"max=2000"`
	At       time.Time `json:"at,omitempty"`
}

// NotificationCallback is the notification service's delivery report.
type NotificationCallback struct {
	Code    string    `json:"code" validate:"required,max=100"`
	Channel string    `json:"channel" validate:"required,oneof=sms email zalo app"`
	Status  string    `json:"status" validate:"required,oneof=delivered failed"`
	Detail  string    `json:"detail,omitempty" validate:"max=2000"`
	At      time.Time `json:"at,omitempty"`
}

// FeedbackCallback is a complaint about a dossier that the citizen
// feedback system forwards.
type FeedbackCallback struct {
	// Reference is the feedback system's id of the complaint: sent again,
	// it is a duplicate.
	Reference   string    `json:"reference" validate:"required,max=200"`
	DossierCode string    `json:"dossier_code" validate:"required,max=100"`
	At          time.Time `json:"at" validate:"required"`                // when the citizen complained (RFC 3339)
	Content     string    `json:"content" validate:"required,max=10000"` // what the citizen wrote
}

// maxSkew is how far a callback's timestamp may be from now.
const maxSkew = 5 * time.Minute

// signedBody reads a callback's body and checks its HMAC signature with
// secret; system names the caller in the audit log and messages.
func (s *Server) signedBody(c *call, system string, secret []byte) ([]byte, error) {
	c.system = system
	if len(secret) == 0 {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthenticated, "", "callbacks from the %s are not configured on this server (no shared secret)", system)
	}
	if err := requireJSON(c.r); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, s.maxBody))
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, err
		}
		return nil, badRequest("", "reading the request body: %v", err)
	}
	if err := integrations.VerifyRequest(secret, c.r.Header, body, time.Now(), maxSkew); err != nil {
		return nil, errorf(http.StatusUnauthorized, CodeUnauthenticated, integrations.HeaderSignature, "%s callback: %v", system, err)
	}
	return body, nil
}

// paymentCallback handles POST /v1/callbacks/payments.
func (s *Server) paymentCallback(c *call) (any, error) {
	body, err := s.signedBody(c, "payment platform", s.secrets.Payments)
	if err != nil {
		return nil, err
	}
	var b PaymentCallback
	if err := DecodeJSON(strings.NewReader(string(body)), s.maxBody, &b); err != nil {
		return nil, err
	}
	c.target = b.Code
	if b.Status != "paid" {
		c.reason = fmt.Sprintf("payment %s %s", b.Reference, b.Status)
		return CallbackAnswer{Status: "recorded"}, nil
	}
	_, err = s.svc.Pay(c.r.Context(), b.Code, workflows.PayRequest{Reference: b.Reference, Amount: b.Amount, Online: true})
	var rej *service.RejectedError
	if errors.As(err, &rej) && s.alreadyPaid(c, b.Code, b.Reference) {
		// The platform retries until it hears 2xx: a repeat is fine.
		c.reason = "duplicate of a recorded payment " + b.Reference
		return CallbackAnswer{Status: "duplicate"}, nil
	}
	if err != nil {
		return nil, err
	}
	c.reason = "payment " + b.Reference
	return CallbackAnswer{Status: "confirmed"}, nil
}

// alreadyPaid reports whether a dossier recorded the payment reference.
func (s *Server) alreadyPaid(c *call, code, reference string) bool {
	st, err := s.svc.Status(c.r.Context(), code)
	if err != nil {
		return false
	}
	for _, e := range st.Timeline {
		if e.Kind == dossier.EventPaid && e.Note == reference {
			return true
		}
	}
	return false
}

// portalCallback handles POST /v1/callbacks/portal.
func (s *Server) portalCallback(c *call) (any, error) {
	body, err := s.signedBody(c, "national portal", s.secrets.Portal)
	if err != nil {
		return nil, err
	}
	var b PortalCallback
	if err := DecodeJSON(strings.NewReader(string(body)), s.maxBody, &b); err != nil {
		return nil, err
	}
	c.target = b.Code
	if _, err := s.svc.Status(c.r.Context(), b.Code); err != nil {
		return nil, err
	}
	verdict := "accepted"
	if !b.Accepted {
		verdict = "rejected"
	}
	c.reason = fmt.Sprintf("portal %s status %d: %s", verdict, b.Status, b.Message)
	return CallbackAnswer{Status: "recorded"}, nil
}

// notificationCallback handles POST /v1/callbacks/notifications.
func (s *Server) notificationCallback(c *call) (any, error) {
	body, err := s.signedBody(c, "notification service", s.secrets.Notifications)
	if err != nil {
		return nil, err
	}
	var b NotificationCallback
	if err := DecodeJSON(strings.NewReader(string(body)), s.maxBody, &b); err != nil {
		return nil, err
	}
	c.target = b.Code
	if _, err := s.svc.Status(c.r.Context(), b.Code); err != nil {
		return nil, err
	}
	c.reason = fmt.Sprintf("%s %s: %s", b.Channel, b.Status, b.Detail)
	return CallbackAnswer{Status: "recorded"}, nil
}

// feedbackCallback handles POST /v1/callbacks/feedback: the complaint is
// recorded in the read model (store.ComplaintAdd), where the satisfaction
// indicator counts it.
func (s *Server) feedbackCallback(c *call) (any, error) {
	body, err := s.signedBody(c, "citizen feedback system", s.secrets.Feedback)
	if err != nil {
		return nil, err
	}
	var b FeedbackCallback
	if err := DecodeJSON(strings.NewReader(string(body)), s.maxBody, &b); err != nil {
		return nil, err
	}
	c.target = b.DossierCode
	if b.At.After(time.Now().Add(maxSkew)) {
		return nil, badRequest("at", "the complaint is dated %s, in the future", b.At.Format(time.RFC3339))
	}
	added, err := s.store.ComplaintAdd(c.r.Context(), store.Complaint{Reference: b.Reference, DossierCode: b.DossierCode,
		At: b.At, Content: b.Content})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound("dossier %s is not in the read model", b.DossierCode)
	case errors.Is(err, store.ErrInvalid):
		return nil, badRequest("", "%v", err)
	case err != nil:
		return nil, err
	}
	if !added {
		// The feedback system sends again what it is not sure arrived.
		c.reason = "duplicate of a recorded complaint " + b.Reference
		return CallbackAnswer{Status: "duplicate"}, nil
	}
	c.reason = "complaint " + b.Reference
	return CallbackAnswer{Status: "recorded"}, nil
}
