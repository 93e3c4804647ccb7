package console_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/console"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

const (
	birth     = "1.001193"
	lltp      = "3.000333"
	citizen   = "079090001234"
	testReqID = "req-test-0001"
)

// bundle is a running engine with the console in front of it.
type bundle struct {
	env    *servicetest.Env
	srv    *httptest.Server
	tokens map[string]string // principal name → token
	clock  atomic.Int64      // the console's now in Unix nanoseconds; 0: the real time
}

// principals are the accounts of the tokens file, by name.
var principals = map[string]auth.Principal{
	"mot_cua":  {Subject: "cb-mot-cua", Name: "Trần Thị Bình", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"},
	"tu_phap":  {Subject: "cb-tu-phap", Name: "Lê Văn Cường", Kind: auth.KindOfficer, Roles: []string{"tu_phap_ho_tich"}, Agency: "ubnd_xa"},
	"cong_an":  {Subject: "cb-cong-an", Name: "Phạm Văn Dũng", Kind: auth.KindOfficer, Roles: []string{"can_bo_tiep_nhan", "can_bo_lltp"}, Agency: "cong_an_tinh"},
	"citizen":  {Subject: citizen, Name: "Nguyễn Văn A", Kind: auth.KindCitizen},
	"admin":    {Subject: "admin", Kind: auth.KindAdmin},
	"analyst":  {Subject: "phan-tich", Kind: auth.KindAnalyst},
	"stranger": {Subject: "001099000001", Kind: auth.KindCitizen},
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{tokens: map[string]string{}}
	var names []string
	var list []auth.Principal
	for n, p := range principals {
		names = append(names, n)
		list = append(list, p)
	}
	path := filepath.Join(t.TempDir(), "tokens.yaml")
	entries, err := auth.WriteSample(path, list)
	require.NoError(t, err)
	for i, e := range entries {
		b.tokens[names[i]] = e.Token
	}
	authn, err := auth.New(context.Background(), auth.Config{Tokens: path})
	require.NoError(t, err)
	b.start(t, authn)
	return b
}

// start runs the engine and the console, with authn, behind a test server.
func (b *bundle) start(t *testing.T, authn auth.Authenticator) {
	t.Helper()
	b.env = servicetest.Start(t, "../../definitions")
	c, err := console.New(console.Options{Service: b.env.Service, Store: b.env.Store, Auth: authn,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time {
			if n := b.clock.Load(); n != 0 {
				return time.Unix(0, n)
			}
			return time.Now()
		}})
	require.NoError(t, err)
	// As the API's middleware does, the request ID is on the answer
	// before the console runs.
	h := c.Handler()
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", testReqID)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(b.srv.Close)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

// page is an answer of the console.
type page struct {
	status int
	header http.Header
	body   string
}

// do sends a request as who ("" for nobody), without following redirects.
func (b *bundle) do(t *testing.T, who, method, path string, form url.Values, hdr map[string]string, cookies ...*http.Cookie) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx(t), method, b.srv.URL+path, body)
	require.NoError(t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if who != "" {
		tok, ok := b.tokens[who]
		require.True(t, ok, "no principal %q", who)
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: tok})
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	p := page{status: res.StatusCode, header: res.Header, body: string(data)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		wellFormed(t, method+" "+path, p.body)
	}
	return p
}

func (b *bundle) get(t *testing.T, who, path string, cookies ...*http.Cookie) page {
	t.Helper()
	return b.do(t, who, http.MethodGet, path, nil, nil, cookies...)
}

func (b *bundle) post(t *testing.T, who, path string, form url.Values) page {
	t.Helper()
	return b.do(t, who, http.MethodPost, path, form, nil)
}

// voidElements have no end tag.
var voidElements = map[string]bool{"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true, "track": true, "wbr": true}

// wellFormed checks that a page parses as HTML, that every element the
// templates open is closed in order (no implied end tags), and that no id
// of the page's own is given twice (the inline SVG diagrams of the modes
// of a procedure name their nodes alike).
func wellFormed(t *testing.T, what, body string) {
	t.Helper()
	_, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err, what)
	z := html.NewTokenizer(strings.NewReader(body))
	var stack []string
	ids := map[string]bool{}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			require.ErrorIs(t, z.Err(), io.EOF, what)
			require.Empty(t, stack, "%s: elements left open", what)
			return
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			for _, a := range tok.Attr {
				if a.Key == "id" && !contains(stack, "svg") && tok.Data != "svg" {
					require.False(t, ids[a.Val], "%s: id %q given twice", what, a.Val)
					ids[a.Val] = true
				}
			}
			if tt == html.StartTagToken && !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			tok := z.Token()
			require.NotEmpty(t, stack, "%s: </%s> closes nothing", what, tok.Data)
			require.Equal(t, stack[len(stack)-1], tok.Data, "%s: </%s> closes <%s>", what, tok.Data, stack[len(stack)-1])
			stack = stack[:len(stack)-1]
		}
	}
}

// count counts the elements of a page that match: a tag (or "" for any)
// with every attribute given (a class matches one of the element's
// classes).
func count(t *testing.T, body, tag string, attrs map[string]string) int {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	n := 0
	var walk func(*html.Node)
	walk = func(node *html.Node) {
		if node.Type == html.ElementNode && (tag == "" || node.Data == tag) && matches(node, attrs) {
			n++
		}
		for c := node.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return n
}

func matches(node *html.Node, attrs map[string]string) bool {
	for k, want := range attrs {
		found := false
		for _, a := range node.Attr {
			if a.Key != k {
				continue
			}
			if k == "class" {
				found = contains(strings.Fields(a.Val), want)
			} else {
				found = a.Val == want
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// text returns the text of the first element with the id.
func text(t *testing.T, body, id string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var found *html.Node
	var walk func(*html.Node)
	walk = func(node *html.Node) {
		if found != nil {
			return
		}
		if node.Type == html.ElementNode {
			for _, a := range node.Attr {
				if a.Key == "id" && a.Val == id {
					found = node
					return
				}
			}
		}
		for c := node.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	require.NotNil(t, found, "no element #%s", id)
	var sb strings.Builder
	var collect func(*html.Node)
	collect = func(node *html.Node) {
		if node.Type == html.TextNode {
			sb.WriteString(node.Data)
			sb.WriteByte(' ')
		}
		for c := node.FirstChild; c != nil; c = c.NextSibling {
			collect(c)
		}
	}
	collect(found)
	return strings.Join(strings.Fields(sb.String()), " ")
}

func birthRequest() service.SubmitRequest {
	return service.SubmitRequest{
		Procedure: birth, Mode: "full_online", Channel: "online", Delivery: "e_result",
		Applicant: dossier.Applicant{ID: citizen, Name: "Nguyễn Văn A", Contact: "a@example.vn"},
		Form: map[string]string{
			"child_name": "Nguyễn Văn B", "birth_date": "2025-07-01", "gender": "Nam",
			"birth_place": "Bệnh viện Đa khoa tỉnh Tây Ninh", "via_representative": "false",
		},
		Components: []service.Upload{
			{ID: "to_khai", FileName: "to_khai.pdf", Data: bytes.NewReader(servicetest.PDF)},
			{ID: "giay_chung_sinh", FileName: "giay_chung_sinh.png", Data: bytes.NewReader(servicetest.PNG)},
		},
		Reused: []string{"giay_to_tuy_than"},
	}
}

func lltpRequest() service.SubmitRequest {
	return service.SubmitRequest{
		Procedure: lltp, Mode: "full_online", Channel: "online", Delivery: "e_result",
		Applicant: dossier.Applicant{ID: citizen, Name: "Nguyễn Văn A"},
		Form: map[string]string{
			"ho_ten": "Nguyễn Văn A", "so_dinh_danh": citizen, "ngay_sinh": "1990-01-01",
			"noi_thuong_tru": "Số 1, ấp 2, xã Hòa Thành", "loai_phieu": "Phiếu số 1", "so_luong_phieu": "1",
			"muc_dich": "Bổ sung hồ sơ xin việc", "doi_tuong_phi": "Đối tượng được miễn phí",
			"uy_quyen": "false", "uy_quyen_cho_than_nhan": "false",
		},
		Components: []service.Upload{
			{ID: "to_khai", FileName: "to_khai.pdf", Data: bytes.NewReader(servicetest.PDF)},
			{ID: "giay_to_uu_dai_phi", FileName: "mien_phi.pdf", Data: bytes.NewReader(servicetest.PDF)},
		},
		Reused: []string{"giay_to_tuy_than", "giay_to_cu_tru"},
	}
}

// waitTask waits until the read model holds an open officer's task of the
// step on the dossier, and returns it.
func (b *bundle) waitTask(t *testing.T, code, step string, not ...string) store.TaskRow {
	t.Helper()
	var found store.TaskRow
	require.Eventually(t, func() bool {
		rows, err := b.env.Store.TaskList(ctx(t), store.TaskListParams{DossierCode: code})
		require.NoError(t, err)
		for _, r := range rows {
			if r.DossierCode == code && r.Step == step && r.Role != dossier.RoleApplicant && !contains(not, r.ID) {
				found = r
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond, "no task of step %s on %s", step, code)
	return found
}

func (b *bundle) state(t *testing.T, code string) dossier.State {
	t.Helper()
	st, err := b.env.Service.Status(ctx(t), code)
	require.NoError(t, err)
	return st
}

func (b *bundle) waitStatus(t *testing.T, code string, want dossier.Status) dossier.State {
	t.Helper()
	var st dossier.State
	require.Eventually(t, func() bool {
		st = b.state(t, code)
		return st.Status == want
	}, 30*time.Second, 50*time.Millisecond, "%s did not reach status %d", code, want)
	return st
}

func cookieOf(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		require.NoError(t, err)
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s set; Set-Cookie: %v", name, h.Values("Set-Cookie"))
	return nil
}

func TestConsole(t *testing.T) {
	b := setup(t)

	t.Run("root and signed out", func(t *testing.T) {
		p := b.get(t, "", "/")
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, "/console/", p.header.Get("Location"))

		p = b.get(t, "", "/console/inbox?due=overdue")
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, "/console/login?next="+url.QueryEscape("/console/inbox?due=overdue"), p.header.Get("Location"))

		p = b.get(t, "", "/console/dossiers/X-1")
		require.Equal(t, "/console/login?next=%2Fconsole%2Fdossiers%2FX-1", p.header.Get("Location"))

		// A session with an unknown token is cleared.
		p = b.get(t, "", "/console/dossiers", &http.Cookie{Name: auth.SessionCookie, Value: "not-a-token-at-all-xxxxxxxx"})
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, -1, cookieOf(t, p.header, auth.SessionCookie).MaxAge)

		p = b.get(t, "", "/console/login?next=/console/inbox")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "login-form"}))
		require.Equal(t, 0, count(t, p.body, "a", map[string]string{"id": "oidc-login"}), "a tokens file offers no sign-in through a provider")
		require.Equal(t, http.StatusNotFound, b.get(t, "", "/console/oidc/login").status)
		require.Equal(t, 1, count(t, p.body, "input", map[string]string{"name": "next", "value": "/console/inbox"}))
		require.Contains(t, p.body, `lang="vi"`)
		require.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"))

		p = b.get(t, "", "/console/static/style.css")
		require.Equal(t, http.StatusOK, p.status)
		require.Contains(t, p.header.Get("Content-Type"), "text/css")
		require.Contains(t, p.body, "@media print")

		p = b.get(t, "mot_cua", "/nowhere")
		require.Equal(t, http.StatusNotFound, p.status)
		require.Contains(t, p.body, "Không tìm thấy")
		require.Equal(t, testReqID, text(t, p.body, "request-id"))
	})

	t.Run("login", func(t *testing.T) {
		p := b.post(t, "", "/console/login", url.Values{"token": {"wrong-token-wrong-token"}})
		require.Equal(t, http.StatusUnauthorized, p.status)
		require.Contains(t, text(t, p.body, "error"), "Mã đăng nhập không đúng")
		require.Empty(t, p.header.Values("Set-Cookie"))

		p = b.post(t, "", "/console/login", url.Values{"token": {""}})
		require.Equal(t, http.StatusUnauthorized, p.status)
		require.Contains(t, text(t, p.body, "error"), "Hãy nhập mã đăng nhập")

		p = b.post(t, "", "/console/login", url.Values{"token": {b.tokens["mot_cua"]}})
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, "/console/inbox", p.header.Get("Location"))
		c := cookieOf(t, p.header, auth.SessionCookie)
		require.Equal(t, b.tokens["mot_cua"], c.Value)
		require.True(t, c.HttpOnly)
		require.Equal(t, http.SameSiteStrictMode, c.SameSite)
		require.Equal(t, "/", c.Path)
		require.Equal(t, 12*60*60, c.MaxAge)
		require.False(t, c.Secure, "plain HTTP")

		p = b.post(t, "", "/console/login", url.Values{"token": {b.tokens["citizen"]}, "next": {"/console/dossiers?status=5"}})
		require.Equal(t, "/console/dossiers?status=5", p.header.Get("Location"))
		for _, evil := range []string{"https://evil.example/", "//evil.example/console/", "/\\evil.example", "/v1/audit"} {
			p = b.post(t, "", "/console/login", url.Values{"token": {b.tokens["citizen"]}, "next": {evil}})
			require.Equal(t, "/console/dossiers", p.header.Get("Location"), "next %q", evil)
		}
		p = b.post(t, "", "/console/login", url.Values{"token": {b.tokens["analyst"]}})
		require.Equal(t, "/console/procedures", p.header.Get("Location"))

		p = b.post(t, "mot_cua", "/console/logout", url.Values{})
		require.Equal(t, http.StatusSeeOther, p.status)
		require.Equal(t, "/console/login", p.header.Get("Location"))
		require.Equal(t, -1, cookieOf(t, p.header, auth.SessionCookie).MaxAge)
	})

	st, err := b.env.Service.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	code := st.Code
	reception := b.waitTask(t, code, "tiep_nhan")
	require.False(t, reception.DueAt.IsZero())
	dossierPath := "/console/dossiers/" + url.PathEscape(code)

	t.Run("inbox", func(t *testing.T) {
		row := map[string]string{"class": "task-row", "data-code": code}
		cases := []struct {
			now   time.Time
			class string
			text  string
		}{
			{reception.DueAt.Add(-48 * time.Hour), "due-ok", "Trong hạn"},
			{reception.DueAt.Add(-time.Hour), "due-soon", "Sắp đến hạn"},
			{reception.DueAt.Add(time.Minute), "due-overdue", "Quá hạn"},
		}
		for _, tc := range cases {
			b.clock.Store(tc.now.UnixNano())
			p := b.get(t, "mot_cua", "/console/inbox")
			require.Equal(t, http.StatusOK, p.status)
			require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "inbox"}))
			require.Equal(t, 1, count(t, p.body, "tr", row), p.body)
			require.Equal(t, 1, count(t, p.body, "span", map[string]string{"class": tc.class}), tc.text)
			require.Contains(t, p.body, tc.text)
			require.Contains(t, p.body, "Nguyễn Văn A")
			require.Contains(t, p.body, "Đăng ký khai sinh")
			require.Contains(t, p.body, reception.DueAt.In(dossier.Vietnam).Format("02/01/2006 15:04"))
		}
		// Now overdue: the filters.
		filters := []struct {
			query string
			shown bool
		}{
			{"due=overdue", true},
			{"due=soon", false},
			{"due=on_time", false},
			{"procedure=" + birth, true},
			{"procedure=" + lltp, false},
			{"code=" + url.QueryEscape(code[:len(code)-2]), true},
			{"code=KHONG-CO", false},
			{"procedure=" + birth + "&due=overdue&code=" + url.QueryEscape(code), true},
		}
		for _, f := range filters {
			p := b.get(t, "mot_cua", "/console/inbox?"+f.query)
			require.Equal(t, http.StatusOK, p.status)
			want := 0
			if f.shown {
				want = 1
			}
			require.Equal(t, want, count(t, p.body, "tr", row), f.query)
		}
		b.clock.Store(0)

		// Another role of the agency has nothing yet; a citizen has no inbox.
		p := b.get(t, "tu_phap", "/console/inbox")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 0, count(t, p.body, "tr", row))
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"id": "inbox-empty"}))
		p = b.get(t, "citizen", "/console/inbox")
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "Không có quyền truy cập")
	})

	t.Run("dossier lists", func(t *testing.T) {
		row := map[string]string{"class": "dossier-row", "data-code": code}
		for who, want := range map[string]int{"mot_cua": 1, "citizen": 1, "admin": 1, "stranger": 0, "cong_an": 0} {
			p := b.get(t, who, "/console/dossiers")
			require.Equal(t, http.StatusOK, p.status, who)
			require.Equal(t, want, count(t, p.body, "tr", row), who)
		}
		p := b.get(t, "mot_cua", "/console/dossiers?status=1")
		require.Equal(t, 1, count(t, p.body, "tr", row))
		p = b.get(t, "mot_cua", "/console/dossiers?status=10")
		require.Equal(t, 0, count(t, p.body, "tr", row))
		p = b.get(t, "analyst", "/console/dossiers")
		require.Equal(t, http.StatusForbidden, p.status)
	})

	t.Run("dossier page and who may act", func(t *testing.T) {
		p := b.get(t, "mot_cua", dossierPath)
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, code, text(t, p.body, "dossier-code"))
		require.Contains(t, text(t, p.body, "dossier-status"), "Mới đăng ký")
		require.Equal(t, 1, count(t, p.body, "table", map[string]string{"id": "timeline"}))
		require.Positive(t, count(t, p.body, "tr", map[string]string{"class": "event", "data-kind": dossier.EventSubmitted}))
		require.Contains(t, text(t, p.body, "form-data"), "Họ, chữ đệm và tên của trẻ Nguyễn Văn B")
		require.Contains(t, text(t, p.body, "form-data"), "01/07/2025")
		require.Contains(t, text(t, p.body, "components"), "tái sử dụng")
		require.Equal(t, 2, count(t, p.body, "a", map[string]string{"class": "preview"}))
		require.Positive(t, count(t, p.body, "tr", map[string]string{"class": "due-row", "data-kind": dossier.EventTaskOpened}))
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "actions"}))
		form := map[string]string{"class": "action-form", "data-task": reception.ID}
		require.Equal(t, 1, count(t, p.body, "form", form))
		for _, o := range []string{"accept", "supplement", "refuse"} {
			require.Equal(t, 1, count(t, p.body, "button", map[string]string{"name": "outcome", "value": o}), o)
		}
		require.Contains(t, p.body, "Tiếp nhận")
		require.Contains(t, p.body, "Yêu cầu bổ sung")
		require.Equal(t, 1, count(t, p.body, "textarea", map[string]string{"name": "items"}))
		require.Equal(t, 0, count(t, p.body, "form", map[string]string{"id": "extend-form"}), "not yet received: nothing to extend")

		for _, who := range []string{"tu_phap", "citizen", "admin"} {
			p = b.get(t, who, dossierPath)
			require.Equal(t, http.StatusOK, p.status, who)
			require.Equal(t, 1, count(t, p.body, "table", map[string]string{"id": "timeline"}), who)
			require.Equal(t, 0, count(t, p.body, "section", map[string]string{"id": "actions"}), who)
			require.Equal(t, 0, count(t, p.body, "form", map[string]string{"class": "action-form"}), who)
		}
		for _, who := range []string{"cong_an", "stranger", "analyst"} {
			p = b.get(t, who, dossierPath)
			require.Equal(t, http.StatusForbidden, p.status, who)
			require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "error", "data-status": "403"}), who)
			require.NotContains(t, p.body, "Nguyễn Văn B", who)
		}
		p = b.get(t, "mot_cua", "/console/dossiers/KHONG-CO-250101-0001")
		require.Equal(t, http.StatusNotFound, p.status)
		require.Contains(t, p.body, "Không tìm thấy hồ sơ KHONG-CO-250101-0001")
		require.Equal(t, testReqID, text(t, p.body, "request-id"))
	})

	t.Run("files", func(t *testing.T) {
		var pdf, png dossier.ComponentRef
		for _, c := range b.state(t, code).Components {
			switch c.ID {
			case "to_khai":
				pdf = c
			case "giay_chung_sinh":
				png = c
			}
		}
		require.NotEmpty(t, pdf.SHA256)
		p := b.get(t, "mot_cua", dossierPath+"/files/"+pdf.SHA256)
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, string(servicetest.PDF), p.body)
		require.Equal(t, "application/pdf", p.header.Get("Content-Type"))
		require.Equal(t, `attachment; filename=to_khai.pdf`, p.header.Get("Content-Disposition"))
		require.Equal(t, "nosniff", p.header.Get("X-Content-Type-Options"))
		require.Equal(t, "sandbox", p.header.Get("Content-Security-Policy"))
		p = b.get(t, "citizen", dossierPath+"/files/"+png.SHA256+"?inline=1")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, "image/png", p.header.Get("Content-Type"))
		require.Equal(t, `inline; filename=giay_chung_sinh.png`, p.header.Get("Content-Disposition"))
		p = b.get(t, "cong_an", dossierPath+"/files/"+pdf.SHA256)
		require.Equal(t, http.StatusForbidden, p.status)
		p = b.get(t, "mot_cua", dossierPath+"/files/"+strings.Repeat("0", 64))
		require.Equal(t, http.StatusNotFound, p.status)
	})

	t.Run("printable forms before their events", func(t *testing.T) {
		for _, form := range []string{"receipt", "supplement", "refusal", "apology", "stop"} {
			p := b.get(t, "mot_cua", dossierPath+"/print/"+form)
			require.Equal(t, http.StatusNotFound, p.status, form)
			require.Contains(t, p.body, "chưa có", form)
		}
		p := b.get(t, "mot_cua", dossierPath+"/print/other")
		require.Equal(t, http.StatusNotFound, p.status)
	})

	t.Run("refused actions write nothing", func(t *testing.T) {
		before := b.state(t, code)
		act := url.Values{"task": {reception.ID}, "outcome": {"supplement"}, "note": {"thiếu"}, "items": {"  \n "}}

		// The workflow refuses a supplement request without items: 409.
		p := b.post(t, "mot_cua", dossierPath+"/act", act)
		require.Equal(t, http.StatusConflict, p.status)
		require.Contains(t, text(t, p.body, "error"), "a supplement request must list the missing or wrong items")
		require.Equal(t, code, text(t, p.body, "dossier-code"), "the dossier page again")
		require.Contains(t, p.body, ">thiếu</textarea>", "the note is kept")

		// Another role of the agency: 403.
		p = b.post(t, "tu_phap", dossierPath+"/act", url.Values{"task": {reception.ID}, "outcome": {"accept"}})
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, text(t, p.body, "error"), "needs role mot_cua")

		// No such task: 409; no outcome: 422.
		p = b.post(t, "mot_cua", dossierPath+"/act", url.Values{"task": {"tham_dinh"}, "outcome": {"approve"}})
		require.Equal(t, http.StatusConflict, p.status)
		require.Contains(t, text(t, p.body, "error"), `không có công việc đang mở "tham_dinh"`)
		p = b.post(t, "mot_cua", dossierPath+"/act", url.Values{"task": {reception.ID}})
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		require.Contains(t, text(t, p.body, "error"), "Kết quả xử lý: hãy bấm một nút kết quả xử lý")

		// Another agency's officer: the dossier itself is hidden.
		p = b.post(t, "cong_an", dossierPath+"/act", url.Values{"task": {reception.ID}, "outcome": {"accept"}})
		require.Equal(t, http.StatusForbidden, p.status)

		// A cross-site form post never reaches the handler.
		p = b.do(t, "mot_cua", http.MethodPost, dossierPath+"/act", url.Values{"task": {reception.ID}, "outcome": {"accept"}},
			map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
		require.Equal(t, http.StatusForbidden, p.status)
		require.Contains(t, p.body, "trang web khác")
		p = b.do(t, "", http.MethodPost, "/console/login", url.Values{"token": {b.tokens["mot_cua"]}},
			map[string]string{"Origin": "http://evil.example"})
		require.Equal(t, http.StatusForbidden, p.status, "an old browser's cross-origin post (Origin only)")

		after := b.state(t, code)
		require.Len(t, after.Timeline, len(before.Timeline))
		require.Equal(t, before.Status, after.Status)

		denied, err := b.env.Store.AuditList(ctx(t), store.AuditListParams{Target: code, Action: "dossier.act", Decision: store.AuditDenied})
		require.NoError(t, err)
		require.NotEmpty(t, denied)
	})

	t.Run("supplement request through the console", func(t *testing.T) {
		p := b.do(t, "mot_cua", http.MethodPost, dossierPath+"/act", url.Values{"task": {reception.ID}, "outcome": {"supplement"},
			"note": {"Nộp bản rõ nét"}, "items": {"Giấy chứng sinh bị mờ, không đọc được\r\n\r\n  Tờ khai thiếu chữ ký  \r\n"}},
			map[string]string{"Origin": b.srv.URL, "Sec-Fetch-Site": "same-origin"})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		require.Equal(t, dossierPath, p.header.Get("Location"))
		flash := cookieOf(t, p.header, "motcua_flash")

		st := b.waitStatus(t, code, dossier.StatusSupplement)
		var asked dossier.Event
		for _, e := range st.Timeline {
			if e.Kind == dossier.EventSupplementAsked {
				asked = e
			}
		}
		require.Equal(t, "Giấy chứng sinh bị mờ, không đọc được; Tờ khai thiếu chữ ký — Nộp bản rõ nét", asked.Note)
		require.Equal(t, principals["mot_cua"].Subject, asked.Actor.ID, "the actor is the signed-in officer")

		p = b.get(t, "mot_cua", dossierPath, flash)
		require.Equal(t, http.StatusOK, p.status)
		require.Contains(t, text(t, p.body, "flash"), "Đã ghi nhận: Yêu cầu bổ sung")
		require.Equal(t, -1, cookieOf(t, p.header, "motcua_flash").MaxAge, "shown once")
		require.Contains(t, text(t, p.body, "dossier-status"), "Yêu cầu bổ sung giấy tờ")
		require.Positive(t, count(t, p.body, "tr", map[string]string{"class": "due-row", "data-kind": dossier.EventSupplementAsked}))
		require.Equal(t, 1, count(t, p.body, "a", map[string]string{"class": "print-link", "data-form": "supplement"}))

		p = b.get(t, "mot_cua", dossierPath+"/print/supplement")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, code, text(t, p.body, "dossier-code"))
		require.Contains(t, p.body, "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")
		require.Contains(t, p.body, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
		require.Contains(t, p.body, "Độc lập - Tự do - Hạnh phúc")
		require.Contains(t, p.body, "Ủy ban nhân dân cấp xã")
		require.Equal(t, "Giấy chứng sinh bị mờ, không đọc được Tờ khai thiếu chữ ký", text(t, p.body, "print-items"))
		require.Contains(t, p.body, "Nộp bản rõ nét")
		require.NotEmpty(t, text(t, p.body, "deadline"))
		require.Equal(t, principals["mot_cua"].Subject, text(t, p.body, "signer"))
		require.Contains(t, p.body, "NGƯỜI TIẾP NHẬN")
		require.Regexp(t, regexp.MustCompile(`ngày \d{2} tháng \d{2} năm \d{4}`), p.body)
		require.Contains(t, p.body, "Ctrl+P")
	})

	t.Run("receipt and refusal", func(t *testing.T) {
		_, err := b.env.Service.Supplement(ctx(t), code, service.SupplementRequest{ApplicantID: citizen, Note: "Bản rõ",
			Components: []service.Upload{{ID: "giay_chung_sinh", FileName: "gcs.jpg", Data: bytes.NewReader(servicetest.JPG)}}})
		require.NoError(t, err)
		again := b.waitTask(t, code, "tiep_nhan", reception.ID)
		p := b.post(t, "mot_cua", dossierPath+"/act", url.Values{"task": {again.ID}, "outcome": {"accept"}})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		st := b.waitStatus(t, code, dossier.StatusProcessing)

		p = b.get(t, "citizen", dossierPath+"/print/receipt")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, code, text(t, p.body, "dossier-code"))
		require.Contains(t, p.body, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
		require.Equal(t, st.AppointmentAt.In(dossier.Vietnam).Format("02/01/2006 15:04"), text(t, p.body, "appointment"))
		require.Contains(t, text(t, p.body, "print-components"), "Tờ khai đăng ký khai sinh")
		require.Contains(t, text(t, p.body, "print-components"), "tái sử dụng")
		require.Equal(t, principals["mot_cua"].Subject, text(t, p.body, "signer"))
		require.Contains(t, p.body, "Nhận kết quả điện tử", "the delivery the applicant chose")
		require.NotContains(t, p.body, "Theo đăng ký của người nộp hồ sơ")

		review := b.waitTask(t, code, "tham_dinh")
		p = b.get(t, "tu_phap", dossierPath)
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"class": "action-form", "data-task": review.ID}))
		p = b.post(t, "tu_phap", dossierPath+"/act", url.Values{"task": {review.ID}, "outcome": {"refuse"},
			"note": {"Người đi đăng ký không phải cha, mẹ của trẻ"}})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		b.waitStatus(t, code, dossier.StatusReturned)

		p = b.get(t, "mot_cua", dossierPath+"/print/refusal")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, code, text(t, p.body, "dossier-code"))
		require.Contains(t, p.body, "PHIẾU TỪ CHỐI TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ")
		require.Equal(t, "Người đi đăng ký không phải cha, mẹ của trẻ", text(t, p.body, "reasons"))
		require.Equal(t, principals["tu_phap"].Subject, text(t, p.body, "signer"))

		p = b.get(t, "mot_cua", dossierPath)
		require.Equal(t, 0, count(t, p.body, "section", map[string]string{"id": "actions"}))
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "result"}))
		for _, form := range []string{"apology", "stop"} {
			p = b.get(t, "mot_cua", dossierPath+"/print/"+form)
			require.Equal(t, http.StatusNotFound, p.status, form)
		}
	})

	t.Run("withdrawal and stop notice", func(t *testing.T) {
		st, err := b.env.Service.Submit(ctx(t), birthRequest())
		require.NoError(t, err)
		path := "/console/dossiers/" + url.PathEscape(st.Code)
		b.waitTask(t, st.Code, "tiep_nhan")
		_, err = b.env.Service.Withdraw(ctx(t), st.Code, workflows.WithdrawRequest{Actor: dossier.Actor{ID: citizen}, Reason: "Nộp nhầm thủ tục"})
		require.NoError(t, err)
		var stop store.TaskRow
		require.Eventually(t, func() bool {
			rows, err := b.env.Store.TaskList(ctx(t), store.TaskListParams{DossierCode: st.Code})
			require.NoError(t, err)
			for _, r := range rows {
				if r.Kind == "withdrawal" {
					stop = r
					return true
				}
			}
			return false
		}, 30*time.Second, 50*time.Millisecond)
		p := b.get(t, "mot_cua", "/console/inbox?code="+url.QueryEscape(st.Code))
		require.Equal(t, 1, count(t, p.body, "tr", map[string]string{"class": "task-row", "data-task": stop.ID}))
		p = b.post(t, "mot_cua", path+"/act", url.Values{"task": {stop.ID}, "outcome": {"stop"}, "note": {"Đồng ý cho rút"}})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		b.waitStatus(t, st.Code, dossier.StatusStopped)

		p = b.get(t, "mot_cua", path+"/print/stop")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, st.Code, text(t, p.body, "dossier-code"))
		require.Contains(t, p.body, "THÔNG BÁO DỪNG XỬ LÝ HỒ SƠ")
		require.Equal(t, "Nộp nhầm thủ tục", text(t, p.body, "withdraw-reason"))
		require.NotEmpty(t, text(t, p.body, "stopped-at"))
		require.Equal(t, principals["mot_cua"].Subject, text(t, p.body, "signer"))
	})

	t.Run("extension and apology", func(t *testing.T) {
		st, err := b.env.Service.Submit(ctx(t), lltpRequest())
		require.NoError(t, err)
		path := "/console/dossiers/" + url.PathEscape(st.Code)
		task := b.waitTask(t, st.Code, "tiep_nhan")
		p := b.get(t, "mot_cua", path)
		require.Equal(t, http.StatusForbidden, p.status, "another agency's dossier")
		p = b.post(t, "cong_an", path+"/act", url.Values{"task": {task.ID}, "outcome": {"accept"}})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		var cur dossier.State
		require.Eventually(t, func() bool {
			cur = b.state(t, st.Code)
			return !cur.AppointmentAt.IsZero()
		}, 30*time.Second, 50*time.Millisecond)

		p = b.get(t, "cong_an", path)
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "extend-form"}))
		p = b.get(t, "citizen", path)
		require.Equal(t, 0, count(t, p.body, "form", map[string]string{"id": "extend-form"}))

		p = b.post(t, "cong_an", path+"/extend", url.Values{"new_appointment": {"ngày mai"}, "reason": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, p.status)
		require.Contains(t, text(t, p.body, "error"), "Lý do: chưa nêu lý do gia hạn")
		p = b.post(t, "cong_an", path+"/extend", url.Values{"new_appointment": {"2020-01-01T08:00"}, "reason": {"Chờ xác minh"}})
		require.Equal(t, http.StatusConflict, p.status)
		require.Contains(t, text(t, p.body, "error"), "must be after the current one")

		newAt := cur.AppointmentAt.In(dossier.Vietnam).AddDate(0, 0, 3).Truncate(time.Minute)
		p = b.post(t, "cong_an", path+"/extend", url.Values{"new_appointment": {newAt.Format("2006-01-02T15:04")},
			"reason": {"Chờ Tòa án xác minh thông tin án tích"}})
		require.Equal(t, http.StatusSeeOther, p.status, p.body)
		require.Eventually(t, func() bool { return b.state(t, st.Code).Extended }, 30*time.Second, 50*time.Millisecond)

		p = b.get(t, "cong_an", path)
		require.Equal(t, 0, count(t, p.body, "form", map[string]string{"id": "extend-form"}), "once only")
		require.Equal(t, 1, count(t, p.body, "span", map[string]string{"class": "extended-mark"}))
		require.Equal(t, fmtTime(cur.AppointmentAt), text(t, p.body, "original-appointment"))
		require.Positive(t, count(t, p.body, "tr", map[string]string{"class": "due-row", "data-kind": dossier.EventExtended}))

		p = b.get(t, "cong_an", path+"/print/apology")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, st.Code, text(t, p.body, "dossier-code"))
		require.Contains(t, p.body, "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ")
		require.Equal(t, fmtTime(cur.AppointmentAt), text(t, p.body, "original-appointment"))
		require.Equal(t, fmtTime(newAt), text(t, p.body, "new-appointment"))
		require.Equal(t, "Chờ Tòa án xác minh thông tin án tích", text(t, p.body, "reasons"))
		require.Contains(t, p.body, "Công an tỉnh (Phòng Hồ sơ nghiệp vụ)")
		p = b.get(t, "cong_an", path+"/print/receipt")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, fmtTime(cur.AppointmentAt), text(t, p.body, "appointment"), "the receipt keeps the original date")
	})

	t.Run("procedures", func(t *testing.T) {
		p := b.get(t, "citizen", "/console/procedures")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, len(b.env.Catalog.Plans()), count(t, p.body, "tr", map[string]string{"class": "procedure-row"}))
		require.Contains(t, p.body, "Toàn trình, Một phần")

		for _, plan := range b.env.Catalog.Plans() {
			p = b.get(t, "analyst", "/console/procedures/"+url.PathEscape(plan.Code))
			require.Equal(t, http.StatusOK, p.status, plan.Code)
			require.Equal(t, len(plan.Modes), count(t, p.body, "section", map[string]string{"class": "mode"}), plan.Code)
			require.Equal(t, len(plan.Modes), strings.Count(p.body, "<svg"), plan.Code)
			for _, m := range plan.Modes {
				require.Equal(t, 1, count(t, p.body, "section", map[string]string{"class": "mode", "data-mode": m.Mode}))
			}
			require.Equal(t, plan.Hash, text(t, p.body, "procedure-hash"))
		}
		p = b.get(t, "analyst", "/console/procedures/"+birth)
		require.Contains(t, p.body, "trong ngày (nhận trước 15:00)")
		require.Contains(t, p.body, "Luật Hộ tịch số 60/2014/QH13")
		require.Contains(t, p.body, "CSDL quốc gia về dân cư")
		p = b.get(t, "analyst", "/console/procedures/9.999999")
		require.Equal(t, http.StatusNotFound, p.status)
	})
}

// fmtTime writes an instant as the console does.
func fmtTime(t time.Time) string { return t.In(dossier.Vietnam).Format("02/01/2006 15:04") }

// cells returns the texts of the cells of the first row of a page that
// matches tag and attrs, inside the first element with the id within (""
// for the whole page).
func cells(t *testing.T, body, within string, attrs map[string]string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(body))
	require.NoError(t, err)
	var find func(*html.Node, func(*html.Node) bool) *html.Node
	find = func(node *html.Node, ok func(*html.Node) bool) *html.Node {
		if node.Type == html.ElementNode && ok(node) {
			return node
		}
		for c := node.FirstChild; c != nil; c = c.NextSibling {
			if n := find(c, ok); n != nil {
				return n
			}
		}
		return nil
	}
	root := doc
	if within != "" {
		root = find(doc, func(n *html.Node) bool { return matches(n, map[string]string{"id": within}) })
		require.NotNil(t, root, "no element #%s", within)
	}
	row := find(root, func(n *html.Node) bool { return n.Data == "tr" && matches(n, attrs) })
	require.NotNil(t, row, "no row %v", attrs)
	var out []string
	for c := row.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.Data == "td" || c.Data == "th") {
			var sb strings.Builder
			var collect func(*html.Node)
			collect = func(n *html.Node) {
				if n.Type == html.TextNode {
					sb.WriteString(n.Data)
				}
				for k := n.FirstChild; k != nil; k = k.NextSibling {
					collect(k)
				}
			}
			collect(c)
			out = append(out, strings.TrimSpace(sb.String()))
		}
	}
	return out
}

// attrOf returns an attribute of the first element with the id.
func attrOf(t *testing.T, body, id, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<[a-z]+ [^>]*id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	require.NotEmpty(t, m, "no element #%s", id)
	v := regexp.MustCompile(` ` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(m)
	require.Len(t, v, 2, "#%s has no %s: %s", id, name, m)
	return html.UnescapeString(v[1])
}

// TestIndicators reads the indicators' fixture (indicatorstest: dossiers
// A–X of February to May 2025, agencies phong_kinh_te, ubnd_xa and so_cu)
// written to the engine's read model, through the console.
func TestIndicators(t *testing.T) {
	b := setup(t)
	require.NoError(t, indicatorstest.Apply(ctx(t), b.env.Store))
	const march = "/console/indicators?from=2025-03-01&to=2025-03-31"
	figure := func(id string) map[string]string { return map[string]string{"class": "figure-row", "data-figure": id} }

	t.Run("navigation", func(t *testing.T) {
		for who, shown := range map[string]bool{"analyst": true, "admin": true, "mot_cua": true, "citizen": false} {
			p := b.get(t, who, "/console/procedures")
			require.Equal(t, http.StatusOK, p.status, who)
			n := count(t, p.body, "a", map[string]string{"id": "nav-indicators", "href": "/console/indicators"})
			require.Equal(t, shown, n == 1, who)
		}
	})

	t.Run("analyst", func(t *testing.T) {
		p := b.get(t, "analyst", march)
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 1, count(t, p.body, "main", map[string]string{"class": "page-indicators"}))
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "indicator-filters", "method": "get"}))
		for _, id := range []string{"filter-from", "filter-to", "filter-agency", "filter-procedure", "filter-sector", "filter-by"} {
			require.Equal(t, 1, count(t, p.body, "", map[string]string{"id": id}), id)
		}
		require.Equal(t, "2025-03-01", attrOf(t, p.body, "filter-from", "value"))
		require.Equal(t, "2025-03-31", attrOf(t, p.body, "filter-to", "value"))
		require.Equal(t, "Kỳ báo cáo: 01/03/2025 – 31/03/2025, số liệu chốt lúc 01/04/2025 00:00", text(t, p.body, "indicators-period"))
		// The fixture's hand-computed figures of March, in Vietnamese.
		require.Equal(t, []string{"Tỷ lệ hồ sơ đúng hạn (trước hạn, đúng hạn và đang trong hạn)", "61,90%", "13 / 21"},
			cells(t, p.body, "", figure("on_time_rate")))
		require.Equal(t, []string{"Hồ sơ tiếp nhận trong kỳ", "20", ""}, cells(t, p.body, "", figure("received")))
		require.Equal(t, []string{"Thời gian giải quyết trung bình (ngày làm việc)", "3,22 ngày", "29 / 9"},
			cells(t, p.body, "", figure("avg_handling_days")))
		require.Equal(t, []string{"Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia", "80,00%", "16 / 20"},
			cells(t, p.body, "", figure("sync_rate")))
		require.Equal(t, []string{"Tỷ lệ hồ sơ bị phản ánh, kiến nghị", "9,52%", "2 / 21"}, cells(t, p.body, "", figure("complaint_rate")))
		require.Equal(t, []string{"Mức độ hài lòng", "57,14%", "12 / 21"}, cells(t, p.body, "", figure("satisfaction_rate")))
		require.Equal(t, []string{"Tỷ lệ dịch vụ công trực tuyến phát sinh hồ sơ trực tuyến", "33,33%", "2 / 6"},
			cells(t, p.body, "catalog-figures", figure("online_services_used")))
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"class": "indicator-group", "data-key": ""}))
		require.Contains(t, text(t, p.body, "indicator-notes"), "procedure X.999999 is not in the catalog: T")
		require.NotContains(t, p.body, "<script", "no JavaScript")

		// The charts, inline as images of the console's own route.
		trend := attrOf(t, p.body, "chart-trend", "src")
		channels := attrOf(t, p.body, "chart-channels", "src")
		for src, kind := range map[string]string{trend: "trend", channels: "channels"} {
			u, err := url.Parse(src)
			require.NoError(t, err)
			require.Equal(t, "/console/indicators/chart", u.Path)
			require.Equal(t, kind, u.Query().Get("kind"))
			require.Equal(t, "month", u.Query().Get("by"))
			require.Equal(t, "2025-03-01", u.Query().Get("from"))
			c := b.get(t, "analyst", src)
			require.Equal(t, http.StatusOK, c.status, c.body)
			require.Equal(t, "image/svg+xml", c.header.Get("Content-Type"))
			dec := xml.NewDecoder(strings.NewReader(c.body))
			for {
				_, err := dec.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err, "the SVG parses")
			}
			require.Contains(t, c.body, ">03/2025<")
		}
		require.NotEmpty(t, attrOf(t, p.body, "chart-trend", "alt"))

		// Grouped: a section per agency; the channel mix follows the grouping.
		p = b.get(t, "analyst", march+"&by=agency")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 3, count(t, p.body, "section", map[string]string{"class": "indicator-group"}))
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"class": "indicator-group", "data-key": "so_cu"}))
		require.Equal(t, 1, count(t, p.body, "option", map[string]string{"value": "agency", "selected": ""}))
		u, err := url.Parse(attrOf(t, p.body, "chart-channels", "src"))
		require.NoError(t, err)
		require.Equal(t, "agency", u.Query().Get("by"))
		c := b.get(t, "analyst", u.String())
		require.Equal(t, http.StatusOK, c.status)
		require.Contains(t, c.body, "Ủy ban nhân dân cấp xã")
		require.Equal(t, []string{"Tỷ lệ hồ sơ đúng hạn (trước hạn, đúng hạn và đang trong hạn)", "61,11%", "11 / 18"},
			cells(t, p.body, "", figure("on_time_rate")), "phong_kinh_te comes first")

		// No dossier: the catalog figures, no chart.
		p = b.get(t, "admin", march+"&procedure=9.000001")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"id": "indicators-empty"}))
		require.Equal(t, 0, count(t, p.body, "img", nil))
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "catalog-figures"}))
		c = b.get(t, "admin", "/console/indicators/chart?from=2025-03-01&to=2025-03-31&procedure=9.000001&kind=trend")
		require.Equal(t, http.StatusNotFound, c.status)
	})

	t.Run("officers see their agency", func(t *testing.T) {
		for _, path := range []string{march, march + "&agency=ubnd_xa"} {
			p := b.get(t, "mot_cua", path)
			require.Equal(t, http.StatusOK, p.status, p.body)
			require.Equal(t, []string{"Hồ sơ giải quyết trong kỳ (tiếp nhận trong kỳ và tồn kỳ trước chuyển sang)", "2", ""},
				cells(t, p.body, "", figure("handled")), "R and S")
			require.Equal(t, 1, count(t, p.body, "p", map[string]string{"id": "agency-note"}))
			require.Contains(t, text(t, p.body, "indicators-period"), "Lọc: cơ quan Ủy ban nhân dân cấp xã")
			src := attrOf(t, p.body, "chart-trend", "src")
			require.Contains(t, src, "agency=ubnd_xa")
			require.Equal(t, http.StatusOK, b.get(t, "mot_cua", src).status)
		}
		// The agency select offers theirs only.
		p := b.get(t, "mot_cua", march)
		agencies := regexp.MustCompile(`(?s)<select id="filter-agency".*?</select>`).FindString(p.body)
		require.Equal(t, 1, strings.Count(agencies, "<option"), agencies)
		require.Contains(t, agencies, `value="ubnd_xa"`)

		for _, path := range []string{march + "&agency=phong_kinh_te", "/console/indicators/chart?agency=phong_kinh_te&kind=channels"} {
			p = b.get(t, "mot_cua", path)
			require.Equal(t, http.StatusForbidden, p.status, path)
			require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "error", "data-status": "403"}))
			require.Contains(t, p.body, "phong_kinh_te is not yours (ubnd_xa)")
		}
		// Another agency without dossiers: nothing in the period.
		p = b.get(t, "cong_an", march)
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"id": "indicators-empty"}))
	})

	t.Run("citizens are refused", func(t *testing.T) {
		for _, path := range []string{march, "/console/indicators/chart?from=2025-03-01&to=2025-03-31"} {
			p := b.get(t, "citizen", path)
			require.Equal(t, http.StatusForbidden, p.status, path)
			require.NotContains(t, p.body, "figure-row")
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		p := b.get(t, "analyst", "/console/indicators?from=2025/03/01&to=2025-03-31")
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), "Tham số báo cáo chưa hợp lệ (Từ ngày)")
		require.Contains(t, text(t, p.body, "error"), `from "2025/03/01": write YYYY-MM-DD`)
		require.Equal(t, "2025/03/01", attrOf(t, p.body, "filter-from", "value"), "the form keeps what was typed")
		require.Equal(t, 0, count(t, p.body, "tr", map[string]string{"class": "figure-row"}))

		p = b.get(t, "analyst", march+"&sector=Kh%C3%B4ng+c%C3%B3")
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), `no procedure of the catalog is in sector "Không có"`)

		p = b.get(t, "analyst", "/console/indicators/chart?from=2025-03-01&to=2025-03-31&by=agency&kind=trend")
		require.Equal(t, http.StatusBadRequest, p.status)
		p = b.get(t, "analyst", "/console/indicators/chart?from=2025-03-01&to=2025-03-31&kind=pie")
		require.Equal(t, http.StatusBadRequest, p.status)
	})

	t.Run("default period", func(t *testing.T) {
		// Without dates: 1 January of the console's year to its today.
		b.clock.Store(indicatorstest.VN(4, 15, 10, 0).UnixNano())
		defer b.clock.Store(0)
		p := b.get(t, "analyst", "/console/indicators")
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, "2025-01-01", attrOf(t, p.body, "filter-from", "value"))
		require.Equal(t, "2025-04-15", attrOf(t, p.body, "filter-to", "value"))
		require.Equal(t, "Kỳ báo cáo: 01/01/2025 – 15/04/2025 10:00, số liệu chốt lúc 15/04/2025 10:00", text(t, p.body, "indicators-period"))
	})
}

// TestAnalysis reads the analysis' fixture (analysistest: procedure
// 9.000001 before and after its re-engineering, March 2025) written to the
// engine's read model, through the console.
func TestAnalysis(t *testing.T) {
	b := setup(t)
	require.NoError(t, analysistest.Apply(ctx(t), b.env.Store))
	const (
		page  = "/console/procedures/9.000001/analysis"
		march = page + "?to=2025-03-31" // judged at 01/04/2025 00:00
	)
	figure := func(id string) map[string]string { return map[string]string{"class": "figure-row", "data-figure": id} }
	step := func(key string) map[string]string { return map[string]string{"class": "step-row", "data-step": key} }

	t.Run("link on the procedure page", func(t *testing.T) {
		for who, shown := range map[string]bool{"analyst": true, "admin": true, "mot_cua": false, "citizen": false} {
			p := b.get(t, who, "/console/procedures/9.000001")
			require.Equal(t, http.StatusOK, p.status, who)
			n := count(t, p.body, "a", map[string]string{"id": "procedure-analysis", "href": page})
			require.Equal(t, shown, n == 1, who)
			if shown {
				require.Equal(t, "Phân tích trước/sau tái cấu trúc", text(t, p.body, "procedure-analysis"))
			}
		}
	})

	t.Run("analyst", func(t *testing.T) {
		p := b.get(t, "analyst", march)
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 1, count(t, p.body, "main", map[string]string{"class": "page-analysis"}))
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "analysis-filters", "method": "get", "action": page}))
		for _, id := range []string{"filter-from", "filter-to", "filter-before", "filter-after"} {
			require.Equal(t, 1, count(t, p.body, "", map[string]string{"id": id}), id)
		}
		require.Equal(t, "2025-03-03", attrOf(t, p.body, "filter-from", "value"), "the first dossier's day")
		require.Equal(t, "2025-03-31", attrOf(t, p.body, "filter-to", "value"))
		require.Equal(t, 3, count(t, p.body, "option", nil)/2, "default, 2025.1 and 2025.2 in each select")
		require.Equal(t, "Hồ sơ tiếp nhận: 03/03/2025 – 31/03/2025, số liệu chốt lúc 01/04/2025 00:00", text(t, p.body, "analysis-period"))
		require.Equal(t, 2, count(t, p.body, "section", map[string]string{"class": "analysis-version"}))
		require.NotContains(t, p.body, "<script", "no JavaScript")

		// 2025.1, computed by hand in analysistest.
		v1 := "version-2025.1"
		require.Equal(t, "2025.1", attrOf(t, p.body, v1, "data-version"))
		for id, want := range map[string][]string{
			"dossiers":               {"Hồ sơ tiếp nhận", "3", ""},
			"online":                 {"Hồ sơ nộp trực tuyến", "33,33%", "1 / 3"},
			"processed":              {"Hồ sơ đã xử lý xong", "2", ""},
			"on_time_rate":           {"Tỷ lệ giải quyết đúng hạn", "66,66%", "2 / 3"},
			"handling_mean":          {"Thời gian giải quyết trung bình (ngày làm việc)", "3,56 ngày", ""},
			"handling_p50":           {"Thời gian giải quyết, trung vị (ngày làm việc)", "3,12 ngày", ""},
			"handling_p90":           {"Thời gian giải quyết, phân vị 90 (ngày làm việc)", "4,00 ngày", ""},
			"supplemented":           {"Tỷ lệ hồ sơ phải bổ sung", "33,33%", "1 / 3"},
			"visits":                 {"Số lần công dân đến trực tiếp", "5", "1,67 lần / hồ sơ"},
			"visits_submission":      {"— nộp hồ sơ tại Bộ phận một cửa", "2", ""},
			"visits_supplement":      {"— mang hồ sơ bổ sung đến", "1", ""},
			"visits_payment":         {"— nộp phí, lệ phí tại quầy", "1", ""},
			"visits_in_person_steps": {"— có mặt ở bước trực tiếp (xuất trình bản chính, kiểm tra thực địa)", "chưa đếm được", ""},
			"visits_pickup":          {"— nhận kết quả tại quầy", "1", ""},
			"dossiers_without_visit": {"Hồ sơ công dân không phải đến lần nào", "1", ""},
		} {
			require.Equal(t, want, cells(t, p.body, v1, figure(id)), id)
		}
		require.Equal(t, []string{"anh_hien_trang", "33,33%", "1 / 3"},
			cells(t, p.body, v1, map[string]string{"class": "component-row", "data-component": "anh_hien_trang"}))
		// The bottleneck: 2 inspections, median 10 h of 8, both late, 10 of
		// the 12 hours of lateness.
		require.Equal(t, []string{"kiem_tra_thuc_dia điểm nghẽn", "2", "10,00", "16,00", "8,00", "100,00% (2 / 2)", "83,33%"},
			cells(t, p.body, v1, step("kiem_tra_thuc_dia")))
		require.Equal(t, 1, count(t, p.body, "tr", map[string]string{"class": "bottleneck", "data-step": "kiem_tra_thuc_dia"}))
		require.Equal(t, 2, count(t, p.body, "span", map[string]string{"class": "bottleneck-mark"}), "one per version")
		sup := cells(t, p.body, v1, step("tham_dinh.supplement"))
		require.Contains(t, sup[0], "(thời gian của công dân)")
		require.Equal(t, "", sup[6], "the applicant's time has no share of the lateness")
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"class": "version-unknown"}), "2025.1 is not in the catalog")

		// 2025.2, the catalog's: named steps, ky_giay_phep the bottleneck.
		v2 := "version-2025.2"
		require.Equal(t, []string{"Tỷ lệ giải quyết đúng hạn", "100,00%", "2 / 2"}, cells(t, p.body, v2, figure("on_time_rate")))
		require.Equal(t, []string{"— có mặt ở bước trực tiếp (xuất trình bản chính, kiểm tra thực địa)", "0", ""},
			cells(t, p.body, v2, figure("visits_in_person_steps")))
		ky := cells(t, p.body, v2, step("ky_giay_phep"))
		require.Contains(t, ky[0], "ky_giay_phep")
		require.Contains(t, ky[0], "điểm nghẽn")
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"class": "components-empty"}))

		// The comparison.
		require.Equal(t, "2025.1", attrOf(t, p.body, "comparison", "data-before"))
		require.Equal(t, "2025.2", attrOf(t, p.body, "comparison", "data-after"))
		change := func(id string) map[string]string { return map[string]string{"class": "change-row", "data-change": id} }
		for id, want := range map[string][]string{
			"dossiers":           {"Số hồ sơ tiếp nhận", "3", "2", ""},
			"on_time_rate":       {"Tỷ lệ giải quyết đúng hạn", "66,66%", "100,00%", "tốt hơn"},
			"handling_mean":      {"Thời gian giải quyết trung bình", "3,56 ngày", "2,00 ngày", "tốt hơn"},
			"visits_per_dossier": {"Số lần công dân đến trực tiếp / hồ sơ", "1,67 lần", "0,00 lần", "tốt hơn"},
			"online_share":       {"Tỷ lệ hồ sơ nộp trực tuyến", "33,33%", "100,00%", "tốt hơn"},
		} {
			require.Equal(t, want, cells(t, p.body, "comparison-table", change(id)), id)
		}
		require.Equal(t, 1, count(t, p.body, "tr", map[string]string{"data-change": "on_time_rate", "data-verdict": "better"}))
		require.Equal(t, 1, count(t, p.body, "tr", map[string]string{"data-change": "dossiers", "data-verdict": ""}))
		stepChange := func(key string) map[string]string { return map[string]string{"class": "step-change", "data-step": key} }
		require.Equal(t, []string{"kiem_tra_thuc_dia", "10,00", "8,00", "không có bước này", ""},
			cells(t, p.body, "step-comparison", stepChange("kiem_tra_thuc_dia")), "removed by the re-engineering")
		require.Equal(t, "không có bước này", cells(t, p.body, "step-comparison", stepChange("doi_chieu_hien_trang"))[1], "added")

		// The steps chart of the later version, inline as an image of the
		// console's own route.
		src := attrOf(t, p.body, "chart-steps", "src")
		require.NotEmpty(t, attrOf(t, p.body, "chart-steps", "alt"))
		u, err := url.Parse(src)
		require.NoError(t, err)
		require.Equal(t, page+"/chart", u.Path)
		require.Equal(t, "2025-03-31", u.Query().Get("to"))
		c := b.get(t, "analyst", src)
		require.Equal(t, http.StatusOK, c.status, c.body)
		require.Equal(t, "image/svg+xml", c.header.Get("Content-Type"))
		dec := xml.NewDecoder(strings.NewReader(c.body))
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			require.NoError(t, err, "the SVG parses")
		}
		require.Contains(t, c.body, "Thủ tục 9.000001, phiên bản 2025.2: thời gian từng bước")

		// The versions asked for, the other way round: the chart follows.
		p = b.get(t, "admin", march+"&before=2025.2&after=2025.1")
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 1, count(t, p.body, "option", map[string]string{"value": "2025.2", "selected": ""}))
		require.Equal(t, "2025.1", attrOf(t, p.body, "comparison", "data-after"))
		c = b.get(t, "admin", attrOf(t, p.body, "chart-steps", "src"))
		require.Equal(t, http.StatusOK, c.status)
		require.Contains(t, c.body, "phiên bản 2025.1")

		// One version in the period: nothing to compare.
		p = b.get(t, "analyst", page+"?from=2025-03-24&to=2025-03-31")
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 1, count(t, p.body, "p", map[string]string{"id": "comparison-none"}))
		require.Equal(t, 1, count(t, p.body, "img", map[string]string{"id": "chart-steps"}))

		// On 17/03, 2025.1 received OA3 only, its inspection still open:
		// no chart of it.
		q := "?from=2025-03-17&to=2025-03-17&before=2025.2&after=2025.1"
		p = b.get(t, "analyst", page+q)
		require.Equal(t, http.StatusOK, p.status, p.body)
		require.Equal(t, 0, count(t, p.body, "img", nil))
		c = b.get(t, "analyst", page+"/chart"+q)
		require.Equal(t, http.StatusNotFound, c.status)
	})

	t.Run("officers and citizens are refused", func(t *testing.T) {
		for _, who := range []string{"mot_cua", "citizen"} {
			for _, path := range []string{march, page + "/chart?to=2025-03-31", "/console/procedures/0.000000/analysis"} {
				p := b.get(t, who, path)
				require.Equal(t, http.StatusForbidden, p.status, "%s %s", who, path)
				require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "error", "data-status": "403"}))
				require.Contains(t, p.body, "Chỉ chuyên viên phân tích và quản trị viên xem được phân tích thủ tục")
				require.NotContains(t, p.body, "figure-row")
			}
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		p := b.get(t, "analyst", page+"?from=2025/03/01&to=2025-03-31")
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), "Tham số phân tích chưa hợp lệ (Từ ngày)")
		require.Contains(t, text(t, p.body, "error"), `from "2025/03/01": write YYYY-MM-DD`)
		require.Equal(t, "2025/03/01", attrOf(t, p.body, "filter-from", "value"), "the form keeps what was typed")
		require.Equal(t, 0, count(t, p.body, "section", map[string]string{"class": "analysis-version"}))

		p = b.get(t, "analyst", march+"&before=2024.1&after=2025.2")
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), "Tham số phân tích chưa hợp lệ (Phiên bản trước)")
		require.Contains(t, text(t, p.body, "error"), `version "2024.1" of 9.000001 has no dossier in the period`)
		// The selects offer the versions with dossiers, and keep the one asked.
		before := regexp.MustCompile(`(?s)<select id="filter-before".*?</select>`).FindString(p.body)
		require.Contains(t, before, `value="2025.1"`)
		require.Contains(t, before, `value="2025.2"`)
		require.Contains(t, before, `<option value="2024.1" selected>`)

		require.Contains(t, before, `<option value="2024.1" selected>2024.1 (không có hồ sơ trong kỳ)</option>`)

		p = b.get(t, "analyst", march+"&before=2025.1")
		require.Equal(t, http.StatusBadRequest, p.status)
		require.Contains(t, text(t, p.body, "error"), "(Phiên bản sau)")
		require.Equal(t, 2, count(t, p.body, "option", map[string]string{"value": "2025.2"}),
			"the versions with dossiers are offered in both selects")
		require.Equal(t, 1, count(t, p.body, "option", map[string]string{"value": "2025.1", "selected": ""}))

		for _, path := range []string{page + "/chart?from=2025-13-01", page + "/chart?to=2025-03-31&before=2025.2&after=2025.2"} {
			c := b.get(t, "analyst", path)
			require.Equal(t, http.StatusBadRequest, c.status, path)
		}
	})

	t.Run("no dossier", func(t *testing.T) {
		// In the catalog, no dossier: the form stays, to pick another period.
		p := b.get(t, "analyst", "/console/procedures/"+birth+"/analysis")
		require.Equal(t, http.StatusNotFound, p.status)
		require.Equal(t, 1, count(t, p.body, "form", map[string]string{"id": "analysis-filters"}))
		require.Contains(t, text(t, p.body, "error"), "Không có hồ sơ nào của thủ tục 1.001193")
		p = b.get(t, "analyst", page+"?from=2025-02-01&to=2025-02-28")
		require.Equal(t, http.StatusNotFound, p.status)
		require.Equal(t, "2025-02-01", attrOf(t, p.body, "filter-from", "value"))
		// Neither in the catalog nor in the read model.
		p = b.get(t, "analyst", "/console/procedures/0.000000/analysis")
		require.Equal(t, http.StatusNotFound, p.status)
		require.Equal(t, 1, count(t, p.body, "section", map[string]string{"id": "error", "data-status": "404"}))
		require.Contains(t, p.body, "Không có thủ tục 0.000000 trong danh mục")
	})

	t.Run("default period", func(t *testing.T) {
		// Without dates: from the first dossier's day up to the console's now.
		b.clock.Store(analysistest.VN(4, 15, 10, 0).UnixNano())
		defer b.clock.Store(0)
		p := b.get(t, "analyst", page)
		require.Equal(t, http.StatusOK, p.status)
		require.Equal(t, "2025-03-03", attrOf(t, p.body, "filter-from", "value"))
		require.Equal(t, "2025-04-15", attrOf(t, p.body, "filter-to", "value"))
		require.Equal(t, "Hồ sơ tiếp nhận: 03/03/2025 – 15/04/2025 10:00, số liệu chốt lúc 15/04/2025 10:00", text(t, p.body, "analysis-period"))
	})
}
