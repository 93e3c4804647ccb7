package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// query asks a workflow for its state.
func (s *Service) query(ctx context.Context, workflowID string) (dossier.State, error) {
	v, err := s.c.QueryWorkflow(ctx, workflowID, "", workflows.QueryState)
	if err != nil {
		return dossier.State{}, err
	}
	var st dossier.State
	if err := v.Get(&st); err != nil {
		return dossier.State{}, fmt.Errorf("reading the state of %s: %w", workflowID, err)
	}
	return st, nil
}

// queryReady queries a workflow just started, retrying until its query
// handler answers (its first workflow task has run) or QueryWait passes.
func (s *Service) queryReady(ctx context.Context, code string) (dossier.State, error) {
	deadline := time.Now().Add(s.queryWait)
	wait := 20 * time.Millisecond
	for {
		// One attempt may hang while the first workflow task waits for a
		// busy worker: bound it, and try again until QueryWait passes.
		qctx, cancel := context.WithTimeout(ctx, min(5*time.Second, max(time.Until(deadline), 100*time.Millisecond)))
		st, err := s.query(qctx, code)
		cancel()
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return dossier.State{}, fmt.Errorf("dossier %s was started but does not answer yet (is a worker running on task queue %q?): %w",
				code, workflows.TaskQueue, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(wait*2, 500*time.Millisecond)
	}
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// Status returns the state of a dossier: live from its workflow while it
// runs, else as the read model last recorded it (closed dossiers, or ones
// Temporal no longer keeps). ErrNotFound when neither knows it.
func (s *Service) Status(ctx context.Context, code string) (dossier.State, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return dossier.State{}, fmt.Errorf("dossier code is empty: %w", ErrNotFound)
	}
	desc, derr := s.c.DescribeWorkflowExecution(ctx, code, "")
	running := derr == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if derr != nil && !isNotFound(derr) {
		// Temporal unreachable: the read model still answers.
		if st, err := s.store.DossierGet(ctx, code); err == nil {
			return st, nil
		}
		return dossier.State{}, fmt.Errorf("dossier %s: %w", code, derr)
	}
	if running {
		st, err := s.query(ctx, code)
		if err == nil {
			return st, nil
		}
		if rs, serr := s.store.DossierGet(ctx, code); serr == nil {
			return rs, nil
		}
		return dossier.State{}, fmt.Errorf("dossier %s: %w", code, err)
	}
	st, err := s.store.DossierGet(ctx, code)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return dossier.State{}, err
	}
	if derr == nil {
		// Closed, and the read model never heard of it: replay it.
		if st, qerr := s.query(ctx, code); qerr == nil {
			return st, nil
		}
	}
	return dossier.State{}, fmt.Errorf("dossier %s: %w", code, ErrNotFound)
}

// TasksRequest selects an inbox. Roles and Agency select officers' tasks
// (any role or agency when empty); ApplicantID the tasks waiting for that
// applicant. Limit defaults to 100.
type TasksRequest struct {
	Roles       []string
	Agency      string
	ApplicantID string
	Limit       int
}

// Tasks returns an inbox from the read model: overdue tasks first, then
// by due time.
func (s *Service) Tasks(ctx context.Context, req TasksRequest) ([]store.TaskRow, error) {
	return s.store.TaskList(ctx, store.TaskListParams{Roles: req.Roles, Agency: req.Agency,
		ApplicantID: req.ApplicantID, Limit: req.Limit, Now: s.now()})
}

// Act performs an officer's action on an open task of a dossier, on the
// dossier's workflow or on the consultation of another agency that holds
// the task, and returns the dossier's state after it.
func (s *Service) Act(ctx context.Context, code string, req workflows.ActRequest) (dossier.State, error) {
	workflowID, err := s.taskWorkflow(ctx, code, req.Task)
	if err != nil {
		return dossier.State{}, err
	}
	st, err := s.update(ctx, code, workflowID, workflows.UpdateAct, req)
	if err != nil {
		return dossier.State{}, err
	}
	// The dossier's workflow answers with its timeline once the action has
	// settled: nothing more to ask. A consultation answers with its own
	// tasks only, and a dossier started before that version without its
	// timeline: read the dossier.
	if workflowID == code && st.Timeline != nil {
		return st, nil
	}
	return s.after(ctx, code, st)
}

// taskWorkflow finds the workflow holding a task: the read model first,
// then the live dossier and its running consultations. A task nobody
// holds goes to the dossier, whose validator says what is open.
func (s *Service) taskWorkflow(ctx context.Context, code, taskID string) (string, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", fmt.Errorf("dossier code is empty: %w", ErrNotFound)
	}
	id, err := s.store.TaskWorkflow(ctx, code, taskID)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	st, err := s.query(ctx, code)
	if err != nil {
		if isNotFound(err) {
			return "", s.closedOrMissing(ctx, code)
		}
		return code, nil // let the update say what is wrong
	}
	if holds(st.OpenTasks, taskID) {
		return code, nil
	}
	for _, step := range st.CurrentSteps {
		for _, id := range consultations(code, step) {
			cs, err := s.query(ctx, id)
			if err == nil && holds(cs.OpenTasks, taskID) {
				return id, nil
			}
		}
	}
	return code, nil
}

// consultations lists the ids a consultation of a step may run under: the
// first is <code>/<step>, a repeated one <code>/<step>#n.
func consultations(code, step string) []string {
	ids := []string{code + "/" + step}
	for n := 2; n <= 5; n++ {
		ids = append(ids, fmt.Sprintf("%s/%s#%d", code, step, n))
	}
	return ids
}

// holds reports whether a task is open among tasks, by id or by step when
// only one task of that step is open (as the workflows find tasks).
func holds(tasks []dossier.Task, ref string) bool {
	bySteps := 0
	for _, t := range tasks {
		if t.ID == ref {
			return true
		}
		if t.Step == ref {
			bySteps++
		}
	}
	return bySteps == 1
}

// SupplementRequest is the applicant's supplement: files, form fields or
// both, stored and checked like a submission's.
type SupplementRequest struct {
	ApplicantID string
	Form        map[string]string
	Components  []Upload
	Note        string
}

// Supplement sends the applicant's supplement to a dossier waiting for one.
// Uploaded files and form fields are checked against the procedure first;
// a *ValidationError lists what is wrong.
func (s *Service) Supplement(ctx context.Context, code string, req SupplementRequest) (dossier.State, error) {
	cur, err := s.Status(ctx, code)
	if err != nil {
		return dossier.State{}, err
	}
	plan := s.planOf(cur)
	if plan == nil {
		return dossier.State{}, fmt.Errorf("dossier %s: procedure %s (version %s) is not in the catalog", code, cur.ProcedureCode, shortHash(cur.PlanHash))
	}
	var problems []Problem
	if strings.TrimSpace(req.ApplicantID) == "" {
		problems = append(problems, Problem{Field: "applicant.id", Message: "is required"})
	}
	if len(req.Form) == 0 && len(req.Components) == 0 {
		problems = append(problems, Problem{Field: "components", Message: "a supplement must bring files or form fields"})
	}
	form, formProblems := convertForm(plan, req.Form, true)
	problems = append(problems, formProblems...)
	files, compProblems, err := s.checkComponents(ctx, plan, cur.Mode, cur.Channel, form, req.Components, nil, false)
	if err != nil {
		return dossier.State{}, err
	}
	problems = append(problems, compProblems...)
	if len(problems) > 0 {
		s.discard(ctx, files, false)
		return dossier.State{}, &ValidationError{Problems: problems}
	}
	if err := s.commit(ctx, files); err != nil {
		s.discard(ctx, files, true)
		return dossier.State{}, err
	}
	refs := make([]dossier.ComponentRef, len(files))
	for i, f := range files {
		refs[i] = f.ref
	}
	wreq := workflows.SupplementRequest{
		Actor:      dossier.Actor{ID: strings.TrimSpace(req.ApplicantID), Role: dossier.RoleApplicant},
		Components: refs, Form: form, Note: req.Note,
	}
	st, err := s.update(ctx, code, code, workflows.UpdateSupplement, wreq)
	if err != nil {
		s.discard(ctx, files, true)
		return dossier.State{}, err
	}
	s.discard(ctx, files, false) // the workflow holds them: they stay
	return s.after(ctx, code, st)
}

// Withdraw records the applicant's request to withdraw a dossier.
func (s *Service) Withdraw(ctx context.Context, code string, req workflows.WithdrawRequest) (dossier.State, error) {
	req.Actor = applicantActor(req.Actor)
	return s.act(ctx, code, workflows.UpdateWithdraw, req)
}

// Rate records the applicant's rating of a returned dossier.
func (s *Service) Rate(ctx context.Context, code string, req workflows.RateRequest) (dossier.State, error) {
	req.Actor = applicantActor(req.Actor)
	return s.act(ctx, code, workflows.UpdateRate, req)
}

// Pay confirms the payment of a dossier's fees, as the payment platform
// reports it.
func (s *Service) Pay(ctx context.Context, code string, req workflows.PayRequest) (dossier.State, error) {
	return s.act(ctx, code, workflows.UpdatePay, req)
}

// Extend moves a dossier's appointment once, with the apology's reason.
func (s *Service) Extend(ctx context.Context, code string, req workflows.ExtendRequest) (dossier.State, error) {
	return s.act(ctx, code, workflows.UpdateExtend, req)
}

func applicantActor(a dossier.Actor) dossier.Actor {
	a.ID = strings.TrimSpace(a.ID)
	if a.Role == "" {
		a.Role = dossier.RoleApplicant
	}
	return a
}

func (s *Service) act(ctx context.Context, code, name string, arg any) (dossier.State, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return dossier.State{}, fmt.Errorf("dossier code is empty: %w", ErrNotFound)
	}
	st, err := s.update(ctx, code, code, name, arg)
	if err != nil {
		return dossier.State{}, err
	}
	return s.after(ctx, code, st)
}

// update sends an Update and waits for it to complete. A rejection (or a
// failure of the handler) becomes a *RejectedError with the workflow's
// message.
func (s *Service) update(ctx context.Context, code, workflowID, name string, arg any) (_ dossier.State, err error) {
	if s.observe != nil {
		began := time.Now()
		defer func() {
			var rej *RejectedError
			outcome := "accepted"
			switch {
			case errors.As(err, &rej):
				outcome = "rejected"
			case err != nil:
				outcome = "error"
			}
			s.observe(name, outcome, time.Since(began))
		}()
	}
	h, err := s.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		var st dossier.State
		if err = h.Get(ctx, &st); err == nil {
			return st, nil
		}
	}
	var appErr *temporal.ApplicationError
	switch {
	case errors.As(err, &appErr):
		return dossier.State{}, &RejectedError{Message: appErr.Message()}
	case isNotFound(err):
		return dossier.State{}, s.closedOrMissing(ctx, code)
	}
	return dossier.State{}, fmt.Errorf("%s on %s: %w", name, workflowID, err)
}

// closedOrMissing explains why a dossier's workflow cannot take an action.
func (s *Service) closedOrMissing(ctx context.Context, code string) error {
	if st, err := s.store.DossierGet(ctx, code); err == nil {
		return &RejectedError{Message: fmt.Sprintf("dossier %s is closed (%s): it takes no more actions", code, st.Status)}
	}
	return fmt.Errorf("dossier %s: %w", code, ErrNotFound)
}

// after returns the dossier's state, with its timeline, after an accepted
// action; the update's own answer when the dossier cannot be read.
func (s *Service) after(ctx context.Context, code string, answered dossier.State) (dossier.State, error) {
	// The dossier just answered an update, so it runs: ask it straight.
	if st, err := s.query(ctx, code); err == nil {
		return st, nil
	}
	st, err := s.Status(ctx, code)
	if err != nil {
		return answered, nil
	}
	return st, nil
}

// VerifyResult checks the signature of a result, by its code
// (<dossier code>-KQ<n>), in the store of results (Options.Results or
// ResultsDir); ErrNotFound as OpenResult.
func (s *Service) VerifyResult(ctx context.Context, resultCode string) (signing.VerifiedSignature, error) {
	code, doc, sig, err := s.result(ctx, resultCode)
	if err != nil {
		return signing.VerifiedSignature{}, err
	}
	v, err := signing.VerifyEncoded(doc, sig, s.roots)
	if err != nil {
		return signing.VerifiedSignature{}, fmt.Errorf("result %s: %w", code, err)
	}
	return v, nil
}

// ResultPaths returns the document and signature files of a result code in
// a results folder, as signing.Issuer writes them (signing.ResultPaths).
func ResultPaths(dir, resultCode string) (doc, sig string) {
	return signing.ResultPaths(dir, resultCode)
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// OpenTasks returns the open tasks of a dossier and of its consultations
// as the read model holds them: who is involved in it now.
func (s *Service) OpenTasks(ctx context.Context, code string) ([]dossier.Task, error) {
	rows, err := s.store.TaskList(ctx, store.TaskListParams{DossierCode: code, Limit: store.MaxLimit, Now: s.now()})
	if err != nil {
		return nil, err
	}
	var tasks []dossier.Task
	for _, r := range rows {
		if r.DossierCode == code { // the filter is a prefix
			tasks = append(tasks, r.Task)
		}
	}
	return tasks, nil
}
