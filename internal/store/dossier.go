package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// dossierRow is a row of the dossiers table.
type dossierRow struct {
	Code                  string       `db:"code"`
	ProcedureCode         string       `db:"procedure_code"`
	PlanHash              string       `db:"plan_hash"`
	ProcedureVersion      string       `db:"procedure_version"`
	Agency                string       `db:"agency"`
	Mode                  string       `db:"mode"`
	Channel               string       `db:"channel"`
	ApplicantID           string       `db:"applicant_id"`
	ApplicantName         string       `db:"applicant_name"`
	Status                int          `db:"status"`
	ReceivedAt            dbTime       `db:"received_at"`
	AcceptedAt            dbTime       `db:"accepted_at"`
	AppointmentAt         dbTime       `db:"appointment_at"`
	OriginalAppointmentAt dbTime       `db:"original_appointment_at"`
	Extended              bool         `db:"extended"`
	CurrentSteps          string       `db:"current_steps"`
	Paused                bool         `db:"paused"`
	PausedSince           dbTime       `db:"paused_since"`
	PausedSeconds         int64        `db:"paused_seconds"`
	Supplements           int          `db:"supplements"`
	FeesDue               int64        `db:"fees_due"`
	PaidOnline            bool         `db:"paid_online"`
	FinishedAt            dbTime       `db:"finished_at"`
	ReturnedAt            dbTime       `db:"returned_at"`
	Timeliness            string       `db:"timeliness"`
	ResultCode            string       `db:"result_code"`
	ResultKind            string       `db:"result_kind"`
	ResultName            string       `db:"result_name"`
	ResultSHA256          string       `db:"result_sha256"`
	ResultSignedBy        string       `db:"result_signed_by"`
	ResultSignedAt        dbTime       `db:"result_signed_at"`
	ResultDelivery        string       `db:"result_delivery"`
	ResultRefusal         bool         `db:"result_refusal"`
	ResultIsDocument      bool         `db:"result_is_document"`
	HasFee                bool         `db:"has_fee"`
	EResult               bool         `db:"e_result"`
	Digitised             bool         `db:"digitised"`
	ReusedComponents      int          `db:"reused_components"`
	RatingSatisfied       sql.NullBool `db:"rating_satisfied"`
	RatingComment         string       `db:"rating_comment"`
	RatedAt               dbTime       `db:"rated_at"`
	LastSeq               int          `db:"last_seq"`
	UpdatedAt             dbTime       `db:"updated_at"`
	Components            string       `db:"components"`
}

var dossierSelect = "SELECT " + strings.Join(dossierColumns, ", ") + " FROM dossiers"

func (r *dossierRow) state() (dossier.State, error) {
	st := dossier.State{
		Code:                  r.Code,
		ProcedureCode:         r.ProcedureCode,
		PlanHash:              r.PlanHash,
		Mode:                  r.Mode,
		Channel:               r.Channel,
		Agency:                r.Agency,
		Applicant:             dossier.Applicant{ID: r.ApplicantID, Name: r.ApplicantName},
		Status:                dossier.Status(r.Status),
		StatusName:            dossier.Status(r.Status).String(),
		ReceivedAt:            r.ReceivedAt.t,
		AcceptedAt:            r.AcceptedAt.t,
		AppointmentAt:         r.AppointmentAt.t,
		OriginalAppointmentAt: r.OriginalAppointmentAt.t,
		Extended:              r.Extended,
		Paused:                r.Paused,
		PausedSince:           r.PausedSince.t,
		PausedTotal:           time.Duration(r.PausedSeconds) * time.Second,
		Supplements:           r.Supplements,
		FeesDue:               r.FeesDue,
		PaidOnline:            r.PaidOnline,
		FinishedAt:            r.FinishedAt.t,
		ReturnedAt:            r.ReturnedAt.t,
		Timeliness:            dossier.Timeliness(r.Timeliness),
	}
	if err := json.Unmarshal([]byte(r.CurrentSteps), &st.CurrentSteps); err != nil {
		return st, fmt.Errorf("reading current steps of %s: %w", r.Code, err)
	}
	if err := json.Unmarshal([]byte(r.Components), &st.Components); err != nil {
		return st, fmt.Errorf("reading components of %s: %w", r.Code, err)
	}
	if len(st.Components) == 0 {
		st.Components = nil // as a snapshot without components has them
	}
	if r.ResultCode != "" || r.ResultKind != "" {
		st.Result = &dossier.Result{
			Code:     r.ResultCode,
			Kind:     r.ResultKind,
			Name:     r.ResultName,
			SHA256:   r.ResultSHA256,
			SignedBy: r.ResultSignedBy,
			SignedAt: r.ResultSignedAt.t,
			Delivery: r.ResultDelivery,
			Refusal:  r.ResultRefusal,
		}
	}
	if r.RatingSatisfied.Valid {
		st.Rating = &dossier.Rating{Satisfied: r.RatingSatisfied.Bool, Comment: r.RatingComment, At: r.RatedAt.t}
	}
	return st, nil
}

// DossierGet returns a dossier as last projected: its snapshot (components
// included, the e-form not), the timeline of every workflow of the dossier
// (its own and its consultation children) ordered by time, then workflow
// and sequence, and the open tasks of all of them. It returns ErrNotFound when the dossier has no snapshot
// in the read model.
func (s *Store) DossierGet(ctx context.Context, code string) (dossier.State, error) {
	st, err := s.dossierGet(ctx, code)
	if err != nil {
		return dossier.State{}, fmt.Errorf("getting dossier %s: %w", code, err)
	}
	return st, nil
}

func (s *Store) dossierGet(ctx context.Context, code string) (dossier.State, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return dossier.State{}, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	var r dossierRow
	err = tx.GetContext(ctx, &r, s.rebind(dossierSelect+" WHERE code = ?"), code)
	if errors.Is(err, sql.ErrNoRows) {
		return dossier.State{}, ErrNotFound
	}
	if err != nil {
		return dossier.State{}, err
	}
	st, err := r.state()
	if err != nil {
		return st, err
	}
	if st.Timeline, err = s.timeline(ctx, tx, code); err != nil {
		return st, err
	}
	rows, err := s.taskRows(ctx, tx, "t.dossier_code = ?", []any{code},
		"t.opened_at, t.workflow_id, t.task_id", 0, 0, time.Now())
	if err != nil {
		return st, err
	}
	st.OpenTasks = make([]dossier.Task, len(rows))
	for i, t := range rows {
		st.OpenTasks[i] = t.Task
	}
	return st, nil
}

type eventRow struct {
	WorkflowID  string `db:"workflow_id"`
	Seq         int    `db:"seq"`
	At          dbTime `db:"at"`
	Kind        string `db:"kind"`
	Step        string `db:"step"`
	ActorID     string `db:"actor_id"`
	ActorRole   string `db:"actor_role"`
	ActorAgency string `db:"actor_agency"`
	Outcome     string `db:"outcome"`
	Note        string `db:"note"`
	Status      int    `db:"status"`
	DueAt       dbTime `db:"due_at"`
	Timeliness  string `db:"timeliness"`
}

func (s *Store) timeline(ctx context.Context, tx *sqlx.Tx, code string) ([]dossier.Event, error) {
	var rows []eventRow
	err := tx.SelectContext(ctx, &rows, s.rebind(`
		SELECT workflow_id, seq, at, kind, step, actor_id, actor_role, actor_agency,
			outcome, note, status, due_at, timeliness
		FROM events WHERE dossier_code = ?
		ORDER BY at, workflow_id, seq`), code)
	if err != nil {
		return nil, fmt.Errorf("reading the timeline: %w", err)
	}
	events := make([]dossier.Event, len(rows))
	for i, r := range rows {
		events[i] = r.event()
	}
	return events, nil
}

// event is the row as a timeline event.
func (r *eventRow) event() dossier.Event {
	return dossier.Event{
		Seq:        r.Seq,
		At:         r.At.t,
		Kind:       r.Kind,
		Step:       r.Step,
		Actor:      dossier.Actor{ID: r.ActorID, Role: r.ActorRole, Agency: r.ActorAgency},
		Outcome:    r.Outcome,
		Note:       r.Note,
		Status:     dossier.Status(r.Status),
		DueAt:      r.DueAt.t,
		Timeliness: dossier.Timeliness(r.Timeliness),
	}
}

// DossierListParams filters and pages DossierList and DossierCount. Empty
// fields do not filter; the filters that are set must all hold.
type DossierListParams struct {
	Procedure   string         // procedure code
	Agency      string         // the agency handling the dossier
	Status      dossier.Status // 0: any status
	ApplicantID string         // the applicant's identifier: a citizen's "my dossiers"
	Limit       int            // default DefaultLimit, at most MaxLimit; DossierCount ignores it
	Offset      int            // DossierCount ignores it
}

// where returns the WHERE clause (empty, or starting with " WHERE ") and
// its arguments.
func (p DossierListParams) where() (string, []any) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if p.Procedure != "" {
		add("procedure_code = ?", p.Procedure)
	}
	if p.Agency != "" {
		add("agency = ?", p.Agency)
	}
	if p.Status != 0 {
		add("status = ?", int(p.Status))
	}
	if p.ApplicantID != "" {
		add("applicant_id = ?", p.ApplicantID)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// DossierList returns dossiers, newest received first (then by code,
// descending), with their components but without their timelines and
// tasks.
func (s *Store) DossierList(ctx context.Context, p DossierListParams) ([]dossier.State, error) {
	where, args := p.where()
	q := dossierSelect + where + " ORDER BY received_at DESC, code DESC LIMIT ? OFFSET ?"
	args = append(args, limit(p.Limit), max(p.Offset, 0))

	var rows []dossierRow
	if err := s.read.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("listing dossiers: %w", err)
	}
	out := make([]dossier.State, len(rows))
	for i := range rows {
		st, err := rows[i].state()
		if err != nil {
			return nil, fmt.Errorf("listing dossiers: %w", err)
		}
		out[i] = st
	}
	return out, nil
}

// DossierCount returns how many dossiers DossierList would return without
// Limit and Offset, for pagination.
func (s *Store) DossierCount(ctx context.Context, p DossierListParams) (int, error) {
	where, args := p.where()
	var n int
	if err := s.read.GetContext(ctx, &n, s.rebind("SELECT COUNT(*) FROM dossiers"+where), args...); err != nil {
		return 0, fmt.Errorf("counting dossiers: %w", err)
	}
	return n, nil
}

// DossierHasFile reports whether a dossier's components, as last
// projected, include a file with the given SHA-256 (compared exactly, as
// the lowercase hex the components carry). It is false, without error,
// for an unknown dossier or an empty hash. The dossier's result document
// is not a component and is not looked at.
func (s *Store) DossierHasFile(ctx context.Context, code, sha256 string) (bool, error) {
	if sha256 == "" {
		return false, nil
	}
	q := `SELECT EXISTS (SELECT 1 FROM dossiers d, json_each(d.components) c
		WHERE d.code = ? AND json_extract(c.value, '$.sha256') = ?)`
	if s.pg {
		q = `SELECT EXISTS (SELECT 1 FROM dossiers
		WHERE code = ? AND components @> jsonb_build_array(jsonb_build_object('sha256', ?::text)))`
	}
	var ok bool
	if err := s.read.GetContext(ctx, &ok, s.rebind(q), code, sha256); err != nil {
		return false, fmt.Errorf("looking for file %s in dossier %s: %w", sha256, code, err)
	}
	return ok, nil
}

// EventCount returns how many events of a workflow the read model holds.
func (s *Store) EventCount(ctx context.Context, workflowID string) (int, error) {
	var n int
	if err := s.read.GetContext(ctx, &n, s.rebind(`SELECT COUNT(*) FROM events WHERE workflow_id = ?`), workflowID); err != nil {
		return 0, fmt.Errorf("counting events of workflow %s: %w", workflowID, err)
	}
	return n, nil
}

// ProjectionMark returns the sequence of the last projection applied for a
// workflow, and false when none was.
func (s *Store) ProjectionMark(ctx context.Context, workflowID string) (int, bool, error) {
	var n int
	err := s.read.GetContext(ctx, &n, s.rebind(`SELECT last_seq FROM projection_marks WHERE workflow_id = ?`), workflowID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("reading the projection mark of workflow %s: %w", workflowID, err)
	}
	return n, true, nil
}
