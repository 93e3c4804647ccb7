package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// ProjectionApply writes what a workflow projected, in one transaction.
//
// It is idempotent and tolerates projections arriving out of order (an
// activity retried after a later one ran): events are inserted unless the
// (workflow, seq) pair is already there; the dossier row (from the
// snapshot, when there is one) and the workflow's open tasks are replaced
// only when p.Seq is newer than the last sequence applied for the workflow.
// Applying the same projection twice, or an older one after a newer one,
// changes nothing.
func (s *Store) ProjectionApply(ctx context.Context, p dossier.Projection) error {
	if err := s.projectionApply(ctx, p); err != nil {
		return fmt.Errorf("applying projection of workflow %s seq %d: %w", p.WorkflowID, p.Seq, err)
	}
	return nil
}

// checkProjection refuses a projection the read model cannot hold: one
// without its ids, whose snapshot is another dossier's, or with a task
// without id or listed twice. ProjectionApply and BulkLoad both use it.
func checkProjection(p *dossier.Projection) error {
	switch {
	case p.WorkflowID == "":
		return errors.New("missing workflow id")
	case p.Code == "":
		return errors.New("missing dossier code")
	case p.Snapshot != nil && p.Snapshot.Code != p.Code:
		return fmt.Errorf("snapshot is of dossier %q, projection of %q", p.Snapshot.Code, p.Code)
	}
	seen := make(map[string]bool, len(p.Tasks))
	for _, t := range p.Tasks {
		if t.ID == "" {
			return errors.New("task without id")
		}
		if seen[t.ID] {
			return fmt.Errorf("task %q listed twice", t.ID)
		}
		seen[t.ID] = true
	}
	return nil
}

func (s *Store) projectionApply(ctx context.Context, p dossier.Projection) error {
	if err := checkProjection(&p); err != nil {
		return err
	}

	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	if err := s.eventsInsert(ctx, tx, &p); err != nil {
		return err
	}

	// Advance the mark only if p is newer; RETURNING yields no row when the
	// WHERE of the update refuses. On PostgreSQL the row stays locked until
	// commit, so concurrent projections of one workflow apply in turn.
	var mark int
	err = tx.GetContext(ctx, &mark, s.rebind(`
		INSERT INTO projection_marks (workflow_id, last_seq) VALUES (?, ?)
		ON CONFLICT (workflow_id) DO UPDATE SET last_seq = excluded.last_seq
		WHERE projection_marks.last_seq < excluded.last_seq
		RETURNING last_seq`), p.WorkflowID, p.Seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Older or same: keep only the events, and what they change in the
		// report's facts.
		if err := s.factsRefresh(ctx, tx, p); err != nil {
			return err
		}
		return tx.Commit()
	case err != nil:
		return fmt.Errorf("advancing the projection mark: %w", err)
	}

	if p.Snapshot != nil {
		if err := s.dossierUpsert(ctx, tx, p); err != nil {
			return err
		}
		if err := s.factsUpsert(ctx, tx, p); err != nil {
			return err
		}
	}
	if err := s.tasksReplace(ctx, tx, p); err != nil {
		return err
	}
	return tx.Commit()
}

// eventsInsert inserts the events the read model does not hold yet, and
// counts the officers' actions among them in report_step_days.
func (s *Store) eventsInsert(ctx context.Context, tx *sqlx.Tx, p *dossier.Projection) error {
	if len(p.Events) == 0 {
		return nil
	}
	var steps []*dossier.Event // actions newly inserted
	stmt, err := tx.PreparexContext(ctx, s.rebind(`
		INSERT INTO events (workflow_id, seq, dossier_code, at, kind, step,
			actor_id, actor_role, actor_agency, outcome, note, status, due_at, timeliness)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workflow_id, seq) DO NOTHING`))
	if err != nil {
		return fmt.Errorf("inserting events: %w", err)
	}
	defer stmt.Close()
	for i, e := range p.Events {
		if e.At.IsZero() {
			return fmt.Errorf("event %d (%s) has no time", e.Seq, e.Kind)
		}
		res, err := stmt.ExecContext(ctx, p.WorkflowID, e.Seq, p.Code, s.at(e.At), e.Kind, e.Step,
			e.Actor.ID, e.Actor.Role, e.Actor.Agency, e.Outcome, e.Note, int(e.Status), s.at(e.DueAt), string(e.Timeliness))
		if err != nil {
			return fmt.Errorf("inserting event %d: %w", e.Seq, err)
		}
		if countsStep(&e) {
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("inserting event %d: %w", e.Seq, err)
			}
			if n == 1 {
				steps = append(steps, &p.Events[i])
			}
		}
	}
	if len(steps) == 0 {
		return nil
	}
	g, err := s.groupOf(ctx, tx, p)
	if err != nil {
		return err
	}
	counts := map[stepKey]int64{}
	for _, e := range steps {
		counts[stepKey{dayNumberOf(e.At), g.agency, g.procedure, g.version, e.Timeliness}]++
	}
	return s.stepDaysAdd(ctx, tx, counts)
}

// dossierColumns are the columns of the dossiers table, in the order
// dossierUpsert binds them.
var dossierColumns = []string{
	"code", "procedure_code", "plan_hash", "procedure_version", "agency", "mode", "channel",
	"applicant_id", "applicant_name", "status", "received_at", "accepted_at", "appointment_at",
	"original_appointment_at", "extended", "current_steps", "paused", "paused_since",
	"paused_seconds", "supplements", "fees_due", "paid_online", "finished_at", "returned_at",
	"timeliness", "result_code", "result_kind", "result_name", "result_sha256",
	"result_signed_by", "result_signed_at", "result_delivery", "result_refusal",
	"result_is_document", "has_fee", "e_result", "digitised", "reused_components",
	"rating_satisfied", "rating_comment", "rated_at", "last_seq", "updated_at", "components",
}

var dossierUpsertSQL = func() string {
	q := "INSERT INTO dossiers ("
	vals, sets := "", ""
	for i, c := range dossierColumns {
		if i > 0 {
			q += ", "
			vals += ", "
		}
		q += c
		vals += "?"
		if c != "code" {
			if sets != "" {
				sets += ", "
			}
			sets += c + " = excluded." + c
		}
	}
	return q + ") VALUES (" + vals + ") ON CONFLICT (code) DO UPDATE SET " + sets
}()

func (s *Store) dossierUpsert(ctx context.Context, tx *sqlx.Tx, p dossier.Projection) error {
	st, f := p.Snapshot, p.Facts
	steps, err := json.Marshal(nonNil(st.CurrentSteps))
	if err != nil {
		return err
	}
	components, err := json.Marshal(nonNil(st.Components))
	if err != nil {
		return err
	}
	var r dossier.Result
	if st.Result != nil {
		r = *st.Result
	}
	var (
		satisfied sql.NullBool
		comment   string
		ratedAt   time.Time
	)
	if st.Rating != nil {
		satisfied = sql.NullBool{Bool: st.Rating.Satisfied, Valid: true}
		comment, ratedAt = st.Rating.Comment, st.Rating.At
	}
	args := []any{
		st.Code, st.ProcedureCode, st.PlanHash, f.ProcedureVersion, st.Agency, st.Mode, st.Channel,
		st.Applicant.ID, st.Applicant.Name, int(st.Status), s.at(st.ReceivedAt), s.at(st.AcceptedAt), s.at(st.AppointmentAt),
		s.at(st.OriginalAppointmentAt), st.Extended, string(steps), st.Paused, s.at(st.PausedSince),
		int64(st.PausedTotal / time.Second), st.Supplements, st.FeesDue, st.PaidOnline, s.at(st.FinishedAt), s.at(st.ReturnedAt),
		string(st.Timeliness), r.Code, r.Kind, r.Name, r.SHA256,
		r.SignedBy, s.at(r.SignedAt), r.Delivery, r.Refusal,
		f.ResultIsDocument, f.HasFee, f.EResult, f.Digitised, f.ReusedComponents,
		satisfied, comment, s.at(ratedAt), p.Seq, s.at(time.Now()), string(components),
	}
	if _, err := tx.ExecContext(ctx, s.rebind(dossierUpsertSQL), args...); err != nil {
		return fmt.Errorf("writing dossier %s: %w", st.Code, err)
	}
	return nil
}

func (s *Store) tasksReplace(ctx context.Context, tx *sqlx.Tx, p dossier.Projection) error {
	if _, err := tx.ExecContext(ctx, s.rebind(`DELETE FROM tasks WHERE workflow_id = ?`), p.WorkflowID); err != nil {
		return fmt.Errorf("closing tasks: %w", err)
	}
	if len(p.Tasks) == 0 {
		return nil
	}
	stmt, err := tx.PreparexContext(ctx, s.rebind(`
		INSERT INTO tasks (workflow_id, task_id, dossier_code, step, kind, name, role, agency,
			outcomes, opened_at, due_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return fmt.Errorf("opening tasks: %w", err)
	}
	defer stmt.Close()
	for _, t := range p.Tasks {
		outcomes, err := json.Marshal(nonNil(t.Outcomes))
		if err != nil {
			return err
		}
		if t.OpenedAt.IsZero() {
			return fmt.Errorf("task %q has no opening time", t.ID)
		}
		_, err = stmt.ExecContext(ctx, p.WorkflowID, t.ID, p.Code, t.Step, t.Kind, t.Name, t.Role, t.Agency,
			string(outcomes), s.at(t.OpenedAt), s.at(t.DueAt))
		if err != nil {
			return fmt.Errorf("opening task %q: %w", t.ID, err)
		}
	}
	return nil
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
