package api

import (
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// SubmitBody is a submission as JSON (no files; re-used components and
// e-forms only). As multipart/form-data the same names are form fields:
// procedure, mode, channel, delivery, applicant.id, applicant.name,
// applicant.contact, form.<field id> (one per field), reused (repeated),
// and each component's file under its component id.
type SubmitBody struct {
	Procedure string         `json:"procedure" validate:"required,max=64"`
	Mode      string         `json:"mode" validate:"required,max=64"`
	Channel   string         `json:"channel" validate:"required,max=64"`
	Delivery  string         `json:"delivery,omitempty" validate:"max=64"`
	Applicant ApplicantBody  `json:"applicant"`
	Form      map[string]any `json:"form,omitempty" validate:"max=500"`
	Reused    []string       `json:"reused,omitempty" validate:"max=100,dive,required,max=64"`
}

// ApplicantBody is who submits: for a citizen, id defaults to their own
// identity number and name to their account's.
type ApplicantBody struct {
	ID      string `json:"id,omitempty" validate:"max=64"`
	Name    string `json:"name,omitempty" validate:"max=200"`
	Contact string `json:"contact,omitempty" validate:"max=200"`
}

// SupplementBody is a supplement as JSON (form fields only); as
// multipart/form-data: form.<field id>, note, and files by component id.
type SupplementBody struct {
	Form map[string]any `json:"form,omitempty" validate:"max=500"`
	Note string         `json:"note,omitempty" validate:"max=2000"`
}

// WithdrawBody asks to withdraw a dossier.
type WithdrawBody struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// RatingBody rates the handling.
type RatingBody struct {
	Satisfied *bool  `json:"satisfied" validate:"required"`
	Comment   string `json:"comment,omitempty" validate:"max=2000"`
}

// ActBody is an officer's action on an open task.
type ActBody struct {
	Task    string   `json:"task" validate:"required,max=200"`
	Outcome string   `json:"outcome" validate:"required,max=100"`
	Note    string   `json:"note,omitempty" validate:"max=2000"`
	Items   []string `json:"items,omitempty" validate:"max=50,dive,required,max=500"`
}

// ExtendBody moves the appointment once.
type ExtendBody struct {
	NewAppointment time.Time `json:"new_appointment" validate:"required"`
	Reason         string    `json:"reason" validate:"required,max=2000"`
}

// maxFieldBytes bounds one text field of a multipart form.
const maxFieldBytes = 64 << 10

// multipartMemory is how much of a multipart body is kept in memory;
// the rest of the files go to temporary files, removed after the request.
const multipartMemory = 8 << 20

// parsed is a submission or supplement read from a request.
type parsed struct {
	fields  map[string][]string
	uploads []service.Upload
	form    *multipart.Form
}

func (p *parsed) close() {
	if p.form != nil {
		_ = p.form.RemoveAll()
	}
}

// readMultipart reads a multipart/form-data body of at most limit bytes.
// Text fields are kept by name; file parts become uploads named by their
// field (the component id) with the file's base name.
func readMultipart(w http.ResponseWriter, r *http.Request, limit int64) (*parsed, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(multipartMemory); err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return nil, errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "",
				"the upload is larger than %d MiB in all: send smaller files", limit>>20)
		}
		return nil, badRequest("", "malformed multipart/form-data body: %v", err)
	}
	p := &parsed{fields: map[string][]string{}, form: r.MultipartForm}
	for name, vals := range r.MultipartForm.Value {
		for _, v := range vals {
			if len(v) > maxFieldBytes {
				p.close()
				return nil, badRequest(name, "field %s is longer than %d KiB", name, maxFieldBytes>>10)
			}
		}
		p.fields[name] = vals
	}
	for name, files := range r.MultipartForm.File {
		for _, fh := range files {
			f, err := fh.Open()
			if err != nil {
				p.close()
				return nil, fmt.Errorf("opening upload %s: %w", name, err)
			}
			// The multipart form closes nothing itself; RemoveAll removes
			// temporary files, and in-memory ones need no closing.
			p.uploads = append(p.uploads, service.Upload{ID: name, FileName: safeFileName(fh.Filename), Data: f})
		}
	}
	return p, nil
}

// safeFileName keeps the base name of a client's file name: no folders,
// no control characters.
func safeFileName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == ".." {
		return ""
	}
	return name
}

// single returns the one value of a multipart field; twice is an error.
func (p *parsed) single(name string) (string, error) {
	vals := p.fields[name]
	switch len(vals) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(vals[0]), nil
	}
	return "", badRequest(name, "field %s is given %d times: give it once", name, len(vals))
}

// formText turns a JSON form value into the text the service checks.
func formText(field string, v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	}
	return "", badRequest("form."+field, "form field %s must be a string, a number or true/false", field)
}

func jsonForm(form map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(form))
	for k, v := range form {
		t, err := formText(k, v)
		if err != nil {
			return nil, err
		}
		out[k] = t
	}
	return out, nil
}

// submit handles POST /v1/dossiers.
func (s *Server) submit(c *call) (any, error) {
	var req service.SubmitRequest
	switch mediaType(c.r) {
	case "multipart/form-data":
		p, err := readMultipart(c.w, c.r, s.maxUp)
		if err != nil {
			return nil, err
		}
		defer p.close()
		req.Form = map[string]string{}
		for name := range p.fields {
			switch {
			case name == "reused":
				req.Reused = p.fields[name]
			case strings.HasPrefix(name, "form."):
				v, err := p.single(name)
				if err != nil {
					return nil, err
				}
				req.Form[strings.TrimPrefix(name, "form.")] = v
			default:
				v, err := p.single(name)
				if err != nil {
					return nil, err
				}
				switch name {
				case "procedure":
					req.Procedure = v
				case "mode":
					req.Mode = v
				case "channel":
					req.Channel = v
				case "delivery":
					req.Delivery = v
				case "applicant.id":
					req.Applicant.ID = v
				case "applicant.name":
					req.Applicant.Name = v
				case "applicant.contact":
					req.Applicant.Contact = v
				default:
					return nil, badRequest(name, "unknown field %q: form fields are sent as form.<field id>, files under their component id", name)
				}
			}
		}
		req.Components = p.uploads
	case "application/json":
		var b SubmitBody
		if err := s.readBody(c, &b); err != nil {
			return nil, err
		}
		form, err := jsonForm(b.Form)
		if err != nil {
			return nil, err
		}
		req = service.SubmitRequest{Procedure: b.Procedure, Mode: b.Mode, Channel: b.Channel, Delivery: b.Delivery,
			Applicant: dossier.Applicant{ID: b.Applicant.ID, Name: b.Applicant.Name, Contact: b.Applicant.Contact},
			Form:      form, Reused: b.Reused}
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType, "Content-Type",
			"send the dossier as multipart/form-data (with files) or application/json (without), not %q", c.r.Header.Get("Content-Type"))
	}
	req.IdempotencyKey = c.r.Header.Get(service.IdempotencyHeader)
	plan := s.svc.Catalog().Plan(strings.TrimSpace(req.Procedure))
	if err := access.Submit(c.p, plan, req.Channel, req.Applicant.ID); err != nil {
		return nil, err
	}
	if c.p.Kind == auth.KindCitizen {
		req.Applicant.ID = access.ApplicantID(c.p)
		if strings.TrimSpace(req.Applicant.Name) == "" {
			req.Applicant.Name = c.p.Name
		}
	}
	st, err := s.svc.Submit(c.r.Context(), req)
	if err != nil {
		return nil, err
	}
	c.target = st.Code
	c.w.Header().Set("Location", "/v1/dossiers/"+url.PathEscape(st.Code))
	return st, nil
}

// dossierFor reads a dossier the caller may see, live from its workflow.
func (s *Server) dossierFor(c *call) (dossier.State, []dossier.Task, error) {
	st, err := s.svc.Status(c.r.Context(), c.r.PathValue("code"))
	if err != nil {
		return dossier.State{}, nil, err
	}
	return s.allowed(c, st)
}

// dossierToAct reads a dossier the caller may see before an action: from
// the read model, which holds all the access decision needs, and live
// from the workflow when the read model does not know it yet. live
// re-reads it from the workflow, for a task the read model has not seen.
func (s *Server) dossierToAct(c *call) (st dossier.State, tasks []dossier.Task, live func() (dossier.State, error), err error) {
	code := c.r.PathValue("code")
	live = func() (dossier.State, error) { return s.svc.Status(c.r.Context(), code) }
	st, err = s.store.DossierGet(c.r.Context(), code)
	if err == nil {
		var den *access.Denied
		if st, tasks, err = s.allowed(c, st); !errors.As(err, &den) {
			return st, tasks, live, err
		}
		// The read model may not show yet the task that involves the
		// caller's agency: the live dossier decides.
	} else if !errors.Is(err, store.ErrNotFound) {
		return dossier.State{}, nil, nil, err
	}
	if st, err = live(); err != nil {
		return dossier.State{}, nil, nil, err
	}
	st, tasks, err = s.allowed(c, st)
	return st, tasks, live, err
}

// allowed checks the caller may see a dossier, with the open tasks of
// its consultations.
func (s *Server) allowed(c *call, st dossier.State) (dossier.State, []dossier.Task, error) {
	tasks, err := s.svc.OpenTasks(c.r.Context(), st.Code)
	if err != nil {
		return dossier.State{}, nil, err
	}
	if err := access.ReadDossier(c.p, st, tasks); err != nil {
		return dossier.State{}, nil, err
	}
	return st, tasks, nil
}

// getDossier handles GET /v1/dossiers/{code}.
func (s *Server) getDossier(c *call) (any, error) {
	st, _, err := s.dossierFor(c)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// listDossiers handles GET /v1/dossiers.
func (s *Server) listDossiers(c *call) (any, error) {
	if err := access.ListDossiers(c.p); err != nil {
		return nil, err
	}
	pageNo, perPage, err := page(c.r)
	if err != nil {
		return nil, err
	}
	p := store.DossierListParams{Procedure: c.r.URL.Query().Get("procedure"), Limit: perPage, Offset: (pageNo - 1) * perPage}
	if v := c.r.URL.Query().Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return nil, badRequest("status", "status must be a national status from 1 to 10, not %q", v)
		}
		p.Status = dossier.Status(n)
	}
	switch c.p.Kind {
	case auth.KindCitizen:
		p.ApplicantID = access.ApplicantID(c.p)
	case auth.KindOfficer:
		p.Agency = c.p.Agency
	}
	items, err := s.store.DossierList(c.r.Context(), p)
	if err != nil {
		return nil, err
	}
	total, err := s.store.DossierCount(c.r.Context(), p)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []dossier.State{}
	}
	return DossierList{Items: items, Total: total, Page: pageNo, PerPage: perPage}, nil
}

// supplement handles POST /v1/dossiers/{code}/supplement.
func (s *Server) supplement(c *call) (any, error) {
	st, _, err := s.dossierFor(c)
	if err != nil {
		return nil, err
	}
	actor, err := access.Applicant(c.p, st)
	if err != nil {
		return nil, err
	}
	req := service.SupplementRequest{ApplicantID: actor.ID}
	switch mediaType(c.r) {
	case "multipart/form-data":
		p, err := readMultipart(c.w, c.r, s.maxUp)
		if err != nil {
			return nil, err
		}
		defer p.close()
		req.Form = map[string]string{}
		for name := range p.fields {
			v, err := p.single(name)
			if err != nil {
				return nil, err
			}
			switch {
			case name == "note":
				req.Note = v
			case strings.HasPrefix(name, "form."):
				req.Form[strings.TrimPrefix(name, "form.")] = v
			default:
				return nil, badRequest(name, "unknown field %q: a supplement has form.<field id>, note and files under their component id", name)
			}
		}
		req.Components = p.uploads
	case "application/json":
		var b SupplementBody
		if err := s.readBody(c, &b); err != nil {
			return nil, err
		}
		if req.Form, err = jsonForm(b.Form); err != nil {
			return nil, err
		}
		req.Note = b.Note
	default:
		return nil, errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType, "Content-Type",
			"send the supplement as multipart/form-data (with files) or application/json (without), not %q", c.r.Header.Get("Content-Type"))
	}
	return s.svc.Supplement(c.r.Context(), st.Code, req)
}

// readBody checks the media type and decodes a JSON body into dst.
func (s *Server) readBody(c *call, dst any) error {
	if err := requireJSON(c.r); err != nil {
		return err
	}
	return DecodeJSON(http.MaxBytesReader(c.w, c.r.Body, s.maxBody), s.maxBody, dst)
}

// asApplicant reads body, checks the caller is the dossier's applicant
// and runs the action as them.
func (s *Server) asApplicant(c *call, body any, action func(code string, actor dossier.Actor) (dossier.State, error)) (any, error) {
	if err := s.readBody(c, body); err != nil {
		return nil, err
	}
	st, _, err := s.dossierFor(c)
	if err != nil {
		return nil, err
	}
	actor, err := access.Applicant(c.p, st)
	if err != nil {
		return nil, err
	}
	return action(st.Code, actor)
}

// withdraw handles POST /v1/dossiers/{code}/withdraw.
func (s *Server) withdraw(c *call) (any, error) {
	var b WithdrawBody
	return s.asApplicant(c, &b, func(code string, actor dossier.Actor) (dossier.State, error) {
		return s.svc.Withdraw(c.r.Context(), code, workflows.WithdrawRequest{Actor: actor, Reason: b.Reason})
	})
}

// rate handles POST /v1/dossiers/{code}/rating.
func (s *Server) rate(c *call) (any, error) {
	var b RatingBody
	return s.asApplicant(c, &b, func(code string, actor dossier.Actor) (dossier.State, error) {
		return s.svc.Rate(c.r.Context(), code, workflows.RateRequest{Actor: actor, Satisfied: *b.Satisfied, Comment: b.Comment})
	})
}

// act handles POST /v1/dossiers/{code}/actions.
func (s *Server) act(c *call) (any, error) {
	var b ActBody
	if err := s.readBody(c, &b); err != nil {
		return nil, err
	}
	st, tasks, live, err := s.dossierToAct(c)
	if err != nil {
		return nil, err
	}
	task, ok := access.FindTask(b.Task, st.OpenTasks, tasks)
	if !ok { // just opened, or the read model lags: ask the dossier
		if st, err = live(); err != nil {
			return nil, err
		}
		task, ok = access.FindTask(b.Task, st.OpenTasks, tasks)
	}
	if !ok {
		return nil, &service.RejectedError{Message: fmt.Sprintf("dossier %s has no open task %q (open: %s)", st.Code, b.Task, taskList(st.OpenTasks, tasks))}
	}
	if _, err := access.Act(c.p, st, task); err != nil {
		return nil, err
	}
	return s.svc.Act(c.r.Context(), st.Code, workflows.ActRequest{Task: task.ID, Outcome: b.Outcome,
		Actor: access.OfficerFor(c.p, task), Note: b.Note, Items: b.Items})
}

func taskList(lists ...[]dossier.Task) string {
	var ids []string
	for _, l := range lists {
		for _, t := range l {
			if t.Role != dossier.RoleApplicant && !contains(ids, t.ID) {
				ids = append(ids, t.ID)
			}
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// extend handles POST /v1/dossiers/{code}/extension.
func (s *Server) extend(c *call) (any, error) {
	var b ExtendBody
	if err := s.readBody(c, &b); err != nil {
		return nil, err
	}
	st, _, err := s.dossierFor(c)
	if err != nil {
		return nil, err
	}
	actor, err := access.Extend(c.p, st)
	if err != nil {
		return nil, err
	}
	return s.svc.Extend(c.r.Context(), st.Code, workflows.ExtendRequest{Actor: actor, NewAppointment: b.NewAppointment, Reason: b.Reason})
}

// getFile handles GET /v1/dossiers/{code}/files/{sha256}.
func (s *Server) getFile(c *call) (any, error) {
	st, _, err := s.dossierFor(c)
	if err != nil {
		return nil, err
	}
	f, ref, err := s.svc.OpenFile(c.r.Context(), st.Code, c.r.PathValue("sha256"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	name := ref.Name
	if name == "" {
		name = ref.ID
	}
	serveFile(c.w, c.r, name, f, c.r.URL.Query().Get("inline") == "1")
	return nil, nil
}

// serveFile answers a stored file with a safe type and disposition.
func serveFile(w http.ResponseWriter, r *http.Request, name string, f interface {
	Read([]byte) (int, error)
	Seek(int64, int) (int64, error)
}, inline bool,
) {
	ct := mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	switch ct {
	case "application/pdf", "image/jpeg", "image/png", "application/json":
	default:
		ct, inline = "application/octet-stream", false
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox")
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": name}))
	http.ServeContent(w, r, "", time.Time{}, f)
}

// resultOf reads the result code of a dossier the caller may see.
func (s *Server) resultOf(c *call) (string, error) {
	st, _, err := s.dossierFor(c)
	if err != nil {
		return "", err
	}
	if st.Result == nil || st.Result.Code == "" || st.Result.SHA256 == "" {
		return "", notFound("dossier %s has no signed result yet (status %d, %s)", st.Code, st.Status, st.Status)
	}
	return st.Result.Code, nil
}

// getResult handles GET /v1/dossiers/{code}/result.
func (s *Server) getResult(c *call) (any, error) {
	code, err := s.resultOf(c)
	if err != nil {
		return nil, err
	}
	doc, _, err := s.svc.OpenResult(c.r.Context(), code)
	if err != nil {
		return nil, err
	}
	defer doc.Close()
	serveFile(c.w, c.r, code+".json", doc, false)
	return nil, nil
}

// getResultSignature handles GET /v1/dossiers/{code}/result/signature.
func (s *Server) getResultSignature(c *call) (any, error) {
	code, err := s.resultOf(c)
	if err != nil {
		return nil, err
	}
	doc, sig, err := s.svc.OpenResult(c.r.Context(), code)
	if err != nil {
		return nil, err
	}
	doc.Close()
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": code + ".sig.json"}))
	_, _ = c.w.Write(sig)
	return nil, nil
}

// verifyResult handles GET /v1/dossiers/{code}/result/verification.
func (s *Server) verifyResult(c *call) (any, error) {
	code, err := s.resultOf(c)
	if err != nil {
		return nil, err
	}
	v, err := s.svc.VerifyResult(c.r.Context(), code)
	if err != nil {
		if errors.Is(err, service.ErrNotFound) {
			return nil, err
		}
		return nil, &service.RejectedError{Message: "the result's signature does not verify: " + err.Error()}
	}
	return v, nil
}
