package browsertest_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
)

// forgery is a page of another origin with forms that post to the console.
var forgery = template.Must(template.New("").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Trang khác</title></head>
<body>
<h1>Nhận quà miễn phí</h1>
<form id="act" method="post" action="{{.Base}}/console/dossiers/{{.Code}}/act">
  <input type="hidden" name="task" value="tiep_nhan">
  <input type="hidden" name="note" value="giả mạo">
  <input type="hidden" name="items" value="giả mạo">
  <button type="submit" name="outcome" value="supplement">Nhận quà</button>
</form>
<form id="login" method="post" action="{{.Base}}/console/login">
  <input type="hidden" name="token" value="{{.Token}}">
  <button type="submit">Đăng nhập hộ</button>
</form>
</body></html>`))

// TestCrossOriginFormPostIsRefused: a signed-in officer's browser posts
// the console's forms from a page of another origin — another port of the
// same host (same site: the session cookie goes along) and another site.
// The console answers its 403 page and nothing is written; the session is
// the officer's still.
func TestCrossOriginFormPostIsRefused(t *testing.T) {
	chromium(t)
	e := startEnv(t)
	// evil.example is another site on this machine.
	b := newBrowser(t, e.base, "cross-origin-", chromedp.Flag("host-resolver-rules", "MAP evil.example 127.0.0.1"))

	st := e.submitBirth()
	code := st.Code
	b.login(tokMotCua, "inbox", "")
	b.submit(b.waitInboxRow(code)+" a.dossier-link", "dossier")
	if b.actionForm("tiep_nhan") == "" {
		b.fatalf("the officer has no reception form on %s", code)
	}
	before := e.state(code)

	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = forgery.Execute(w, map[string]string{"Base": e.base, "Code": code, "Token": tokTuPhap})
	}))
	t.Cleanup(evil.Close)
	port := evil.URL[strings.LastIndex(evil.URL, ":")+1:]

	n := 0
	for _, origin := range []struct{ name, url string }{
		{"same-site", evil.URL},                       // 127.0.0.1, another port
		{"cross-site", "http://evil.example:" + port}, // another site
	} {
		for _, form := range []string{"act", "login"} {
			b.openForeign(origin.url + "/")
			refused(b, fmt.Sprintf("form#%s button[type=submit]", form))
			if got := b.text("section#error .message"); !strings.Contains(got, "trang web khác") {
				b.fatalf("%s post of form#%s: the 403 page says %q", origin.name, form, got)
			}
			n++
			b.shot(fmt.Sprintf("%02d-%s-%s-refused", n, origin.name, form))
		}
	}

	// Nothing was written, and the session is the officer's.
	after := e.state(code)
	require.Len(t, after.Timeline, len(before.Timeline), "a refused post writes nothing")
	require.Equal(t, dossier.StatusNew, after.Status)
	b.open("/console/inbox", "inbox")
	if got := b.attrs("#user", "data-subject"); !slices.Equal(got, []string{"cb-mot-cua"}) {
		b.fatalf("signed in as %v after the forged login, want cb-mot-cua", got)
	}

	// The same form posted from the console's own origin is accepted:
	// the refusal is the origin's, not the form's.
	b.open(dossierPath(code), "dossier")
	b.act("tiep_nhan", "supplement", "", "Giấy chứng sinh bị mờ")
	requireStatus(b, dossier.StatusSupplement)
}

// openForeign opens a page that is not the console's.
func (b *browser) openForeign(u string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		b.fatalf("opening %s: %v", u, err)
	}
	if resp == nil || resp.Status != http.StatusOK {
		b.fatalf("opening %s: %+v", u, resp)
	}
}

// refused clicks a button that posts cross-origin and checks that the
// console answers its 403 page.
func refused(b *browser, button string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	from := eval[string](b, `location.origin`)
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button), chromedp.NodeVisible))
	if err != nil {
		b.fatalf("clicking %s on %s: %v", button, from, err)
	}
	if resp == nil || resp.Status != http.StatusForbidden {
		var status int64
		if resp != nil {
			status = resp.Status
		}
		b.fatalf("a post of %s from %s answered %d, want 403", button, from, status)
	}
	if p := b.page(); p != "error" {
		b.fatalf("a post of %s from %s: on page %q, want the error page", button, from, p)
	}
	if got := b.attrs("section#error", "data-status"); !slices.Equal(got, []string{"403"}) {
		b.fatalf("a post of %s from %s: section#error data-status %v, want 403", button, from, got)
	}
}
