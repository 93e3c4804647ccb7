package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// TaskRow is an open task as an inbox shows it.
type TaskRow struct {
	dossier.Task
	WorkflowID    string `json:"workflow_id"` // the dossier's workflow, or a consultation child's
	DossierCode   string `json:"dossier_code"`
	ProcedureCode string `json:"procedure_code"` // empty while the dossier has no snapshot
	ApplicantName string `json:"applicant_name"` // the dossier's applicant; empty while the dossier has no snapshot
	Overdue       bool   `json:"overdue"`        // due before the time asked about
}

type taskRow struct {
	WorkflowID    string `db:"workflow_id"`
	TaskID        string `db:"task_id"`
	DossierCode   string `db:"dossier_code"`
	Step          string `db:"step"`
	Kind          string `db:"kind"`
	Name          string `db:"name"`
	Role          string `db:"role"`
	Agency        string `db:"agency"`
	Outcomes      string `db:"outcomes"`
	OpenedAt      dbTime `db:"opened_at"`
	DueAt         dbTime `db:"due_at"`
	ProcedureCode string `db:"procedure_code"`
	ApplicantName string `db:"applicant_name"`
}

// taskFrom joins each task to its dossier's row, which a consultation
// child's tasks may lack for a while (its projection can come first).
const taskFrom = ` FROM tasks t LEFT JOIN dossiers d ON d.code = t.dossier_code`

const taskSelect = `
	SELECT t.workflow_id, t.task_id, t.dossier_code, t.step, t.kind, t.name, t.role, t.agency,
		t.outcomes, t.opened_at, t.due_at, COALESCE(d.procedure_code, '') AS procedure_code,
		COALESCE(d.applicant_name, '') AS applicant_name` + taskFrom

// taskRows runs taskSelect with a condition, an order and, when limit > 0,
// a page; Overdue is judged against now.
func (s *Store) taskRows(ctx context.Context, q sqlx.QueryerContext, where string, args []any,
	order string, lim, offset int, now time.Time,
) ([]TaskRow, error) {
	query := taskSelect + " WHERE " + where + " ORDER BY " + order
	if lim > 0 {
		query += " LIMIT ? OFFSET ?"
		args = append(args, lim, offset)
	}
	var rows []taskRow
	if err := sqlx.SelectContext(ctx, q, &rows, s.rebind(query), args...); err != nil {
		return nil, err
	}
	out := make([]TaskRow, len(rows))
	for i, r := range rows {
		t := TaskRow{
			Task: dossier.Task{
				ID:       r.TaskID,
				Step:     r.Step,
				Kind:     r.Kind,
				Name:     r.Name,
				Role:     r.Role,
				Agency:   r.Agency,
				OpenedAt: r.OpenedAt.t,
				DueAt:    r.DueAt.t,
			},
			WorkflowID:    r.WorkflowID,
			DossierCode:   r.DossierCode,
			ProcedureCode: r.ProcedureCode,
			ApplicantName: r.ApplicantName,
			Overdue:       !r.DueAt.t.IsZero() && r.DueAt.t.Before(now),
		}
		if err := json.Unmarshal([]byte(r.Outcomes), &t.Outcomes); err != nil {
			return nil, fmt.Errorf("reading outcomes of task %s/%s: %w", r.WorkflowID, r.TaskID, err)
		}
		out[i] = t
	}
	return out, nil
}

// Due filters of TaskListParams, judged against TaskListParams.Now.
const (
	DueAll     = ""        // every task
	DueOverdue = "overdue" // due before now
	DueSoon    = "soon"    // due from now to before now + DueSoonWithin
	DueOnTime  = "on_time" // neither: due at now + DueSoonWithin or later, or no due time
)

// DueSoonWithin is how close a due time makes a task DueSoon: 24 hours of
// wall time, not working hours.
const DueSoonWithin = 24 * time.Hour

// TaskListParams selects the tasks of an inbox, for TaskList and TaskCount.
//
// Roles and Agency select officers' tasks: a task whose role is one of
// Roles (any officer role when Roles is empty) at Agency (any agency when
// empty). ApplicantID selects the tasks waiting for the applicant (role
// "applicant") of the dossiers that applicant submitted. Given both, the
// inbox holds both; given none, it holds every open task.
//
// Procedure, DossierCode and Due then narrow that inbox; all that are set
// must hold.
type TaskListParams struct {
	Roles       []string
	Agency      string
	ApplicantID string
	// Procedure keeps the tasks of dossiers of that procedure code (tasks
	// of a dossier without a snapshot yet have none and are left out).
	Procedure string
	// DossierCode keeps the tasks of dossiers whose code starts with it:
	// a prefix, compared character by character (case-sensitive, no
	// wildcards), so that a part such as "H12-250314" finds the dossiers
	// it begins. A complete code finds that dossier, and also any longer
	// code it begins (with the default format, only past the 9,999th
	// dossier of a day); callers wanting one dossier exactly check
	// TaskRow.DossierCode or use TaskGet.
	DossierCode string
	// Due is DueAll, DueOverdue, DueSoon or DueOnTime; anything else is an
	// error wrapping ErrInvalid.
	Due    string
	Now    time.Time // judges Overdue and Due; default time.Now()
	Limit  int       // default DefaultLimit, at most MaxLimit; TaskCount ignores it
	Offset int       // TaskCount ignores it
}

// where returns the condition selecting the inbox and its arguments.
// now has the store's precision, so that SQL and Go agree on what is
// overdue.
func (p TaskListParams) where(s *Store, now time.Time) (string, []any, error) {
	var (
		parts []string
		args  []any
	)
	officers := len(p.Roles) > 0 || p.Agency != ""
	if officers || p.ApplicantID == "" {
		cond := []string{"t.role <> ?"}
		args = append(args, dossier.RoleApplicant)
		if len(p.Roles) > 0 {
			cond = append(cond, "t.role IN (?"+strings.Repeat(", ?", len(p.Roles)-1)+")")
			for _, r := range p.Roles {
				args = append(args, r)
			}
		}
		if p.Agency != "" {
			cond = append(cond, "t.agency = ?")
			args = append(args, p.Agency)
		}
		parts = append(parts, "("+strings.Join(cond, " AND ")+")")
	}
	switch {
	case p.ApplicantID != "":
		parts = append(parts, "(t.role = ? AND d.applicant_id = ?)")
		args = append(args, dossier.RoleApplicant, p.ApplicantID)
	case !officers:
		parts = append(parts, "t.role = ?") // no filter at all: every task
		args = append(args, dossier.RoleApplicant)
	}
	where := "(" + strings.Join(parts, " OR ") + ")"

	if p.Procedure != "" {
		where += " AND d.procedure_code = ?"
		args = append(args, p.Procedure)
	}
	if p.DossierCode != "" {
		// substr counts characters on both databases; LIKE would need
		// escaping and ignores case for ASCII on SQLite only.
		where += " AND substr(t.dossier_code, 1, ?) = ?"
		args = append(args, utf8.RuneCountInString(p.DossierCode), p.DossierCode)
	}
	soon := now.Add(DueSoonWithin)
	switch p.Due {
	case DueAll:
	case DueOverdue:
		where += " AND t.due_at < ?"
		args = append(args, s.at(now))
	case DueSoon:
		where += " AND t.due_at >= ? AND t.due_at < ?"
		args = append(args, s.at(now), s.at(soon))
	case DueOnTime:
		where += " AND (t.due_at IS NULL OR t.due_at >= ?)"
		args = append(args, s.at(soon))
	default:
		return "", nil, fmt.Errorf("%w: due filter %q (want %q, %q, %q or empty)",
			ErrInvalid, p.Due, DueOverdue, DueSoon, DueOnTime)
	}
	return where, args, nil
}

// now returns p.Now, or the current time, at the store's precision.
func (p TaskListParams) now() time.Time {
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	return now.Truncate(precision)
}

// TaskList returns an inbox: overdue tasks first, then by due time, tasks
// without a due time last; ties by opening time, dossier and task.
func (s *Store) TaskList(ctx context.Context, p TaskListParams) ([]TaskRow, error) {
	now := p.now()
	where, args, err := p.where(s, now)
	if err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	// Overdue tasks have the earliest due times, so ordering by due time
	// (NULL last on both databases) puts them first.
	order := "CASE WHEN t.due_at IS NULL THEN 1 ELSE 0 END, t.due_at, t.opened_at, t.dossier_code, t.task_id, t.workflow_id"
	rows, err := s.taskRows(ctx, s.read, where, args, order, limit(p.Limit), max(p.Offset, 0), now)
	if err != nil {
		return nil, fmt.Errorf("listing tasks: %w", err)
	}
	return rows, nil
}

// TaskCount returns how many tasks TaskList would return without Limit and
// Offset, for pagination.
func (s *Store) TaskCount(ctx context.Context, p TaskListParams) (int, error) {
	where, args, err := p.where(s, p.now())
	if err != nil {
		return 0, fmt.Errorf("counting tasks: %w", err)
	}
	var n int
	if err := s.read.GetContext(ctx, &n, s.rebind("SELECT COUNT(*)"+taskFrom+" WHERE "+where), args...); err != nil {
		return 0, fmt.Errorf("counting tasks: %w", err)
	}
	return n, nil
}

// TaskGet returns an open task of a dossier, looking in every workflow of
// the dossier (the dossier's own first); ErrNotFound when no such task is
// open.
func (s *Store) TaskGet(ctx context.Context, dossierCode, taskID string) (TaskRow, error) {
	rows, err := s.taskRows(ctx, s.read, "t.dossier_code = ? AND t.task_id = ?", []any{dossierCode, taskID},
		"CASE WHEN t.workflow_id = t.dossier_code THEN 0 ELSE 1 END, t.workflow_id", 1, 0, time.Now())
	if err == nil && len(rows) == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return TaskRow{}, fmt.Errorf("getting task %s of dossier %s: %w", taskID, dossierCode, err)
	}
	return rows[0], nil
}

// TaskWorkflow returns the id of the workflow that holds an open task of a
// dossier: the dossier's own when it holds one with that id, else the
// first consultation's. It reads one index and nothing else, for routing
// an officer's action; TaskGet returns the whole row. ErrNotFound when no
// workflow of the dossier holds the task.
func (s *Store) TaskWorkflow(ctx context.Context, dossierCode, taskID string) (string, error) {
	var id string
	err := s.read.GetContext(ctx, &id, s.rebind(`
		SELECT workflow_id FROM tasks WHERE dossier_code = ? AND task_id = ?
		ORDER BY CASE WHEN workflow_id = dossier_code THEN 0 ELSE 1 END, workflow_id LIMIT 1`), dossierCode, taskID)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("finding the workflow of task %s of dossier %s: %w", taskID, dossierCode, err)
	}
	return id, nil
}

// SequenceNext returns the next number of the day for an agency, from 1.
// It is atomic: concurrent callers get distinct consecutive numbers. day is
// opaque to the store; callers use the date in Vietnam, e.g. "2025-03-14".
func (s *Store) SequenceNext(ctx context.Context, agency, day string) (int, error) {
	if agency == "" || day == "" {
		return 0, errors.New("next sequence number: agency and day must not be empty")
	}
	var n int
	err := s.write.GetContext(ctx, &n, s.rebind(`
		INSERT INTO code_sequences (agency, day, n) VALUES (?, ?, 1)
		ON CONFLICT (agency, day) DO UPDATE SET n = code_sequences.n + 1
		RETURNING n`), agency, day)
	if err != nil {
		return 0, fmt.Errorf("next sequence number of %s on %s: %w", agency, day, err)
	}
	return n, nil
}
