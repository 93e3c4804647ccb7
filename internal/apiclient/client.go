// Package apiclient is a Go client of motcua's HTTP API, used by the
// command line's --server mode: the same operations as internal/service,
// with the same error types, so a command does not care which path it
// took. The caller is whoever the bearer token names; the API decides what
// they may do.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/reqid"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// Client calls one API server.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New returns a client of the API at base (e.g. http://127.0.0.1:8080)
// sending token as its bearer credential.
func New(base, token string) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: give http://host:port or https://host:port", base)
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// Error is an error answer the service's error types do not cover
// (401, 403, 413, 5xx …).
type Error struct {
	Status    int
	Code      string
	Message   string
	Field     string
	RequestID string
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s (HTTP %d %s", e.Message, e.Status, e.Code)
	if e.RequestID != "" {
		msg += ", request " + e.RequestID
	}
	return msg + ")"
}

// do sends a request and decodes a JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, contentType string, body io.Reader, out any) error {
	return c.doHeader(ctx, method, path, query, nil, contentType, body, out)
}

// doHeader is do with extra request headers.
func (c *Client) doHeader(ctx context.Context, method, path string, query url.Values, header http.Header, contentType string,
	body io.Reader, out any,
) error {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if id := reqid.From(ctx); id != "" {
		req.Header.Set(reqid.Header, id)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", method, u.Redacted(), err)
	}
	if resp.StatusCode >= 300 {
		return answerError(resp, data)
	}
	if out == nil {
		return nil
	}
	if w, ok := out.(io.Writer); ok {
		_, err := w.Write(data)
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, u.Redacted(), err)
	}
	return nil
}

// answerError maps an error answer to the service's error types.
func answerError(resp *http.Response, data []byte) error {
	var body api.ErrorBody
	if err := json.Unmarshal(data, &body); err != nil || body.Error == nil {
		text := strings.TrimSpace(string(data))
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		return &Error{Status: resp.StatusCode, Code: "http", Message: text, RequestID: resp.Header.Get(reqid.Header)}
	}
	e := body.Error
	switch resp.StatusCode {
	case http.StatusUnprocessableEntity:
		problems := e.Problems
		if len(problems) == 0 {
			problems = []service.Problem{{Field: e.Field, Message: e.Message}}
		}
		return &service.ValidationError{Problems: problems}
	case http.StatusConflict:
		return &service.RejectedError{Message: e.Message}
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", e.Message, service.ErrNotFound)
	}
	return &Error{Status: resp.StatusCode, Code: e.Code, Message: e.Message, Field: e.Field, RequestID: body.RequestID}
}

func jsonBody(v any) (io.Reader, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

func dossierPath(code, suffix string) string {
	return "/v1/dossiers/" + url.PathEscape(code) + suffix
}

// post sends a JSON body and reads a dossier state.
func (c *Client) post(ctx context.Context, path string, in any) (dossier.State, error) {
	body, err := jsonBody(in)
	if err != nil {
		return dossier.State{}, err
	}
	var st dossier.State
	err = c.do(ctx, http.MethodPost, path, nil, "application/json", body, &st)
	return st, err
}

// multipartBody streams fields and uploads as multipart/form-data.
func multipartBody(fields [][2]string, uploads []service.Upload) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, f := range fields {
				if err := mw.WriteField(f[0], f[1]); err != nil {
					return err
				}
			}
			for _, u := range uploads {
				w, err := mw.CreateFormFile(u.ID, u.FileName)
				if err != nil {
					return err
				}
				if _, err := io.Copy(w, u.Data); err != nil {
					return fmt.Errorf("reading %s: %w", u.FileName, err)
				}
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

// Submit submits a dossier (multipart when it has files). With
// req.IdempotencyKey, sending it again after an error (a lost answer)
// returns the dossier of the first attempt instead of starting another.
func (c *Client) Submit(ctx context.Context, req service.SubmitRequest) (dossier.State, error) {
	fields := [][2]string{{"procedure", req.Procedure}, {"mode", req.Mode}, {"channel", req.Channel}}
	if req.Delivery != "" {
		fields = append(fields, [2]string{"delivery", req.Delivery})
	}
	for _, kv := range [][2]string{{"applicant.id", req.Applicant.ID}, {"applicant.name", req.Applicant.Name}, {"applicant.contact", req.Applicant.Contact}} {
		if kv[1] != "" {
			fields = append(fields, kv)
		}
	}
	for _, k := range sortedKeys(req.Form) {
		fields = append(fields, [2]string{"form." + k, req.Form[k]})
	}
	for _, id := range req.Reused {
		fields = append(fields, [2]string{"reused", id})
	}
	body, ct := multipartBody(fields, req.Components)
	var st dossier.State
	var header http.Header
	if req.IdempotencyKey != "" {
		header = http.Header{service.IdempotencyHeader: {req.IdempotencyKey}}
	}
	err := c.doHeader(ctx, http.MethodPost, "/v1/dossiers", nil, header, ct, body, &st)
	return st, err
}

// Status reads a dossier.
func (c *Client) Status(ctx context.Context, code string) (dossier.State, error) {
	var st dossier.State
	err := c.do(ctx, http.MethodGet, dossierPath(code, ""), nil, "", nil, &st)
	return st, err
}

// Tasks reads the caller's inbox (the token decides whose; the request's
// roles, agency and applicant are the server's business).
func (c *Client) Tasks(ctx context.Context, req service.TasksRequest) ([]store.TaskRow, error) {
	q := url.Values{}
	if req.Limit > 0 {
		q.Set("per_page", strconv.Itoa(min(req.Limit, 200)))
	}
	var in api.Inbox
	if err := c.do(ctx, http.MethodGet, "/v1/inbox", q, "", nil, &in); err != nil {
		return nil, err
	}
	return in.Items, nil
}

// Act acts on an open task; the actor is the token's.
func (c *Client) Act(ctx context.Context, code string, req workflows.ActRequest) (dossier.State, error) {
	return c.post(ctx, dossierPath(code, "/actions"), api.ActBody{Task: req.Task, Outcome: req.Outcome, Note: req.Note, Items: req.Items})
}

// Supplement sends the applicant's supplement.
func (c *Client) Supplement(ctx context.Context, code string, req service.SupplementRequest) (dossier.State, error) {
	var fields [][2]string
	for _, k := range sortedKeys(req.Form) {
		fields = append(fields, [2]string{"form." + k, req.Form[k]})
	}
	if req.Note != "" {
		fields = append(fields, [2]string{"note", req.Note})
	}
	body, ct := multipartBody(fields, req.Components)
	var st dossier.State
	err := c.do(ctx, http.MethodPost, dossierPath(code, "/supplement"), nil, ct, body, &st)
	return st, err
}

// Withdraw asks to withdraw a dossier.
func (c *Client) Withdraw(ctx context.Context, code string, req workflows.WithdrawRequest) (dossier.State, error) {
	return c.post(ctx, dossierPath(code, "/withdraw"), api.WithdrawBody{Reason: req.Reason})
}

// Rate rates a returned dossier.
func (c *Client) Rate(ctx context.Context, code string, req workflows.RateRequest) (dossier.State, error) {
	sat := req.Satisfied
	return c.post(ctx, dossierPath(code, "/rating"), api.RatingBody{Satisfied: &sat, Comment: req.Comment})
}

// Extend moves a dossier's appointment once.
func (c *Client) Extend(ctx context.Context, code string, req workflows.ExtendRequest) (dossier.State, error) {
	return c.post(ctx, dossierPath(code, "/extension"), api.ExtendBody{NewAppointment: req.NewAppointment, Reason: req.Reason})
}

// VerifyResult verifies the signed result of a dossier.
func (c *Client) VerifyResult(ctx context.Context, code string) (signing.VerifiedSignature, error) {
	var v signing.VerifiedSignature
	err := c.do(ctx, http.MethodGet, dossierPath(code, "/result/verification"), nil, "", nil, &v)
	return v, err
}

// Me returns who the token belongs to.
func (c *Client) Me(ctx context.Context) (api.Me, error) {
	var m api.Me
	err := c.do(ctx, http.MethodGet, "/v1/me", nil, "", nil, &m)
	return m, err
}

// Raw sends a GET and writes the answer's body to w (files, diagrams).
func (c *Client) Raw(ctx context.Context, path string, query url.Values, w io.Writer) error {
	return c.do(ctx, http.MethodGet, path, query, "", nil, w)
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
