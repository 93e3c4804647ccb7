// Package service is the one way in to the engine for the command line and
// the HTTP API: it checks a submission against its procedure's plan,
// stores the uploaded files, numbers the dossier, starts its workflow, and
// routes people's actions to the right workflow as Temporal Updates. It
// holds no procedure logic of its own: the workflow decides, the service
// checks what can be checked before anything starts and translates the
// answers.
package service

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/blobstore"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
)

// ErrNotFound is returned, wrapped, when neither Temporal nor the read
// model knows a dossier or a result. Test for it with errors.Is.
var ErrNotFound = errors.New("not found")

// Problem is one thing wrong with a request: the field at fault (a form
// field id, a component id, or one of procedure, mode, channel, delivery,
// applicant.id, applicant.name) and what is wrong with it.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string { return fmt.Sprintf("field %s: %s", p.Field, p.Message) }

// ValidationError lists every problem of a request; nothing was started or
// stored.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return fmt.Sprintf("%d problem(s): %s", len(e.Problems), strings.Join(lines, "; "))
}

// RejectedError is an action the workflow refused: its validator's message
// says why. Nothing was recorded.
type RejectedError struct {
	Message string `json:"message"`
}

func (e *RejectedError) Error() string { return e.Message }

// CodeFormatFunc makes a dossier code from the agency code, the day of
// reception (in Vietnam) and the day's sequence number at that agency.
type CodeFormatFunc func(agencyCode string, day time.Time, n int) string

// DefaultCodeFormat is the format of Circular 01/2018 Art. 19:
// <agency code>-<YYMMDD>-<NNNN>, e.g. 000.00.01.H22-250701-0001.
func DefaultCodeFormat(agencyCode string, day time.Time, n int) string {
	return fmt.Sprintf("%s-%s-%04d", agencyCode, day.In(dossier.Vietnam).Format("060102"), n)
}

// Options are the dependencies of a Service.
type Options struct {
	// Client talks to Temporal (required).
	Client client.Client
	// Store is the read model (required).
	Store *store.Store
	// Catalog holds the procedures people may submit (required).
	Catalog *definitions.Catalog
	// Files stores the uploaded files, content-addressed (required for
	// Submit and Supplement with files, and for OpenFile); default a
	// blobstore.FS in FilesDir.
	Files blobstore.Store
	// FilesDir, when Files is nil, is the folder of a blobstore.FS that
	// New creates (and creates the folder of); ignored when Files is set.
	FilesDir string
	// Results keeps the signed results (required for OpenResult and
	// VerifyResult); default a signing.ResultFolder in ResultsDir.
	Results signing.ResultStore
	// ResultsDir, when Results is nil, is the folder of the signed
	// results, as signing.NewIssuer writes them; ignored when Results is
	// set.
	ResultsDir string
	// Roots, when set, are the certificates VerifyResult checks the
	// signer's certificate against; without them a signature is checked
	// but its certificate is not trusted.
	Roots *x509.CertPool
	// Now is the clock of reception times; default time.Now.
	Now func() time.Time
	// CodeFormat makes dossier codes; default DefaultCodeFormat.
	CodeFormat func(agencyCode string, day time.Time, n int) string
	// QueryWait bounds how long Submit waits for a new workflow to answer
	// its first query; default 30 s.
	QueryWait time.Duration
	// ObserveUpdate, when set, is told the round-trip time of every
	// Update the service sends, with its name and outcome: "accepted",
	// "rejected" (the workflow refused it) or "error".
	ObserveUpdate func(name, outcome string, d time.Duration)
}

// Service is the engine's entry point. It is safe for concurrent use.
type Service struct {
	c         client.Client
	store     *store.Store
	catalog   *definitions.Catalog
	files     blobstore.Store
	results   signing.ResultStore
	roots     *x509.CertPool
	now       func() time.Time
	code      CodeFormatFunc
	queryWait time.Duration
	observe   func(name, outcome string, d time.Duration)
}

// New checks the options and returns a Service.
func New(o Options) (*Service, error) {
	var missing []string
	if o.Client == nil {
		missing = append(missing, "Client")
	}
	if o.Store == nil {
		missing = append(missing, "Store")
	}
	if o.Catalog == nil {
		missing = append(missing, "Catalog")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("service: missing %s", strings.Join(missing, ", "))
	}
	s := &Service{c: o.Client, store: o.Store, catalog: o.Catalog, results: o.Results, roots: o.Roots,
		now: o.Now, code: o.CodeFormat, queryWait: o.QueryWait, observe: o.ObserveUpdate}
	s.files = o.Files
	if s.files == nil && o.FilesDir != "" {
		fs, err := blobstore.NewFS(o.FilesDir)
		if err != nil {
			return nil, fmt.Errorf("service: the folder of uploaded files (Options.FilesDir): %w", err)
		}
		s.files = fs
	}
	if s.results == nil && o.ResultsDir != "" {
		s.results = signing.NewResultFolder(o.ResultsDir)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.code == nil {
		s.code = DefaultCodeFormat
	}
	if s.queryWait <= 0 {
		s.queryWait = 30 * time.Second
	}
	return s, nil
}

// Catalog returns the catalog the service submits against.
func (s *Service) Catalog() *definitions.Catalog { return s.catalog }

// agencyCode is the national code of the plan's competent agency, else its
// id in capitals.
func agencyCode(p *definitions.Plan) string {
	for _, a := range p.Agencies {
		if a.ID == p.Agency {
			if a.Code != "" {
				return a.Code
			}
			break
		}
	}
	return strings.ToUpper(p.Agency)
}

// nextCode numbers a new dossier of plan received at.
func (s *Service) nextCode(ctx context.Context, p *definitions.Plan, at time.Time) (string, error) {
	agency := agencyCode(p)
	day := at.In(dossier.Vietnam)
	n, err := s.store.SequenceNext(ctx, agency, day.Format("2006-01-02"))
	if err != nil {
		return "", err
	}
	return s.code(agency, day, n), nil
}

// planOf returns the plan a dossier runs, from the catalog: the version
// with the dossier's hash when the catalog still has it, else the current
// one of the procedure.
func (s *Service) planOf(st dossier.State) *definitions.Plan {
	for _, p := range s.catalog.Plans() {
		if p.Hash == st.PlanHash && p.Code == st.ProcedureCode {
			return p
		}
	}
	return s.catalog.Plan(st.ProcedureCode)
}
