package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// SubmitRequest is a new dossier as a form or the command line gives it.
type SubmitRequest struct {
	// Procedure is the procedure code, e.g. "1.001193".
	Procedure string
	// Mode is full_online or partial_online, among the procedure's modes.
	Mode string
	// Channel is in_person, online or postal, among the mode's channels.
	Channel string
	// Delivery is how the result is returned (e_result, postal, counter),
	// among the mode's; empty takes the mode's first.
	Delivery  string
	Applicant dossier.Applicant
	// Form holds the e-form fields as text, by field id.
	Form map[string]string
	// Components are the uploaded files, one per component id.
	Components []Upload
	// Reused lists component ids taken from a data store (population
	// database, earlier results …) instead of being uploaded; only
	// components whose definition names a data store (reuse) qualify.
	Reused []string
	// IdempotencyKey, when set, makes the submission safe to send again:
	// the same applicant's same key gets the dossier of the first attempt
	// (see submitKey). At most MaxIdempotencyKey printable ASCII
	// characters; the API takes it from the Idempotency-Key header.
	IdempotencyKey string
}

// Submit checks a new dossier against its procedure's plan, stores its
// files, numbers it and starts its workflow, and returns its first state.
// A request with anything wrong returns a *ValidationError listing every
// problem, and nothing is started or stored.
func (s *Service) Submit(ctx context.Context, req SubmitRequest) (dossier.State, error) {
	var problems []Problem
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	applicant := req.Applicant
	applicant.ID = strings.TrimSpace(applicant.ID)
	applicant.Name = strings.TrimSpace(applicant.Name)
	applicant.Contact = strings.TrimSpace(applicant.Contact)
	checkApplicant := func() {
		switch {
		case applicant.ID == "":
			add("applicant.id", "is required: the citizen's identity number or the business's code")
		case len(applicant.ID) > 64:
			add("applicant.id", "must be at most 64 characters long")
		}
		switch {
		case applicant.Name == "":
			add("applicant.name", "is required")
		case len([]rune(applicant.Name)) > 200:
			add("applicant.name", "must be at most 200 characters long")
		}
		if len(applicant.Contact) > 200 {
			add("applicant.contact", "must be at most 200 characters long")
		}
		if msg := checkIdempotencyKey(req.IdempotencyKey); msg != "" {
			add("idempotency_key", "%s", msg)
		}
	}

	plan := s.catalog.Plan(strings.TrimSpace(req.Procedure))
	if plan == nil {
		if strings.TrimSpace(req.Procedure) == "" {
			add("procedure", "is required")
		} else {
			add("procedure", "no procedure %q in the catalog", req.Procedure)
		}
		checkApplicant()
		return dossier.State{}, &ValidationError{Problems: problems}
	}

	modes := make([]string, len(plan.Modes))
	for i, m := range plan.Modes {
		modes[i] = m.Mode
	}
	mp := plan.Mode(req.Mode)
	delivery := req.Delivery
	switch {
	case req.Mode == "":
		add("mode", "is required (procedure %s offers %s)", plan.Code, strings.Join(modes, ", "))
	case mp == nil:
		add("mode", "procedure %s does not offer mode %q (it offers %s)", plan.Code, req.Mode, strings.Join(modes, ", "))
	default:
		switch {
		case req.Channel == "":
			add("channel", "is required (mode %s accepts %s)", mp.Mode, strings.Join(mp.Channels, ", "))
		case !slices.Contains(mp.Channels, req.Channel):
			add("channel", "mode %s of procedure %s does not accept channel %q (it accepts %s)", mp.Mode, plan.Code, req.Channel, strings.Join(mp.Channels, ", "))
		}
		if delivery == "" && len(mp.Delivery) > 0 {
			delivery = mp.Delivery[0]
		}
		if !slices.Contains(mp.Delivery, delivery) {
			add("delivery", "mode %s of procedure %s does not return results by %q (it offers %s)", mp.Mode, plan.Code, delivery, strings.Join(mp.Delivery, ", "))
		}
	}
	checkApplicant()

	form, formProblems := convertForm(plan, req.Form, false)
	problems = append(problems, formProblems...)

	files, compProblems, err := s.checkComponents(ctx, plan, req.Mode, req.Channel, form, req.Components, req.Reused, true)
	if err != nil {
		return dossier.State{}, err
	}
	problems = append(problems, compProblems...)
	if len(problems) > 0 {
		s.discard(ctx, files, false)
		return dossier.State{}, &ValidationError{Problems: problems}
	}

	received := s.now()
	code, err := s.submissionCode(ctx, plan, applicant.ID, req.IdempotencyKey, received)
	if err != nil {
		s.discard(ctx, files, false)
		return dossier.State{}, err
	}
	if err := s.commit(ctx, files); err != nil {
		s.discard(ctx, files, true)
		return dossier.State{}, err
	}
	refs := make([]dossier.ComponentRef, 0, len(files)+len(req.Reused))
	for _, c := range plan.Components { // in the plan's order
		for _, f := range files {
			if f.ref.ID == c.ID {
				refs = append(refs, f.ref)
			}
		}
		if slices.Contains(req.Reused, c.ID) {
			refs = append(refs, dossier.ComponentRef{ID: c.ID, Name: c.Name, Reused: true})
		}
	}
	in := dossier.Input{Code: code, Plan: plan, Mode: req.Mode, Channel: req.Channel, Applicant: applicant,
		Form: form, Components: refs, Delivery: delivery, ReceivedAt: received}
	_, err = s.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    code,
		TaskQueue:             workflows.TaskQueue,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, workflows.DossierWorkflow, in)
	if err != nil {
		s.discard(ctx, files, true)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) && req.IdempotencyKey != "" {
			return s.queryReady(ctx, code) // the first attempt started it: its dossier
		}
		if errors.As(err, &started) {
			return dossier.State{}, fmt.Errorf("starting dossier %s: a dossier with this code already exists (is the read model's sequence of %s behind?): %w",
				code, agencyCode(plan), err)
		}
		return dossier.State{}, fmt.Errorf("starting dossier %s: %w", code, err)
	}
	s.discard(ctx, files, false) // the workflow holds them: they stay
	return s.queryReady(ctx, code)
}

// checkComponents checks uploads and re-used components against the plan
// and stages the files. With whole set, required components must all be
// present (a submission); without, only what is given is checked (a
// supplement).
func (s *Service) checkComponents(ctx context.Context, plan *definitions.Plan, mode, channel string, form map[string]any,
	uploads []Upload, reused []string, whole bool,
) ([]*upload, []Problem, error) {
	var problems []Problem
	add := func(field, format string, args ...any) {
		problems = append(problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	byID := map[string]*definitions.Component{}
	ids := make([]string, len(plan.Components))
	for i := range plan.Components {
		byID[plan.Components[i].ID] = &plan.Components[i]
		ids[i] = plan.Components[i].ID
	}
	if len(uploads) > 0 && s.files == nil {
		return nil, nil, errors.New("service: no store for uploaded files (Options.Files or Options.FilesDir)")
	}

	uploaded := map[string]bool{}
	var files []*upload
	for _, u := range uploads {
		c := byID[u.ID]
		switch {
		case c == nil:
			add(u.ID, "is not a component of procedure %s (components: %s)", plan.Code, strings.Join(ids, ", "))
			continue
		case uploaded[u.ID]:
			add(u.ID, "is given twice: give one file per component")
			continue
		}
		uploaded[u.ID] = true
		st, problem, err := s.stage(ctx, *c, u)
		if err != nil {
			s.discard(ctx, files, false)
			return nil, nil, err
		}
		if problem != "" {
			add(u.ID, "%s", problem)
			continue
		}
		files = append(files, st)
	}
	seen := map[string]bool{}
	for _, id := range reused {
		c := byID[id]
		switch {
		case c == nil:
			add(id, "is not a component of procedure %s (components: %s)", plan.Code, strings.Join(ids, ", "))
		case seen[id]:
			add(id, "is listed twice as re-used")
		case c.Reuse == "":
			add(id, "cannot be re-used from a data store: procedure %s names none for it; upload the file", plan.Code)
		case uploaded[id]:
			add(id, "is both uploaded and listed as re-used: give one or the other")
		}
		seen[id] = true
	}
	if whole {
		for _, c := range plan.Components {
			if uploaded[c.ID] || (seen[c.ID] && c.Reuse != "") || c.Optional || filledIn(c, form) {
				continue
			}
			if c.When != "" {
				need, err := definitions.EvalCondition(plan, c.When, form, mode, channel)
				if err != nil {
					add(c.ID, "its condition %q cannot be evaluated: %v", c.When, err)
					continue
				}
				if !need {
					continue
				}
			}
			hint := ""
			if c.Reuse != "" {
				hint = fmt.Sprintf(" (or list it as re-used from %s)", c.Reuse)
			}
			add(c.ID, "is required: %s%s", c.Name, hint)
		}
	}
	return files, problems, nil
}

// filledIn reports whether a component with an e-form was given as that
// form: at least one of its fields has a value. The electronic form then
// stands for the document; a scan of it may still be uploaded.
func filledIn(c definitions.Component, form map[string]any) bool {
	for _, f := range c.Form {
		if _, ok := form[f.ID]; ok {
			return true
		}
	}
	return false
}
