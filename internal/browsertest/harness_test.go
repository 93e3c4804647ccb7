package browsertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/httpserver"
	"github.com/motcua/motcua/internal/service/servicetest"
)

const (
	birth      = "1.001193"
	citizenID  = "079090001234"
	tokMotCua  = "tok-mot-cua-ubnd-xa-0001"
	tokTuPhap  = "tok-tu-phap-ubnd-xa-0001"
	tokChuTich = "tok-chu-tich-ubnd-xa-0001"
	tokCitizen = "tok-citizen-079090001234"
)

const tokensFile = `tokens:
  - {token: ` + tokMotCua + `, subject: cb-mot-cua, name: "Trần Thị Bình", kind: officer, roles: [mot_cua], agency: ubnd_xa}
  - {token: ` + tokTuPhap + `, subject: cb-tu-phap, name: "Lê Văn Cường", kind: officer, roles: [tu_phap_ho_tich], agency: ubnd_xa}
  - {token: ` + tokChuTich + `, subject: cb-chu-tich, name: "Phạm Thị Dung", kind: officer, roles: [chu_tich_xa], agency: ubnd_xa}
  - {token: ` + tokCitizen + `, subject: ` + citizenID + `, name: "Nguyễn Văn A", kind: citizen}
`

const (
	// browserTimeout bounds everything one browser does in a test.
	browserTimeout = 90 * time.Second
	// stepTimeout bounds one step: a navigation, a click and its page.
	stepTimeout = 30 * time.Second
	// settleTimeout bounds a wait for the eventually consistent read
	// model or for the workflow to open a task.
	settleTimeout = 30 * time.Second
)

// env is the front door (API and console) over a real engine.
type env struct {
	t      *testing.T
	engine *servicetest.Env
	srv    *httpserver.Server
	base   string
}

// startEnv starts an engine over a copy of the example definitions and
// the front door on a free port; both stop when the test ends.
func startEnv(t *testing.T) *env {
	t.Helper()
	defs := t.TempDir()
	require.NoError(t, os.CopyFS(defs, os.DirFS("../../definitions")))
	eng := servicetest.Start(t, defs)
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte(tokensFile), 0o600))
	srv, err := httpserver.Start(t.Context(), httpserver.Config{
		Listen:     "127.0.0.1:0",
		Auth:       auth.Config{Tokens: tokens},
		FilesDir:   filepath.Join(eng.DataDir, "files"),
		ResultsDir: filepath.Join(eng.DataDir, "results"),
		Roots:      eng.Roots,
		Catalog:    eng.Catalog,
		Client:     eng.Client,
		Store:      eng.Store,
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Errorf("stopping the front door: %v", err)
		}
	})
	return &env{t: t, engine: eng, srv: srv, base: srv.URL()}
}

// part is one part of a multipart body: a field, or a file when file is set.
type part struct{ name, value, file string }

// postMultipart sends a multipart body to the API with a bearer token and
// returns the status and the body.
func (e *env) postMultipart(path, token string, parts ...part) (int, []byte) {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.file != "" {
			fw, err := w.CreateFormFile(p.name, p.file)
			require.NoError(e.t, err)
			_, err = fw.Write([]byte(p.value))
			require.NoError(e.t, err)
			continue
		}
		require.NoError(e.t, w.WriteField(p.name, p.value))
	}
	require.NoError(e.t, w.Close())
	req, err := http.NewRequestWithContext(e.t.Context(), http.MethodPost, e.base+path, &buf)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp.StatusCode, body
}

// birthParts is a valid full-online birth registration (as in the API's tests).
func birthParts() []part {
	return []part{
		{name: "procedure", value: birth}, {name: "mode", value: "full_online"}, {name: "channel", value: "online"},
		{name: "delivery", value: "e_result"},
		{name: "applicant.name", value: "Nguyễn Văn A"}, {name: "applicant.contact", value: "a@example.vn"},
		{name: "form.child_name", value: "Nguyễn Văn B"}, {name: "form.birth_date", value: "2025-07-01"},
		{name: "form.gender", value: "Nam"}, {name: "form.birth_place", value: "Bệnh viện Đa khoa tỉnh Tây Ninh"},
		{name: "form.via_representative", value: "false"},
		{name: "reused", value: "giay_to_tuy_than"},
		{name: "to_khai", value: string(servicetest.PDF), file: "to_khai.pdf"},
		{name: "giay_chung_sinh", value: string(servicetest.PNG), file: "giay_chung_sinh.png"},
	}
}

// submitBirth submits a birth registration as the citizen through the API
// and returns its state.
func (e *env) submitBirth() dossier.State {
	e.t.Helper()
	status, body := e.postMultipart("/v1/dossiers", tokCitizen, birthParts()...)
	require.Equal(e.t, http.StatusCreated, status, "submitting: %s", body)
	var st dossier.State
	require.NoError(e.t, json.Unmarshal(body, &st), "%s", body)
	require.NotEmpty(e.t, st.Code)
	return st
}

// state is the dossier's state as the engine has it.
func (e *env) state(code string) dossier.State {
	e.t.Helper()
	st, err := e.engine.Service.Status(e.t.Context(), code)
	require.NoError(e.t, err)
	return st
}

// chromium is the browser binary: MOTCUA_CHROMIUM, else /usr/bin/chromium,
// else chromium on PATH. Without one the test is skipped.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MOTCUA_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("MOTCUA_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("browser tests need Chromium: none at /usr/bin/chromium nor on PATH; " +
		"install it (Debian/Ubuntu: apt-get install chromium) or set MOTCUA_CHROMIUM to its binary")
	return ""
}

// artifactsDir is where screenshots go: MOTCUA_TEST_ARTIFACTS, else
// <repository root>/.artifacts/browser.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MOTCUA_TEST_ARTIFACTS")
	if dir == "" {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		require.NoError(t, err)
		_, err = os.Stat(filepath.Join(root, "go.mod"))
		require.NoError(t, err, "the repository root is two folders up from the package")
		dir = filepath.Join(root, ".artifacts", "browser")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// browser is one headless Chromium with one tab, driving the console.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; bounded by browserTimeout
	base string          // the front door's URL
	dir  string          // screenshots
	// prefix is put before every screenshot's name.
	prefix string
	shots  []string // the screenshots saved
}

// newBrowser starts Chromium (or skips the test when there is none) with a
// fresh profile and a 1366×900 window; extra are a test's own flags.
func newBrowser(t *testing.T, base, prefix string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	exe := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("lang", "vi-VN"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		// The profile: t.TempDir's cleanup runs after the browser's
		// (cleanups run last first), once Chromium has exited.
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	bctx, bcancel := context.WithTimeout(actx, browserTimeout)
	t.Cleanup(bcancel)
	// Errors of the protocol's plumbing (for instance an event cdproto
	// does not know) are not the test's: they go to the test log while
	// the test runs, and nowhere after.
	tctx, tcancel := chromedp.NewContext(bctx, chromedp.WithErrorf(quietLogf(t)))
	t.Cleanup(tcancel)
	start := time.Now()
	if err := chromedp.Do(tctx); err != nil { // starts the browser, bounded only by browserTimeout
		t.Fatalf("starting Chromium (%s): %v", exe, err)
	}
	t.Logf("Chromium %s started in %s", exe, time.Since(start).Round(time.Millisecond))
	b := &browser{t: t, ctx: tctx, base: base, dir: artifactsDir(t), prefix: prefix}
	// A failure screenshot of an earlier run would mislead.
	if err := os.Remove(filepath.Join(b.dir, prefix+"FAILED.png")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return b
}

// quietLogf logs to the test while it runs.
func quietLogf(t *testing.T) func(string, ...any) {
	done := t.Context()
	return func(format string, args ...any) {
		if done.Err() == nil {
			t.Logf("chromedp: "+format, args...)
		}
	}
}

// step runs actions with the step timeout; a failure ends the test with
// the page's URL and #error.
func (b *browser) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression on the page and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// text is the rendered text of the first element sel matches, "" if none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s)?.innerText ?? "").trim()`, js(sel)))
}

// count is how many elements sel matches.
func (b *browser) count(sel string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%s).length`, js(sel)))
}

// attrs is the attribute name of every element sel matches, in order.
func (b *browser) attrs(sel, name string) []string {
	b.t.Helper()
	return eval[[]string](b, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), e => e.getAttribute(%s) ?? "")`, js(sel), js(name)))
}

// page is the console page shown: the page-<name> class of main#main, or
// "" on a page that is not the console's.
func (b *browser) page() string {
	b.t.Helper()
	return eval[string](b, `(Array.from(document.querySelector("main#main")?.classList ?? []).find(c => c.startsWith("page-")) ?? "").slice(5)`)
}

// describe says where the browser is, for failure messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	type where struct{ URL, Page, Error, Title string }
	w, err := chromedp.Run(ctx, chromedp.Evaluate[where](`({
		URL: location.href,
		Title: document.title,
		Page: document.querySelector("main#main")?.className ?? "(no main#main)",
		Error: (document.querySelector("#error")?.innerText ?? "").trim(),
	})`))
	if err != nil {
		return fmt.Sprintf("(the page cannot be read: %v)", err)
	}
	s := fmt.Sprintf("at %s (%q, main.%s)", w.URL, w.Title, w.Page)
	if w.Error != "" {
		s += fmt.Sprintf("; #error: %q", w.Error)
	}
	return s
}

// fatalf ends the test, saying where the browser is and keeping a
// screenshot of the page.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	where := b.describe()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		name := filepath.Join(b.dir, b.prefix+"FAILED.png")
		if os.WriteFile(name, png, 0o644) == nil {
			where += "; screenshot " + name
		}
	}
	b.t.Fatalf("%s\n\tbrowser %s", msg, where)
}

// open navigates to a console path and checks the page shown.
func (b *browser) open(path, wantPage string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.fatalf("opening %s: %v", path, err)
	}
	b.expect(fmt.Sprintf("GET %s", path), resp, wantPage)
}

// submit clicks a button that submits a form, waits for the page the
// answer leads to and checks it.
func (b *browser) submit(button, wantPage string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button), chromedp.NodeVisible))
	if err != nil {
		b.fatalf("clicking %s: %v", button, err)
	}
	b.expect("clicking "+button, resp, wantPage)
}

// expect checks the page a navigation ended on: a 200 answer and the
// console page wantPage.
func (b *browser) expect(what string, resp *network.Response, wantPage string) {
	b.t.Helper()
	if resp == nil {
		b.fatalf("%s: no answer", what)
	}
	if resp.Status != http.StatusOK {
		b.fatalf("%s: answered %d %s, want 200", what, resp.Status, resp.StatusText)
	}
	if got := b.page(); got != wantPage {
		b.fatalf("%s: on page %q, want %q", what, got, wantPage)
	}
}

// shot saves a full-page PNG screenshot of the page shown.
func (b *browser) shot(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.dir, b.prefix+name+".png")
	require.NoError(b.t, os.WriteFile(path, png, 0o644))
	b.shots = append(b.shots, path)
	b.t.Logf("screenshot %s", path)
	return path
}

// login signs in with a token on the login page and checks the landing page.
func (b *browser) login(token, wantPage, shot string) {
	b.t.Helper()
	b.open("/console/login", "login")
	b.step("typing the token", chromedp.SendKeys(chromedp.CSS("input#token"), token, chromedp.NodeVisible))
	if shot != "" {
		b.shot(shot)
	}
	b.submit("form#login-form button[type=submit]", wantPage)
}

// logout signs out with the top bar's button.
func (b *browser) logout() {
	b.t.Helper()
	b.submit("form#logout-form button[type=submit]", "login")
	if n := b.count("#user"); n != 0 {
		b.fatalf("still signed in after signing out")
	}
}

// waitInboxRow opens the inbox until the dossier's task row appears: the
// inbox reads the read model, which follows the workflow a moment later.
func (b *browser) waitInboxRow(code string) string {
	b.t.Helper()
	row := fmt.Sprintf(`tr.task-row[data-code=%s]`, js(code))
	deadline := time.Now().Add(settleTimeout)
	for {
		b.open("/console/inbox", "inbox")
		if b.count(row) > 0 {
			return row
		}
		if time.Now().After(deadline) {
			b.fatalf("no row %s in the inbox after %s (%s)", row, settleTimeout, b.text("#inbox-total"))
		}
		time.Sleep(200 * time.Millisecond) // the read model catches up
	}
}

// actionForm is the selector of the action form of the open task of step
// (tiep_nhan, or tiep_nhan#2 once reopened), "" if the page has none.
func (b *browser) actionForm(step string) string {
	b.t.Helper()
	id := eval[string](b, fmt.Sprintf(`(Array.from(document.querySelectorAll("form.action-form"), f => f.dataset.task)
		.find(id => id === %[1]s || id.startsWith(%[1]s + "#")) ?? "")`, js(step)))
	if id == "" {
		return ""
	}
	return fmt.Sprintf(`form.action-form[data-task=%s]`, js(id))
}

// waitActionForm reloads the dossier page until it offers an action form
// for step.
func (b *browser) waitActionForm(step string) string {
	b.t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		if form := b.actionForm(step); form != "" {
			return form
		}
		if time.Now().After(deadline) {
			b.fatalf("no action form for %s after %s; forms: %v, open tasks: %v", step, settleTimeout,
				b.attrs("form.action-form", "data-task"), b.attrs("tr.open-task", "data-task"))
		}
		time.Sleep(200 * time.Millisecond) // the workflow opens the task
		b.step("reloading the dossier page", chromedp.Reload())
		if p := b.page(); p != "dossier" {
			b.fatalf("reloading: on page %q", p)
		}
	}
}

// act fills the action form of step and clicks the button of outcome.
func (b *browser) act(step, outcome, note string, items ...string) {
	b.t.Helper()
	form := b.waitActionForm(step)
	if note != "" {
		b.step("typing the note", chromedp.SendKeys(chromedp.CSS(form+" textarea[name=note]"), note, chromedp.NodeVisible))
	}
	if len(items) > 0 {
		sel := form + " textarea[name=items]"
		b.step("typing the items", chromedp.SendKeys(chromedp.CSS(sel), strings.Join(items, "\n"), chromedp.NodeVisible))
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
		if err != nil {
			b.fatalf("reading %s: %v", sel, err)
		}
		if want := strings.Join(items, "\n"); got != want {
			b.fatalf("typed %q into %s, it holds %q", want, sel, got)
		}
	}
	b.submit(fmt.Sprintf(`%s button[name=outcome][value=%s]`, form, js(outcome)), "dossier")
	if e := b.text("#error"); e != "" {
		b.fatalf("%s %s refused: %s", step, outcome, e)
	}
}

// js quotes a string for JavaScript and for a CSS attribute selector.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// dossierPath is the console path of a dossier.
func dossierPath(code string, suffix ...string) string {
	return "/console/dossiers/" + url.PathEscape(code) + strings.Join(suffix, "")
}
