package integrations

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
)

const secret = "bí-mật-chung"

// received is a request as the test server saw it.
type received struct {
	Method, Path, ContentType, Accept, Key, Timestamp, Signature string
	Body                                                         []byte
}

// answer is what the test server replies.
type answer struct {
	status int
	body   string
}

// newServer starts a real HTTP server that records each request and
// replies with ans.
func newServer(t *testing.T, ans answer) (*httptest.Server, <-chan received) {
	t.Helper()
	got := make(chan received, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- received{
			Method: r.Method, Path: r.URL.Path,
			ContentType: r.Header.Get("Content-Type"), Accept: r.Header.Get("Accept"),
			Key: r.Header.Get(HeaderIdempotencyKey), Timestamp: r.Header.Get(HeaderTimestamp),
			Signature: r.Header.Get(HeaderSignature), Body: body,
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ans.status)
		io.WriteString(w, ans.body)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// requireRequest checks one recorded request: a signed JSON POST to path
// with the idempotency key and the body wantJSON.
func requireRequest(t *testing.T, got <-chan received, path, key, wantJSON string) received {
	t.Helper()
	var r received
	select {
	case r = <-got:
	default:
		t.Fatal("the server received no request")
	}
	require.Equal(t, http.MethodPost, r.Method)
	require.Equal(t, path, r.Path)
	require.Equal(t, "application/json", r.ContentType)
	require.Equal(t, "application/json", r.Accept)
	require.Equal(t, key, r.Key)
	require.JSONEq(t, wantJSON, string(r.Body))

	// The HMAC, computed here independently of Sign.
	sec, err := strconv.ParseInt(r.Timestamp, 10, 64)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), time.Unix(sec, 0), 5*time.Second)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(r.Timestamp + "."))
	m.Write(r.Body)
	require.Equal(t, "sha256="+hex.EncodeToString(m.Sum(nil)), r.Signature)
	return r
}

var at = time.Date(2025, 3, 4, 9, 5, 6, 0, dossier.Vietnam)

var applicant = dossier.Applicant{ID: "079203001234", Name: "Trần Thị Bích", Contact: "0912345678"}

func TestWebhookNotifier(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusAccepted, ""})
	n, err := NewWebhookNotifier(Config{URL: srv.URL + "/hooks/notify", Secret: secret})
	require.NoError(t, err)
	note := activities.Notification{
		Code: "H57-0001", To: "applicant", Contact: "0912345678", Kind: "processed",
		Subject: "Hồ sơ đã có kết quả", Body: "Mời ông/bà nhận kết quả.", Key: "H57-0001/12/applicant",
	}
	require.NoError(t, n.Notify(context.Background(), note))
	requireRequest(t, got, "/hooks/notify", "H57-0001/12/applicant", `{
		"code":"H57-0001","to":"applicant","agency":"","contact":"0912345678","kind":"processed",
		"subject":"Hồ sơ đã có kết quả","body":"Mời ông/bà nhận kết quả.","key":"H57-0001/12/applicant"}`)
}

func TestWithoutSecretNoSignature(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusNoContent, ""})
	n, err := NewWebhookNotifier(Config{URL: srv.URL})
	require.NoError(t, err)
	require.NoError(t, n.Notify(context.Background(), activities.Notification{Code: "H57-0001", Key: "k1"}))
	r := <-got
	require.Equal(t, "k1", r.Key)
	require.Empty(t, r.Timestamp)
	require.Empty(t, r.Signature)
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusOK, `{}`})
	n, err := NewWebhookNotifier(Config{URL: srv.URL, Secret: secret})
	require.NoError(t, err)

	// Non-ASCII keys are percent-encoded.
	require.NoError(t, n.Notify(context.Background(), activities.Notification{Code: "H57", Key: "H57/tiếp nhận"}))
	require.Equal(t, "H57%2Fti%E1%BA%BFp%20nh%E1%BA%ADn", (<-got).Key)

	// A notification without a key gets one from its body, the same on a
	// retry.
	note := activities.Notification{Code: "H57", Subject: "a"}
	require.NoError(t, n.Notify(context.Background(), note))
	first := <-got
	sum := sha256.Sum256(first.Body)
	require.Equal(t, "sha256:"+hex.EncodeToString(sum[:]), first.Key)
	require.NoError(t, n.Notify(context.Background(), note))
	require.Equal(t, first.Key, (<-got).Key)
}

func TestLogNotifier(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	n := NewLogNotifier(slog.New(slog.NewJSONHandler(&buf, nil)))
	require.NoError(t, n.Notify(context.Background(), activities.Notification{
		Code: "H57-0001", To: "applicant", Contact: "0912345678", Kind: "processed",
		Subject: "Hồ sơ đã có kết quả", Body: "Mời nhận kết quả.", Key: "H57-0001/12/applicant",
	}))
	require.NoError(t, n.Notify(context.Background(), activities.Notification{
		Code: "H57-0002", To: "chuyen_vien", Agency: "ubnd_xa", Contact: "bich@example.vn", Kind: "task_opened", Key: "k2",
	}))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	delete(first, "time")
	require.Equal(t, map[string]any{
		"level": "INFO", "msg": "notification", "key": "H57-0001/12/applicant", "code": "H57-0001",
		"kind": "processed", "to": "applicant", "agency": "", "contact": "091****678",
		"subject": "Hồ sơ đã có kết quả", "body": "Mời nhận kết quả.",
	}, first)
	require.Equal(t, "b***@example.vn", second["contact"])
	require.Equal(t, "ubnd_xa", second["agency"])

	require.NotNil(t, NewLogNotifier(nil).log)
}

func TestPortalClient(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusOK, `{"ok":true}`})
	p, err := NewPortalClient(Config{URL: srv.URL + "/api/dvc/trang-thai", Secret: secret, Timeout: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, p.PushStatus(context.Background(), activities.PortalStatus{
		Code: "H57-0001", Procedure: "1.001193", Agency: "ubnd_xa", Status: dossier.StatusProcessing,
		StatusName: "Đang xử lý", Step: "tham_dinh", Seq: 3, At: at,
	}))
	requireRequest(t, got, "/api/dvc/trang-thai", "H57-0001/status/3", `{
		"code":"H57-0001","procedure":"1.001193","agency":"ubnd_xa","status":4,"status_name":"Đang xử lý",
		"step":"tham_dinh","seq":3,"at":"2025-03-04T09:05:06+07:00"}`)
}

func TestPaymentsClient(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusCreated, `{"reference":"PAY-2025-77","url":"https://thanhtoan.example/PAY-2025-77"}`})
	p, err := NewPaymentsClient(Config{URL: srv.URL + "/payments", Secret: secret})
	require.NoError(t, err)
	req := activities.PaymentRequest{Code: "H57-0001", Amount: 50000, Fees: []string{"le_phi"}, Payer: "Trần Thị Bích", Deadline: at}
	o, err := p.RequestPayment(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, activities.PaymentOrder{Reference: "PAY-2025-77", URL: "https://thanhtoan.example/PAY-2025-77"}, o)
	r := requireRequest(t, got, "/payments", "H57-0001/payment/"+mustKeyPart(t, req), `{
		"code":"H57-0001","amount":50000,"fees":["le_phi"],"payer":"Trần Thị Bích","deadline":"2025-03-04T09:05:06+07:00"}`)
	require.Regexp(t, `^H57-0001/payment/[0-9a-f]{16}$`, r.Key)

	// A retry has the same key; another request another.
	_, err = p.RequestPayment(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, r.Key, (<-got).Key)
	req.Amount = 70000
	_, err = p.RequestPayment(context.Background(), req)
	require.NoError(t, err)
	require.NotEqual(t, r.Key, (<-got).Key)
}

func mustKeyPart(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])[:16]
}

func TestPaymentsAnswerWithoutReference(t *testing.T) {
	t.Parallel()
	srv, _ := newServer(t, answer{http.StatusOK, `{"url":"https://x"}`})
	p, err := NewPaymentsClient(Config{URL: srv.URL})
	require.NoError(t, err)
	_, err = p.RequestPayment(context.Background(), activities.PaymentRequest{Code: "H57"})
	require.EqualError(t, err, `payment platform: POST `+srv.URL+`: the answer has no "reference"`)
}

func TestChecksClient(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusOK, `{"passed":false,"note":" Không tìm thấy thông tin cư trú "}`})
	c, err := NewChecksClient(Config{URL: srv.URL + "/lgsp/", Secret: secret})
	require.NoError(t, err)
	req := activities.CheckRequest{Code: "H57-0001", Check: "cu_tru", Applicant: applicant, Form: map[string]any{"xa": "Tân Ninh"}}
	res, err := c.Check(context.Background(), req)
	require.NoError(t, err)
	require.Equal(t, activities.CheckResult{Passed: false, Note: "Không tìm thấy thông tin cư trú"}, res)
	requireRequest(t, got, "/lgsp/checks/cu_tru", "H57-0001/check/cu_tru/"+mustKeyPart(t, req), `{
		"code":"H57-0001","check":"cu_tru",
		"applicant":{"id":"079203001234","name":"Trần Thị Bích","contact":"0912345678"},
		"form":{"xa":"Tân Ninh"}}`)
}

func TestChecksClientRefuses(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusOK, `{"note":"ok"}`})
	c, err := NewChecksClient(Config{URL: srv.URL})
	require.NoError(t, err)

	// {} must never pass a check.
	_, err = c.Check(context.Background(), activities.CheckRequest{Code: "H57", Check: "cu_tru"})
	require.EqualError(t, err, `checks: POST `+srv.URL+`/checks/cu_tru: the answer has no "passed"`)
	<-got

	for _, name := range []string{"", "../admin", "a/b", ".."} {
		_, err = c.Check(context.Background(), activities.CheckRequest{Code: "H57", Check: name})
		require.ErrorContains(t, err, "checks: invalid check name")
	}
	require.Empty(t, got, "no request for an invalid name")
}

func TestPostalClient(t *testing.T) {
	t.Parallel()
	srv, got := newServer(t, answer{http.StatusOK, `{"tracking":"EB123456789VN"}`})
	p, err := NewPostalClient(Config{URL: srv.URL + "/vnpost/orders", Secret: secret})
	require.NoError(t, err)
	tracking, err := p.Ship(context.Background(), activities.Shipment{Code: "H57-0001", ResultCode: "H57-0001-KQ1", Applicant: applicant})
	require.NoError(t, err)
	require.Equal(t, "EB123456789VN", tracking)
	requireRequest(t, got, "/vnpost/orders", "H57-0001/shipment/H57-0001-KQ1", `{
		"code":"H57-0001","result_code":"H57-0001-KQ1",
		"applicant":{"id":"079203001234","name":"Trần Thị Bích","contact":"0912345678"}}`)

	srv2, _ := newServer(t, answer{http.StatusOK, `{"tracking":""}`})
	p2, err := NewPostalClient(Config{URL: srv2.URL})
	require.NoError(t, err)
	_, err = p2.Ship(context.Background(), activities.Shipment{Code: "H57"})
	require.EqualError(t, err, `postal service: POST `+srv2.URL+`: the answer has no "tracking"`)
}

// call is one client call against cfg, for the error cases every client
// shares; answers says whether the call decodes an answer.
type call struct {
	name    string
	system  string
	suffix  string // what the client adds to the configured URL
	answers bool
	do      func(ctx context.Context, cfg Config) error
}

var calls = []call{
	{"webhook", "notification webhook", "", false, func(ctx context.Context, cfg Config) error {
		n, err := NewWebhookNotifier(cfg)
		if err != nil {
			return err
		}
		return n.Notify(ctx, activities.Notification{Code: "H57", Key: "k"})
	}},
	{"portal", "portal", "", false, func(ctx context.Context, cfg Config) error {
		p, err := NewPortalClient(cfg)
		if err != nil {
			return err
		}
		return p.PushStatus(ctx, activities.PortalStatus{Code: "H57", Seq: 1})
	}},
	{"payments", "payment platform", "", true, func(ctx context.Context, cfg Config) error {
		p, err := NewPaymentsClient(cfg)
		if err != nil {
			return err
		}
		_, err = p.RequestPayment(ctx, activities.PaymentRequest{Code: "H57", Amount: 1})
		return err
	}},
	{"checks", "checks", "/checks/x", true, func(ctx context.Context, cfg Config) error {
		c, err := NewChecksClient(cfg)
		if err != nil {
			return err
		}
		_, err = c.Check(ctx, activities.CheckRequest{Code: "H57", Check: "x"})
		return err
	}},
	{"postal", "postal service", "", true, func(ctx context.Context, cfg Config) error {
		p, err := NewPostalClient(cfg)
		if err != nil {
			return err
		}
		_, err = p.Ship(ctx, activities.Shipment{Code: "H57", ResultCode: "H57-KQ1"})
		return err
	}},
}

func TestNon2xx(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Lỗi máy chủ   \n", 200) // 3 000 bytes, multi-byte runes
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, answer{http.StatusServiceUnavailable, long})
			err := c.do(context.Background(), Config{URL: srv.URL + "/x"})
			var se *StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, http.StatusServiceUnavailable, se.StatusCode)
			require.True(t, se.Temporary())
			require.LessOrEqual(t, len(se.Excerpt), 512+len("…"))
			require.True(t, strings.HasSuffix(se.Excerpt, "…"))
			require.True(t, strings.HasPrefix(se.Excerpt, "Lỗi máy chủ Lỗi máy chủ"), "whitespace collapsed")
			require.True(t, strings.HasPrefix(err.Error(), c.system+": POST "+srv.URL+"/x"+c.suffix+": 503"), err.Error())
			require.Contains(t, err.Error(), ": 503 Service Unavailable: Lỗi máy chủ")

			srv2, _ := newServer(t, answer{http.StatusBadRequest, `{"error":"thiếu mã hồ sơ"}`})
			err = c.do(context.Background(), Config{URL: srv2.URL})
			require.EqualError(t, err, c.system+": POST "+srv2.URL+c.suffix+`: 400 Bad Request: {"error":"thiếu mã hồ sơ"}`)
			require.ErrorAs(t, err, &se)
			require.False(t, se.Temporary())
		})
	}
}

func TestRedirectIsAnError(t *testing.T) {
	t.Parallel()
	target, got := newServer(t, answer{http.StatusOK, `{}`})
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(srv.Close)
	for _, c := range calls {
		err := c.do(context.Background(), Config{URL: srv.URL})
		var se *StatusError
		require.ErrorAs(t, err, &se, c.name)
		require.Equal(t, http.StatusFound, se.StatusCode)
	}
	require.Empty(t, got, "the redirect was not followed")
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			// The configured timeout.
			start := time.Now()
			err := c.do(context.Background(), Config{URL: srv.URL, Timeout: 100 * time.Millisecond})
			require.Less(t, time.Since(start), 5*time.Second)
			require.ErrorContains(t, err, c.system+": POST "+srv.URL+c.suffix+": timed out after 100ms")

			// The caller's deadline.
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			err = c.do(ctx, Config{URL: srv.URL})
			require.ErrorIs(t, err, context.DeadlineExceeded)
			require.EqualError(t, err, c.system+": POST "+srv.URL+c.suffix+": context deadline exceeded")
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	t.Parallel()
	for _, c := range calls {
		if !c.answers {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := newServer(t, answer{http.StatusOK, "<html><body>Cổng đang bảo trì</body></html>"})
			err := c.do(context.Background(), Config{URL: srv.URL})
			require.EqualError(t, err, c.system+": POST "+srv.URL+c.suffix+": answer (200 OK) is not the JSON expected: invalid character '<' looking for beginning of value: <html><body>Cổng đang bảo trì</body></html>")

			srv2, _ := newServer(t, answer{http.StatusOK, ""})
			err = c.do(context.Background(), Config{URL: srv2.URL})
			require.EqualError(t, err, c.system+": POST "+srv2.URL+c.suffix+": answer (200 OK) is not the JSON expected: unexpected end of JSON input: (empty body)")

			srv3, _ := newServer(t, answer{http.StatusOK, `{"passed":"yes","tracking":1,"reference":2}`})
			err = c.do(context.Background(), Config{URL: srv3.URL})
			require.ErrorContains(t, err, "is not the JSON expected: json: cannot unmarshal")
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	for _, c := range calls {
		err := c.do(context.Background(), Config{URL: url})
		require.ErrorContains(t, err, c.system+": POST "+url+c.suffix+": dial tcp")
		require.ErrorContains(t, err, "connection refused")
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"empty":    {Config{}, "config URL is empty"},
		"blank":    {Config{URL: "  "}, "config URL is empty"},
		"scheme":   {Config{URL: "ftp://cong.example/x"}, `config URL "ftp://cong.example/x": scheme must be http or https`},
		"relative": {Config{URL: "/api/status"}, `config URL "/api/status": scheme must be http or https`},
		"no host":  {Config{URL: "https:///api"}, `config URL "https:///api": no host`},
		"parse":    {Config{URL: "http://a b.example"}, `config URL "http://a b.example": invalid character " " in host name`},
		"fragment": {Config{URL: "https://x.example/a#b"}, `config URL "https://x.example/a#b": a fragment (#…) is not allowed`},
		"timeout":  {Config{URL: "https://x.example", Timeout: -time.Second}, "config Timeout -1s is negative"},
		"redacted": {Config{URL: "ftp://user:matkhau@x.example"}, `config URL "ftp://user:xxxxx@x.example": scheme must be http or https`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, c := range calls {
				err := c.do(context.Background(), tc.cfg)
				require.EqualError(t, err, c.system+": "+tc.want)
				require.NotContains(t, err.Error(), "matkhau")
			}
		})
	}
	ep, err := newEndpoint("portal", Config{URL: "https://x.example"})
	require.NoError(t, err)
	require.Equal(t, DefaultTimeout, ep.client.Timeout)
}

// A receiver written in Go checks requests with VerifyRequest.
func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	verdicts := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verdicts <- VerifyRequest([]byte(secret), r.Header, body, time.Now(), time.Minute)
	}))
	t.Cleanup(srv.Close)
	p, err := NewPortalClient(Config{URL: srv.URL, Secret: secret})
	require.NoError(t, err)
	require.NoError(t, p.PushStatus(context.Background(), activities.PortalStatus{Code: "H57", Seq: 1}))
	require.NoError(t, <-verdicts)

	wrong, err := NewPortalClient(Config{URL: srv.URL, Secret: "khác"})
	require.NoError(t, err)
	require.NoError(t, wrong.PushStatus(context.Background(), activities.PortalStatus{Code: "H57", Seq: 1}))
	require.EqualError(t, <-verdicts, "X-Motcua-Signature does not match the body")

	old, err := NewPortalClient(Config{URL: srv.URL, Secret: secret})
	require.NoError(t, err)
	old.ep.now = func() time.Time { return time.Now().Add(-time.Hour) }
	require.NoError(t, old.PushStatus(context.Background(), activities.PortalStatus{Code: "H57", Seq: 1}))
	err = <-verdicts
	require.ErrorContains(t, err, "X-Motcua-Timestamp is 1h0m")
	require.ErrorContains(t, err, "away from now, more than 1m0s")

	unsigned, err := NewPortalClient(Config{URL: srv.URL})
	require.NoError(t, err)
	require.NoError(t, unsigned.PushStatus(context.Background(), activities.PortalStatus{Code: "H57", Seq: 1}))
	require.EqualError(t, <-verdicts, "missing X-Motcua-Timestamp or X-Motcua-Signature header")
}

func TestMaskContact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                "",
		"0912345678":      "091****678",
		"+84912345678":    "+84******678",
		"12345":           "*****",
		"bich@example.vn": "b***@example.vn",
		"ánh@x.vn":        "á**@x.vn",
	} {
		require.Equal(t, want, maskContact(in), in)
	}
}

func TestStatusErrorTemporary(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]bool{408: true, 425: true, 429: true, 500: true, 502: true, 400: false, 401: false, 404: false, 409: false, 302: false} {
		require.Equal(t, want, (&StatusError{StatusCode: code}).Temporary(), code)
	}
	require.False(t, errors.Is(&StatusError{}, context.Canceled))
}
