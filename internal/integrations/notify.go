package integrations

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/motcua/motcua/activities"
)

// WebhookNotifier posts each notification, as the JSON of
// activities.Notification, to a webhook that delivers it (e-mail, SMS,
// Zalo …). The idempotency key is the notification's Key.
type WebhookNotifier struct{ ep *endpoint }

var _ activities.Notifier = (*WebhookNotifier)(nil)

// NewWebhookNotifier checks cfg and returns the notifier.
func NewWebhookNotifier(cfg Config) (*WebhookNotifier, error) {
	ep, err := newEndpoint("notification webhook", cfg)
	if err != nil {
		return nil, err
	}
	return &WebhookNotifier{ep: ep}, nil
}

// Notify posts n; any 2xx answer is a delivery, its body is ignored.
func (w *WebhookNotifier) Notify(ctx context.Context, n activities.Notification) error {
	return w.ep.post(ctx, w.ep.url, n.Key, n, nil)
}

// LogNotifier writes one structured log line per notification, at Info,
// with the message "notification". It is the default notifier: nothing
// leaves the machine. The applicant's contact is masked.
type LogNotifier struct{ log *slog.Logger }

var _ activities.Notifier = (*LogNotifier)(nil)

// NewLogNotifier returns a notifier logging to l, or to slog.Default()
// when l is nil.
func NewLogNotifier(l *slog.Logger) *LogNotifier {
	if l == nil {
		l = slog.Default()
	}
	return &LogNotifier{log: l}
}

// Notify logs n.
func (l *LogNotifier) Notify(ctx context.Context, n activities.Notification) error {
	l.log.LogAttrs(ctx, slog.LevelInfo, "notification",
		slog.String("key", n.Key),
		slog.String("code", n.Code),
		slog.String("kind", n.Kind),
		slog.String("to", n.To),
		slog.String("agency", n.Agency),
		slog.String("contact", maskContact(n.Contact)),
		slog.String("subject", n.Subject),
		slog.String("body", n.Body),
	)
	return nil
}

// maskContact keeps enough of an e-mail address or phone number to tell
// which it was: "0912345678" → "091****678", "an@x.vn" → "a*@x.vn".
func maskContact(c string) string {
	if c == "" {
		return ""
	}
	if at := strings.LastIndexByte(c, '@'); at > 0 {
		local := c[:at]
		_, size := utf8.DecodeRuneInString(local)
		return local[:size] + strings.Repeat("*", utf8.RuneCountInString(local)-1) + c[at:]
	}
	r := []rune(c)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:3]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-3:])
}
