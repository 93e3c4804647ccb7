package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/integrations"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
)

func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := start(t)
	a := e.get("/openapi.json", "")
	require.Equal(t, http.StatusOK, a.status)
	require.JSONEq(t, string(e.srv.OpenAPI()), string(a.body))
	n := 0
	for path, item := range e.doc.Paths.Map() {
		for method := range item.Operations() {
			n++
			concrete := strings.NewReplacer("{code}", "X-250101-0001", "{sha256}", strings.Repeat("0", 64)).Replace(path)
			got := e.do(method, concrete, tokAdmin, "", nil)
			if got.status == http.StatusNotFound {
				require.NotContains(t, string(got.body), "no route", "%s %s is documented but not served", method, path)
			}
			// Every route but the public ones needs a credential.
			op := item.GetOperation(method)
			if op.Security != nil && len(*op.Security) > 0 {
				anon := e.do(method, concrete, "", "application/json", []byte(`{}`))
				require.Equal(t, http.StatusUnauthorized, anon.status, "%s %s without a credential: %s", method, path, anon.body)
				require.Equal(t, api.CodeUnauthenticated, anon.apiError(t).Code)
			}
		}
	}
	require.GreaterOrEqual(t, n, 25)
	a = e.get("/v1/nothing-here", tokAdmin)
	require.Equal(t, http.StatusNotFound, a.status)
	require.Equal(t, api.CodeNotFound, a.apiError(t).Code)
}

func TestHealthReadyMetrics(t *testing.T) {
	e := start(t)
	require.Equal(t, http.StatusOK, e.get("/healthz", "").status)
	require.Equal(t, http.StatusOK, e.get("/readyz", "").status)
	st := e.submitted()
	e.waitInbox(st.Code, "tiep_nhan")
	a := e.get("/metrics", "")
	require.Equal(t, http.StatusOK, a.status)
	text := string(a.body)
	require.Contains(t, text, `motcua_dossiers{procedure="1.001193",status="1"} 1`)
	require.Contains(t, text, "motcua_open_tasks 1")
	require.Contains(t, text, "motcua_overdue_tasks 0")
	require.Contains(t, text, `motcua_http_request_duration_seconds_count{code="201",method="POST",route="POST /v1/dossiers"} 1`)
}

func TestAuthentication(t *testing.T) {
	e := start(t)
	a := e.get("/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, api.CodeUnauthenticated, a.apiError(t).Code)
	a = e.get("/v1/me", "not-a-token-of-the-file")
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.NotContains(t, string(a.body), "not-a-token-of-the-file")

	a = e.get("/v1/me", tokMotCua)
	require.Equal(t, http.StatusOK, a.status)
	var me api.Me
	a.json(t, &me)
	require.Equal(t, api.Me{Subject: "cb-mot-cua", Name: "Trần Thị Bình", Kind: "officer", Roles: []string{"mot_cua"},
		Agency: "ubnd_xa", Authenticator: "tokens"}, me)

	// The console's session cookie authenticates too.
	req, _ := http.NewRequest("GET", e.http.URL+"/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "motcua_session", Value: tokCitizen})
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Denials are audited.
	rows, err := e.engine.Store.AuditList(context.Background(), store.AuditListParams{Decision: "denied"})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, http.StatusUnauthorized, rows[0].Status)
}

func TestCatalog(t *testing.T) {
	e := start(t)
	a := e.get("/v1/procedures?mode=full_online", tokAnalyst)
	require.Equal(t, http.StatusOK, a.status)
	var list api.ProcedureList
	a.json(t, &list)
	require.NotEmpty(t, list.Items)
	for _, p := range list.Items {
		require.True(t, p.FullOnline, p.Code)
	}
	a = e.get("/v1/procedures?level=commune", tokAnalyst)
	a.json(t, &list)
	for _, p := range list.Items {
		require.Equal(t, "commune", p.Level)
	}
	require.Equal(t, http.StatusBadRequest, e.get("/v1/procedures?level=galaxy", tokAnalyst).status)

	a = e.get("/v1/procedures/"+birth, tokCitizen)
	require.Equal(t, http.StatusOK, a.status)
	var p api.Procedure
	a.json(t, &p)
	require.Equal(t, birth, p.Code)
	require.Len(t, p.Diagrams, len(p.Plan.Modes))
	require.NotEmpty(t, p.Plan.Components)

	a = e.get(p.Diagrams["full_online"], tokCitizen)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, "image/svg+xml", a.header.Get("Content-Type"))
	require.Contains(t, string(a.body), "<svg")
	a = e.get("/v1/procedures/"+birth+"/diagram?mode=full_online&format=mermaid", tokCitizen)
	require.Contains(t, string(a.body), "flowchart")
	a = e.get("/v1/procedures/"+birth+"/diagram?mode=walking", tokCitizen)
	require.Equal(t, http.StatusBadRequest, a.status)
	require.Equal(t, "mode", a.apiError(t).Field)
	a = e.get("/v1/procedures/0.000000", tokCitizen)
	require.Equal(t, http.StatusNotFound, a.status)
}

// TestDossierThroughTheAPI drives a birth registration from submission to
// rating through the API alone, with a supplement at reception, checking
// who may see and do what on the way.
func TestDossierThroughTheAPI(t *testing.T) {
	e := start(t)
	st := e.submitted()
	code := st.Code
	require.Equal(t, dossier.StatusNew, st.Status)
	require.Equal(t, citizenID, st.Applicant.ID, "a citizen submits as themself")
	require.Len(t, st.Components, 3)

	// Who sees it.
	for tok, want := range map[string]int{tokCitizen: 200, tokOtherCz: 403, tokMotCua: 200, tokOtherAg: 403, tokAnalyst: 403, tokAdmin: 200} {
		a := e.get(dossierPath(code), tok)
		require.Equal(t, want, a.status, "token %s: %s", tok, a.body)
		if want == 403 {
			require.Equal(t, api.CodeForbidden, a.apiError(t).Code)
		}
	}
	var list api.DossierList
	e.get("/v1/dossiers", tokOtherCz).json(t, &list)
	require.Zero(t, list.Total)

	// The officer's inbox.
	e.waitInbox(code, "tiep_nhan")
	var inbox api.Inbox
	a := e.get("/v1/inbox?procedure="+birth, tokMotCua)
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &inbox)
	require.Equal(t, 1, inbox.Total)
	require.Equal(t, code, inbox.Items[0].DossierCode)
	e.get("/v1/inbox", tokTuPhap).json(t, &inbox)
	require.Zero(t, inbox.Total, "the reception task is not the reviewer's")
	require.Equal(t, http.StatusForbidden, e.get("/v1/inbox", tokCitizen).status)

	// The wrong officer is refused and nothing is written.
	task := e.waitTask(code, "tiep_nhan")
	before := e.timelineLen(code)
	for _, tok := range []string{tokTuPhap, tokOtherAg, tokCitizen} {
		a = e.postJSON(dossierPath(code, "/actions"), tok, api.ActBody{Task: task.ID, Outcome: "accept"})
		require.Equal(t, http.StatusForbidden, a.status, "%s", a.body)
	}
	require.Equal(t, before, e.timelineLen(code))

	// An outcome the task does not offer: the workflow refuses, 409.
	a = e.postJSON(dossierPath(code, "/actions"), tokMotCua, api.ActBody{Task: task.ID, Outcome: "approve"})
	require.Equal(t, http.StatusConflict, a.status, "%s", a.body)
	require.Equal(t, before, e.timelineLen(code))

	// The reception asks for a supplement.
	a = e.postJSON(dossierPath(code, "/actions"), tokMotCua, api.ActBody{Task: task.ID, Outcome: "supplement",
		Items: []string{"Giấy chứng sinh bị mờ"}})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &st)
	require.Equal(t, dossier.StatusSupplement, st.Status)

	// Only the applicant supplements.
	sharp := string(servicetest.JPG) + "rõ nét"
	ct, body := multipartBody(t, part{name: "note", value: "Bản chụp rõ"}, part{name: "giay_chung_sinh", value: sharp, file: "gcs.jpg"})
	a = e.do("POST", dossierPath(code, "/supplement"), tokOtherCz, ct, body)
	require.Equal(t, http.StatusForbidden, a.status)
	a = e.do("POST", dossierPath(code, "/supplement"), tokCitizen, ct, body)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &st)
	require.NotEqual(t, dossier.StatusSupplement, st.Status)

	// Files: the applicant downloads what they sent; others may not.
	sum := sha256.Sum256([]byte(sharp))
	sha := hex.EncodeToString(sum[:])
	a = e.get(dossierPath(code, "/files/", sha), tokCitizen)
	require.Equal(t, http.StatusOK, a.status)
	require.Equal(t, sharp, string(a.body))
	require.Contains(t, a.header.Get("Content-Disposition"), "attachment")
	require.Equal(t, http.StatusForbidden, e.get(dossierPath(code, "/files/", sha), tokOtherCz).status)
	require.Equal(t, http.StatusNotFound, e.get(dossierPath(code, "/files/", strings.Repeat("ab", 32)), tokCitizen).status)
	require.Equal(t, http.StatusNotFound, e.get(dossierPath(code, "/files/..%2f..%2fread.db"), tokCitizen).status)

	// Accept, review, sign.
	for _, step := range []struct{ step, token, outcome string }{
		{"tiep_nhan", tokMotCua, "accept"}, {"tham_dinh", tokTuPhap, "approve"}, {"ky_duyet", tokChuTich, ""},
	} {
		task := e.waitTask(code, step.step)
		outcome := step.outcome
		if outcome == "" {
			outcome = task.Outcomes[0]
		}
		a = e.postJSON(dossierPath(code, "/actions"), step.token, api.ActBody{Task: task.ID, Outcome: outcome, Note: "ghi chú"})
		require.Equal(t, http.StatusOK, a.status, "%s: %s", step.step, a.body)
	}
	require.Eventually(t, func() bool {
		a = e.get(dossierPath(code), tokCitizen)
		a.json(t, &st)
		return st.Status == dossier.StatusReturned
	}, 30*time.Second, 50*time.Millisecond)

	// The signed result.
	a = e.get(dossierPath(code, "/result"), tokCitizen)
	require.Equal(t, http.StatusOK, a.status)
	docSum := sha256.Sum256(a.body)
	require.Equal(t, st.Result.SHA256, hex.EncodeToString(docSum[:]))
	require.Equal(t, http.StatusOK, e.get(dossierPath(code, "/result/signature"), tokCitizen).status)
	a = e.get(dossierPath(code, "/result/verification"), tokCitizen)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var v signing.VerifiedSignature
	a.json(t, &v)
	require.True(t, v.Trusted)
	require.Equal(t, http.StatusForbidden, e.get(dossierPath(code, "/result"), tokOtherCz).status)

	// Rating.
	a = e.postJSON(dossierPath(code, "/rating"), tokOtherCz, map[string]any{"satisfied": true})
	require.Equal(t, http.StatusForbidden, a.status)
	a = e.postJSON(dossierPath(code, "/rating"), tokCitizen, map[string]any{"comment": "thiếu satisfied"})
	require.Equal(t, http.StatusUnprocessableEntity, a.status)
	require.Equal(t, "satisfied", a.apiError(t).Field)
	a = e.postJSON(dossierPath(code, "/rating"), tokCitizen, map[string]any{"satisfied": true, "comment": "Nhanh"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)

	// The audit log has every action, accepted and denied, with who and from where.
	rows := e.audit(code)
	decisions := map[string]int{}
	for _, r := range rows {
		decisions[r.Action+"/"+r.Decision]++
		require.NotEmpty(t, r.RequestID)
		require.Equal(t, "127.0.0.1", r.RemoteAddr)
	}
	require.Equal(t, 1, decisions["dossier.submit/accepted"])
	require.Equal(t, 4, decisions["dossier.act/accepted"])
	require.Equal(t, 3, decisions["dossier.act/denied"])
	require.Equal(t, 1, decisions["dossier.act/failed"])
	require.Equal(t, 1, decisions["dossier.supplement/denied"])
	require.Equal(t, 1, decisions["dossier.supplement/accepted"])
	require.Equal(t, 1, decisions["dossier.rate/accepted"])
	require.Equal(t, 3, decisions["getDossier/denied"], "reads are audited when denied")

	// Only admins read the audit log.
	require.Equal(t, http.StatusForbidden, e.get("/v1/audit", tokMotCua).status)
	var al api.AuditList
	a = e.get("/v1/audit?target="+code+"&decision=denied", tokAdmin)
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &al)
	require.NotEmpty(t, al.Items)
	for _, r := range al.Items {
		require.Equal(t, "denied", r.Decision)
	}
}

// files lists the stored upload files.
func (e *testEnv) files() []string {
	return servicetest.Files(e.t, filepath.Join(e.engine.DataDir, "files"))
}

func (e *testEnv) dossierCount() int {
	e.t.Helper()
	n, err := e.engine.Store.DossierCount(context.Background(), store.DossierListParams{})
	require.NoError(e.t, err)
	return n
}

// TestMalformedInputWritesNothing sends every kind of bad request: each
// gets its documented error and nothing is stored or started.
func TestMalformedInputWritesNothing(t *testing.T) {
	e := start(t)
	st := e.submitted()
	e.waitInbox(st.Code, "tiep_nhan")
	files, dossiers := e.files(), e.dossierCount()

	replace := func(name, value string, file ...string) []part {
		ps := birthParts()
		for i := range ps {
			if ps[i].name == name {
				ps[i].value = value
				if len(file) > 0 {
					ps[i].file = file[0]
				}
			}
		}
		return ps
	}
	big := strings.Repeat("x", 3<<20)
	cases := []struct {
		name       string
		token, ct  string
		body       []byte
		path       string
		status     int
		code       string
		field      string
		msgContain string
	}{
		{name: "bad JSON", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1.001193",`), status: 400, code: api.CodeBadRequest, msgContain: "malformed JSON"},
		{name: "syntax error", token: tokCitizen, ct: "application/json", body: []byte("{\n  \"procedure\": 1.001193.1}"), status: 400, code: api.CodeBadRequest, msgContain: "line 2"},
		{name: "wrong type", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": 1001193, "mode": "full_online", "channel": "online"}`), status: 400, code: api.CodeBadRequest, field: "procedure", msgContain: "must be a string"},
		{name: "unknown field", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1.001193", "modus": "x"}`), status: 400, code: api.CodeBadRequest, field: "modus"},
		{name: "two values", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1.001193"} {}`), status: 400, code: api.CodeBadRequest},
		{name: "array", token: tokCitizen, ct: "application/json", body: []byte(`[1,2]`), status: 400, code: api.CodeBadRequest},
		{name: "empty", token: tokCitizen, ct: "application/json", body: nil, status: 400, code: api.CodeBadRequest},
		{name: "no content type", token: tokCitizen, ct: "", body: []byte(`{}`), status: 415, code: api.CodeUnsupportedType, field: "Content-Type"},
		{name: "text", token: tokCitizen, ct: "text/plain", body: []byte(`hello`), status: 415, code: api.CodeUnsupportedType},
		{name: "missing rules", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1.001193"}`), status: 422, code: api.CodeValidation, field: "mode"},
		{name: "unknown procedure", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "0.000000", "mode": "full_online", "channel": "online"}`), status: 422, code: api.CodeValidation, field: "procedure"},
		{name: "SQL in the procedure", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1' OR '1'='1", "mode": "full_online", "channel": "online"}`), status: 422, code: api.CodeValidation, field: "procedure"},
		{name: "form value object", token: tokCitizen, ct: "application/json", body: []byte(`{"procedure": "1.001193", "mode": "full_online", "channel": "online", "form": {"gender": {"a": 1}}}`), status: 400, code: api.CodeBadRequest, field: "form.gender"},
		{name: "officer submits online", token: tokMotCua, ct: "application/json", body: []byte(`{"procedure": "1.001193", "mode": "full_online", "channel": "online"}`), status: 403, code: api.CodeForbidden},
		{name: "analyst submits", token: tokAnalyst, ct: "application/json", body: []byte(`{"procedure": "1.001193", "mode": "full_online", "channel": "online"}`), status: 403, code: api.CodeForbidden},
	}
	type mp struct {
		name   string
		parts  []part
		status int
		code   string
		field  string
	}
	multi := []mp{
		{"wrong file type", replace("giay_chung_sinh", "PK\x03\x04 not a png", "gcs.png"), 422, api.CodeValidation, "giay_chung_sinh"},
		{"extension not accepted", replace("giay_chung_sinh", string(servicetest.PDF), "gcs.docx"), 422, api.CodeValidation, "giay_chung_sinh"},
		{"unknown component", append(birthParts(), part{name: "ho_chieu", value: string(servicetest.PDF), file: "hc.pdf"}), 422, api.CodeValidation, "ho_chieu"},
		{"missing component", func() []part { ps := birthParts(); return ps[:len(ps)-1] }(), 422, api.CodeValidation, "giay_chung_sinh"},
		{"bad date", replace("form.birth_date", "2025-13-45"), 422, api.CodeValidation, "birth_date"},
		{"unknown field", append(birthParts(), part{name: "tong_thong", value: "x"}), 400, api.CodeBadRequest, "tong_thong"},
		{"field twice", append(birthParts(), part{name: "mode", value: "partial_online"}), 400, api.CodeBadRequest, "mode"},
		{"someone else's identity", append(birthParts(), part{name: "applicant.id", value: otherID}), 403, api.CodeForbidden, ""},
		{"oversized upload", replace("giay_chung_sinh", big, "gcs.png"), 413, api.CodeTooLarge, ""},
		{"path tricks, bad content", replace("to_khai", "not a pdf", "../../../../etc/passwd.pdf"), 422, api.CodeValidation, "to_khai"},
	}
	check := func(name string, a answer, status int, code, field, contains string) {
		t.Helper()
		require.Equal(t, status, a.status, "%s: %s", name, a.body)
		e := a.apiError(t)
		require.Equal(t, code, e.Code, name)
		if field != "" {
			require.Equal(t, field, e.Field, "%s: %s", name, a.body)
		}
		if contains != "" {
			require.Contains(t, e.Message, contains, name)
		}
	}
	for _, c := range cases {
		check(c.name, e.do("POST", "/v1/dossiers", c.token, c.ct, c.body), c.status, c.code, c.field, c.msgContain)
	}
	for _, c := range multi {
		ct, body := multipartBody(t, c.parts...)
		check(c.name, e.do("POST", "/v1/dossiers", tokCitizen, ct, body), c.status, c.code, c.field, "")
	}
	// Actions with bad bodies.
	act := dossierPath(st.Code, "/actions")
	check("act: missing outcome", e.postJSON(act, tokMotCua, `{"task": "tiep_nhan"}`), 422, api.CodeValidation, "outcome", "is required")
	check("act: items not strings", e.postJSON(act, tokMotCua, `{"task": "tiep_nhan", "outcome": "supplement", "items": [1]}`), 400, api.CodeBadRequest, "items", "")
	check("act: too many items", e.postJSON(act, tokMotCua, map[string]any{"task": "tiep_nhan", "outcome": "supplement", "items": make([]string, 51)}), 422, api.CodeValidation, "items", "")
	check("act: unknown task", e.postJSON(act, tokMotCua, `{"task": "'; DROP TABLE tasks; --", "outcome": "accept"}`), 409, api.CodeConflict, "", "no open task")
	check("act: unknown dossier", e.postJSON(dossierPath("X-000000-0000", "/actions"), tokMotCua, `{"task": "a", "outcome": "b"}`), 404, api.CodeNotFound, "", "")
	check("extend: bad time", e.postJSON(dossierPath(st.Code, "/extension"), tokMotCua, `{"new_appointment": "mai", "reason": "x"}`), 400, api.CodeBadRequest, "", "")
	check("withdraw: no reason", e.postJSON(dossierPath(st.Code, "/withdraw"), tokCitizen, `{}`), 422, api.CodeValidation, "reason", "")
	check("big JSON", e.postJSON(dossierPath(st.Code, "/withdraw"), tokCitizen, `{"reason": "`+strings.Repeat("a", 2<<20)+`"}`), 413, api.CodeTooLarge, "", "")
	// Query strings.
	check("page", e.get("/v1/inbox?page=abc", tokMotCua), 400, api.CodeBadRequest, "page", "")
	check("per_page", e.get("/v1/dossiers?per_page=100000", tokCitizen), 400, api.CodeBadRequest, "per_page", "")
	check("due", e.get("/v1/inbox?due=yesterday", tokMotCua), 400, api.CodeBadRequest, "due", "")
	check("status", e.get("/v1/dossiers?status=11", tokAdmin), 400, api.CodeBadRequest, "status", "")

	require.Equal(t, files, e.files(), "no file was kept")
	require.Equal(t, dossiers, e.dossierCount(), "no dossier was started")
	require.Equal(t, 3, len(st.Components))
	_, err := os.Stat("/etc/passwd.pdf")
	require.True(t, os.IsNotExist(err))

	// SQL metacharacters are data: a name with them is stored as given.
	sqlName := `Nguyễn'); DROP TABLE dossiers; --`
	ps := birthParts()
	ps = append(ps, part{name: "applicant.id", value: citizenID})
	for i := range ps {
		if ps[i].name == "applicant.name" {
			ps[i].value = sqlName
		}
	}
	a := e.submitBirth(tokCitizen, ps...)
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	var got dossier.State
	a.json(t, &got)
	require.Equal(t, sqlName, got.Applicant.Name)
	require.Eventually(t, func() bool { return e.dossierCount() == dossiers+1 }, 30*time.Second, 50*time.Millisecond,
		"the dossier reaches the read model, its table intact")
}

func sign(body []byte) (string, string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	return ts, integrations.Sign([]byte(paySecret), ts, body)
}

func TestCallbacksNeedTheirSignature(t *testing.T) {
	e := start(t)
	st := e.submitted()
	body, _ := json.Marshal(api.PaymentCallback{Code: st.Code, Reference: "PAY-1", Amount: 8000, Status: "paid"})
	a := e.do("POST", "/v1/callbacks/payments", "", "application/json", body)
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Contains(t, a.apiError(t).Message, "missing")
	ts, _ := sign(body)
	a = e.do("POST", "/v1/callbacks/payments", "", "application/json", body, integrations.HeaderTimestamp, ts,
		integrations.HeaderSignature, "sha256="+strings.Repeat("0", 64))
	require.Equal(t, http.StatusUnauthorized, a.status)
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	a = e.do("POST", "/v1/callbacks/payments", "", "application/json", body, integrations.HeaderTimestamp, old,
		integrations.HeaderSignature, integrations.Sign([]byte(paySecret), old, body))
	require.Equal(t, http.StatusUnauthorized, a.status, "a replay an hour later is refused")

	// Signed, but the dossier waits for no payment: the workflow refuses.
	ts, sig := sign(body)
	a = e.do("POST", "/v1/callbacks/payments", "", "application/json", body, integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
	require.Equal(t, http.StatusConflict, a.status, "%s", a.body)

	// Unknown dossier.
	body, _ = json.Marshal(api.PaymentCallback{Code: "X-000000-0001", Reference: "PAY-1", Status: "paid"})
	ts, sig = sign(body)
	a = e.do("POST", "/v1/callbacks/payments", "", "application/json", body, integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
	require.Equal(t, http.StatusNotFound, a.status)

	// Portal and notification receipts are recorded in the audit log.
	body, _ = json.Marshal(api.PortalCallback{Code: st.Code, Status: 1, Accepted: true, Message: "đã đồng bộ"})
	ts, sig = sign(body)
	a = e.do("POST", "/v1/callbacks/portal", "", "application/json", body, integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	body, _ = json.Marshal(api.NotificationCallback{Code: st.Code, Channel: "sms", Status: "delivered"})
	ts, sig = sign(body)
	a = e.do("POST", "/v1/callbacks/notifications", "", "application/json", body, integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var actions []string
	for _, r := range e.audit(st.Code) {
		if r.Kind == "system" {
			actions = append(actions, r.Action+"/"+r.Decision)
		}
	}
	require.ElementsMatch(t, []string{"callback.notification/accepted", "callback.portal/accepted", "callback.payment/failed"}, actions)
}

// TestPaymentCallbackConfirmsThePayment pays the fee of a business
// registration through the platform's signed callback, twice.
func TestPaymentCallbackConfirmsThePayment(t *testing.T) {
	e := start(t)
	plan := e.engine.Catalog.Plan("1.001612")
	mp := plan.Mode("full_online")
	require.NotNil(t, mp)
	req := servicetest.ExampleRequest(t, plan, *mp)
	st, err := e.engine.Service.Submit(context.Background(), req)
	require.NoError(t, err)
	code := st.Code
	recept := e.waitTask(code, "tiep_nhan")
	_, err = e.engine.Service.Act(context.Background(), code, workflowsAct(recept))
	require.NoError(t, err)
	var ref string
	require.Eventually(t, func() bool {
		st, err = e.engine.Service.Status(context.Background(), code)
		require.NoError(t, err)
		for _, ev := range st.Timeline {
			if ev.Kind == dossier.EventPaymentRequested {
				ref = ev.Note
			}
		}
		return ref != ""
	}, 30*time.Second, 50*time.Millisecond)
	body, _ := json.Marshal(api.PaymentCallback{Code: code, Reference: ref, Amount: st.FeesDue, Status: "paid", PaidAt: time.Now()})
	for i, want := range []string{"confirmed", "duplicate"} {
		ts, sig := sign(body)
		a := e.do("POST", "/v1/callbacks/payments", "", "application/json", body, integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
		require.Equal(t, http.StatusOK, a.status, "call %d: %s", i+1, a.body)
		var ans api.CallbackAnswer
		a.json(t, &ans)
		require.Equal(t, want, ans.Status)
	}
	st, err = e.engine.Service.Status(context.Background(), code)
	require.NoError(t, err)
	require.True(t, st.PaidOnline)
}

// TestFeedbackCallbackRecordsComplaints sends complaints as the citizen
// feedback system does: recorded once (a repeat is a duplicate that
// changes nothing), counted by the report, audited; refused unsigned,
// about an unknown dossier or malformed.
func TestFeedbackCallbackRecordsComplaints(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	st := e.submitted()
	require.Eventually(t, func() bool {
		_, err := e.engine.Store.DossierGet(ctx, st.Code)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the dossier reaches the read model")
	complainedAt := st.ReceivedAt.Add(time.Second)
	later := complainedAt.Add(time.Minute)
	post := func(b any, headers ...string) answer {
		t.Helper()
		body, err := json.Marshal(b)
		require.NoError(t, err)
		if len(headers) == 0 {
			ts, sig := sign(body)
			headers = []string{integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig}
		}
		return e.do("POST", "/v1/callbacks/feedback", "", "application/json", body, headers...)
	}
	complained := func(cut time.Time) int {
		t.Helper()
		rows, err := e.engine.Store.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{
			{From: st.ReceivedAt.Add(-24 * time.Hour), To: cut}}})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		return rows[0].Complained
	}

	complaint := api.FeedbackCallback{Reference: "PAKN-2026-000123", DossierCode: st.Code, At: complainedAt,
		Content: "Cán bộ yêu cầu nộp lại giấy khai sinh của cha mẹ đã có trong cơ sở dữ liệu."}
	a := post(complaint)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var ans api.CallbackAnswer
	a.json(t, &ans)
	require.Equal(t, "recorded", ans.Status)
	require.Equal(t, 1, complained(later))
	require.Zero(t, complained(complainedAt), "counted from the time of the complaint")

	// The same reference again, even dated earlier: a duplicate, nothing
	// changes.
	again := complaint
	again.At = complainedAt.Add(-30 * time.Minute)
	a = post(again)
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &ans)
	require.Equal(t, "duplicate", ans.Status)
	require.Zero(t, complained(complainedAt))

	// A bad signature, and none.
	body, err := json.Marshal(api.FeedbackCallback{Reference: "PAKN-2", DossierCode: st.Code, At: complainedAt, Content: "x"})
	require.NoError(t, err)
	ts, _ := sign(body)
	a = post(api.FeedbackCallback{Reference: "PAKN-2", DossierCode: st.Code, At: complainedAt, Content: "x"},
		integrations.HeaderTimestamp, ts, integrations.HeaderSignature, integrations.Sign([]byte("another-secret-of-16-bytes"), ts, body))
	require.Equal(t, http.StatusUnauthorized, a.status)
	require.Equal(t, api.CodeUnauthenticated, a.apiError(t).Code)
	a = e.do("POST", "/v1/callbacks/feedback", "", "application/json", body)
	require.Equal(t, http.StatusUnauthorized, a.status)

	// An unknown dossier.
	a = post(api.FeedbackCallback{Reference: "PAKN-3", DossierCode: "X-000000-0001", At: complainedAt, Content: "x"})
	require.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
	require.Equal(t, api.CodeNotFound, a.apiError(t).Code)

	// Malformed: not a time, an unknown field, a NUL in the reference;
	// incomplete: no content; dated in the future.
	for _, bad := range []struct {
		body   string
		status int
		field  string
	}{
		{`{"reference": "PAKN-4", "dossier_code": "` + st.Code + `", "at": "12/03/2026", "content": "x"}`, http.StatusBadRequest, ""},
		{`{"reference": "PAKN-4", "dossier_code": "` + st.Code + `", "at": "2026-03-12T10:00:00+07:00", "content": "x", "rating": 1}`,
			http.StatusBadRequest, "rating"},
		{`{"reference": "PAKN\u0000", "dossier_code": "` + st.Code + `", "at": "2026-03-12T10:00:00+07:00", "content": "x"}`,
			http.StatusBadRequest, ""},
		{`{"reference": "PAKN-4", "dossier_code": "` + st.Code + `", "at": "2026-03-12T10:00:00+07:00"}`, http.StatusUnprocessableEntity, "content"},
		{`{"reference": "PAKN-4", "dossier_code": "` + st.Code + `", "at": "` + time.Now().Add(time.Hour).Format(time.RFC3339) + `", "content": "x"}`,
			http.StatusBadRequest, "at"},
	} {
		ts, sig := sign([]byte(bad.body))
		a = e.do("POST", "/v1/callbacks/feedback", "", "application/json", []byte(bad.body),
			integrations.HeaderTimestamp, ts, integrations.HeaderSignature, sig)
		require.Equal(t, bad.status, a.status, "%s: %s", bad.body, a.body)
		require.Equal(t, bad.field, a.apiError(t).Field, bad.body)
	}
	require.Equal(t, 1, complained(later), "only the first complaint counts")

	// Every call is audited, newest first; those refused before the body
	// was read name no dossier.
	rows, err := e.engine.Store.AuditList(ctx, store.AuditListParams{Action: "callback.feedback", Limit: 100})
	require.NoError(t, err)
	var actions []string
	for _, r := range rows {
		require.Equal(t, "system", r.Kind)
		require.Equal(t, "citizen feedback system", r.Subject)
		actions = append(actions, r.Target+"/"+r.Decision+"/"+strconv.Itoa(r.Status))
	}
	code := st.Code
	require.Equal(t, []string{
		code + "/failed/400", "/failed/422", code + "/failed/400", "/failed/400", "/failed/400",
		"X-000000-0001/failed/404", "/denied/401", "/denied/401", code + "/accepted/200", code + "/accepted/200",
	}, actions)
}

// TestWithdrawAndExtend covers the withdrawal with its stop notice, and
// the one extension of an appointment, through the API.
func TestWithdrawAndExtend(t *testing.T) {
	e := start(t)
	st := e.submitted()
	a := e.postJSON(dossierPath(st.Code, "/withdraw"), tokOtherCz, api.WithdrawBody{Reason: "Nộp nhầm"})
	require.Equal(t, http.StatusForbidden, a.status)
	a = e.postJSON(dossierPath(st.Code, "/withdraw"), tokCitizen, api.WithdrawBody{Reason: "Nộp nhầm thủ tục"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &st)
	require.Equal(t, dossier.StatusWithdrawing, st.Status)
	var stop dossier.Task
	for _, task := range st.OpenTasks {
		if slices.Contains(task.Outcomes, "stop") {
			stop = task
		}
	}
	require.NotEmpty(t, stop.ID, "a stop notice is open: %+v", st.OpenTasks)
	a = e.postJSON(dossierPath(st.Code, "/actions"), tokMotCua, api.ActBody{Task: stop.ID, Outcome: "stop", Note: "Dừng theo đề nghị"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	require.Eventually(t, func() bool {
		e.get(dossierPath(st.Code), tokCitizen).json(t, &st)
		return st.Status == dossier.StatusStopped
	}, 30*time.Second, 50*time.Millisecond)

	// An extension: a business registration has three working days.
	plan := e.engine.Catalog.Plan("1.001612")
	req := servicetest.ExampleRequest(t, plan, *plan.Mode("partial_online"))
	req.Applicant.ID = citizenID
	st, err := e.engine.Service.Submit(context.Background(), req)
	require.NoError(t, err)
	recept := e.waitTask(st.Code, "tiep_nhan")
	a = e.postJSON(dossierPath(st.Code, "/actions"), tokMotCua, api.ActBody{Task: recept.ID, Outcome: "accept"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &st)
	require.NotZero(t, st.AppointmentAt)
	later := st.AppointmentAt.Add(72 * time.Hour)
	a = e.postJSON(dossierPath(st.Code, "/extension"), tokMotCua, api.ExtendBody{NewAppointment: later, Reason: "Chờ xác minh"})
	require.Equal(t, http.StatusForbidden, a.status, "the reception is not the competent agency: %s", a.body)
	a = e.postJSON(dossierPath(st.Code, "/extension"), tokTruongP, api.ExtendBody{NewAppointment: later, Reason: "Chờ xác minh"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &st)
	require.True(t, st.Extended)
	require.True(t, st.AppointmentAt.Equal(later))
	a = e.postJSON(dossierPath(st.Code, "/extension"), tokTruongP, api.ExtendBody{NewAppointment: later.Add(time.Hour), Reason: "Lần hai"})
	require.Equal(t, http.StatusConflict, a.status, "one extension only: %s", a.body)
}
