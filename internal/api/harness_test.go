package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/metrics"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

const (
	birth      = "1.001193"
	citizenID  = "079090001234"
	otherID    = "001099000001"
	paySecret  = "payment-platform-shared-secret"
	tokMotCua  = "tok-mot-cua-ubnd-xa-0001"
	tokTuPhap  = "tok-tu-phap-ubnd-xa-0001"
	tokChuTich = "tok-chu-tich-ubnd-xa-0001"
	tokOtherAg = "tok-mot-cua-ubnd-khac-001"
	tokCitizen = "tok-citizen-079090001234"
	tokOtherCz = "tok-citizen-001099000001"
	tokAnalyst = "tok-analyst-phan-tich-01"
	tokAdmin   = "tok-admin-quan-tri-00001"
	tokTruongP = "tok-truong-phong-kinh-te-1"
)

const tokensFile = `tokens:
  - {token: ` + tokMotCua + `, subject: cb-mot-cua, name: "Trần Thị Bình", kind: officer, roles: [mot_cua], agency: ubnd_xa}
  - {token: ` + tokTuPhap + `, subject: cb-tu-phap, kind: officer, roles: [tu_phap_ho_tich], agency: ubnd_xa}
  - {token: ` + tokChuTich + `, subject: cb-chu-tich, kind: officer, roles: [chu_tich_xa], agency: ubnd_xa}
  - {token: ` + tokOtherAg + `, subject: cb-khac, kind: officer, roles: [mot_cua], agency: ubnd_khac}
  - {token: ` + tokCitizen + `, subject: ` + citizenID + `, name: "Nguyễn Văn A", kind: citizen}
  - {token: ` + tokOtherCz + `, subject: ` + otherID + `, name: "Lê Thị C", kind: citizen}
  - {token: ` + tokAnalyst + `, subject: phan-tich, kind: analyst}
  - {token: ` + tokAdmin + `, subject: quan-tri, kind: admin}
  - {token: ` + tokTruongP + `, subject: cb-truong-phong, kind: officer, roles: [truong_phong], agency: phong_kinh_te}
`

// testEnv is an API over a real engine.
type testEnv struct {
	t      testing.TB
	engine *servicetest.Env
	srv    *api.Server
	http   *httptest.Server
	router routers.Router
	doc    *openapi3.T
}

// testCatalog copies the example definitions.
func testCatalog(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../definitions")))
	return dir
}

func start(t testing.TB) *testEnv {
	t.Helper()
	eng := servicetest.Start(t, testCatalog(t))
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	require.NoError(t, os.WriteFile(tokens, []byte(tokensFile), 0o600))
	authn, err := auth.New(context.Background(), auth.Config{Tokens: tokens})
	require.NoError(t, err)
	m := metrics.New(eng.Store, nil)
	svc, err := service.New(service.Options{Client: eng.Client, Store: eng.Store, Catalog: eng.Catalog,
		FilesDir: filepath.Join(eng.DataDir, "files"), ResultsDir: filepath.Join(eng.DataDir, "results"),
		Roots: eng.Roots, ObserveUpdate: m.ObserveUpdate})
	require.NoError(t, err)
	srv, err := api.New(api.Options{Service: svc, Store: eng.Store, Auth: authn, Metrics: m,
		Secrets: api.Secrets{Payments: []byte(paySecret), Portal: []byte(paySecret), Notifications: []byte(paySecret),
			Feedback: []byte(paySecret)},
		MaxUpload: 2 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Codec: codec.New(testRing(t)), CodecOrigins: []string{testUIOrigin}})
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(srv.OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))
	doc.Servers = openapi3.Servers{{URL: hs.URL}}
	router, err := gorillamux.NewRouter(doc)
	require.NoError(t, err)
	return &testEnv{t: t, engine: eng, srv: srv, http: hs, router: router, doc: doc}
}

// answer is a response read in full.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.body, v), "body: %s", a.body)
}

// apiError decodes an error answer and checks its shape.
func (a answer) apiError(t testing.TB) *api.Error {
	t.Helper()
	var b api.ErrorBody
	a.json(t, &b)
	require.NotNil(t, b.Error, "body: %s", a.body)
	require.NotEmpty(t, b.Error.Code)
	require.NotEmpty(t, b.Error.Message)
	require.NotEmpty(t, b.RequestID)
	require.Equal(t, a.header.Get("X-Request-ID"), b.RequestID)
	return b.Error
}

// do sends a request and checks the answer against the OpenAPI document.
func (e *testEnv) do(method, path, token, contentType string, body []byte, headers ...string) answer {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, bytes.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	a := answer{status: resp.StatusCode, header: resp.Header, body: data}
	e.checkDocumented(req, a)
	return a
}

// checkDocumented validates an answer against the OpenAPI document: the
// route must be in it, and a JSON answer must match its schema.
func (e *testEnv) checkDocumented(req *http.Request, a answer) {
	e.t.Helper()
	r2 := req.Clone(context.Background())
	r2.Body = http.NoBody
	route, params, err := e.router.FindRoute(r2)
	if err != nil {
		// Only the fallback answers paths outside the document.
		require.Equal(e.t, http.StatusNotFound, a.status, "%s %s is not in the OpenAPI document", req.Method, req.URL.Path)
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: r2, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: a.status, Header: a.header,
		Body: io.NopCloser(bytes.NewReader(a.body)), Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		out.Options.ExcludeResponseBody = true
	}
	require.NoError(e.t, openapi3filter.ValidateResponse(context.Background(), out),
		"%s %s answered %d not as documented: %s", req.Method, req.URL.Path, a.status, a.body)
}

func (e *testEnv) get(path, token string) answer { return e.do("GET", path, token, "", nil) }

func (e *testEnv) postJSON(path, token string, v any) answer {
	e.t.Helper()
	var body []byte
	switch x := v.(type) {
	case string:
		body = []byte(x)
	default:
		var err error
		body, err = json.Marshal(v)
		require.NoError(e.t, err)
	}
	return e.do("POST", path, token, "application/json", body)
}

// part is one part of a multipart body: a field, or a file when file is set.
type part struct{ name, value, file string }

func multipartBody(t testing.TB, parts ...part) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.file != "" {
			fw, err := w.CreateFormFile(p.name, p.file)
			require.NoError(t, err)
			_, err = fw.Write([]byte(p.value))
			require.NoError(t, err)
			continue
		}
		require.NoError(t, w.WriteField(p.name, p.value))
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), buf.Bytes()
}

// birthParts is a valid full-online birth registration.
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

func (e *testEnv) submitBirth(token string, parts ...part) answer {
	e.t.Helper()
	ct, body := multipartBody(e.t, parts...)
	return e.do("POST", "/v1/dossiers", token, ct, body)
}

// submitted submits a valid birth registration as the citizen.
func (e *testEnv) submitted() dossier.State {
	e.t.Helper()
	a := e.submitBirth(tokCitizen, birthParts()...)
	require.Equal(e.t, http.StatusCreated, a.status, "%s", a.body)
	var st dossier.State
	a.json(e.t, &st)
	return st
}

// waitTask waits for an open task of step and returns it.
func (e *testEnv) waitTask(code, step string) dossier.Task {
	e.t.Helper()
	var last dossier.State
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, err := e.engine.Service.Status(context.Background(), code)
		require.NoError(e.t, err)
		last = st
		for _, t := range st.OpenTasks {
			if t.Step == step {
				return t
			}
		}
	}
	e.t.Fatalf("no task of step %s on %s; open %+v", step, code, last.OpenTasks)
	return dossier.Task{}
}

// waitInbox waits until the read model shows a task of the dossier.
func (e *testEnv) waitInbox(code, step string) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		rows, err := e.engine.Store.TaskList(context.Background(), store.TaskListParams{DossierCode: code})
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r.Step == step {
				return true
			}
		}
		return false
	}, 30*time.Second, 50*time.Millisecond)
}

// timelineLen is how many events the dossier has.
func (e *testEnv) timelineLen(code string) int {
	e.t.Helper()
	st, err := e.engine.Service.Status(context.Background(), code)
	require.NoError(e.t, err)
	return len(st.Timeline)
}

// audit lists the audit log of a target.
func (e *testEnv) audit(target string) []store.AuditEntry {
	e.t.Helper()
	rows, err := e.engine.Store.AuditList(context.Background(), store.AuditListParams{Target: target, Limit: 1000})
	require.NoError(e.t, err)
	return rows
}

func dossierPath(code string, suffix ...string) string {
	return "/v1/dossiers/" + url.PathEscape(code) + strings.Join(suffix, "")
}

// workflowsAct accepts a reception task as its officer.
func workflowsAct(task dossier.Task) workflows.ActRequest {
	return workflows.ActRequest{Task: task.ID, Outcome: workflows.OutcomeAccept,
		Actor: dossier.Actor{ID: "cb", Role: task.Role, Agency: task.Agency}}
}
