package store

import (
	"context"
	"fmt"
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// StatusCount is how many dossiers of a procedure are in a status.
type StatusCount struct {
	Procedure string         `db:"procedure_code" json:"procedure"`
	Status    dossier.Status `db:"status" json:"status"`
	N         int            `db:"n" json:"n"`
}

// Stats is a snapshot of the read model for monitoring gauges.
type Stats struct {
	// Dossiers counts the dossiers by procedure and status, ordered by
	// procedure then status; pairs without dossiers are absent.
	Dossiers []StatusCount `json:"dossiers"`
	// OpenTasks counts the open tasks of every workflow, the applicant's
	// included.
	OpenTasks int `json:"open_tasks"`
	// OverdueTasks counts the open tasks due before the time asked about.
	OverdueTasks int `json:"overdue_tasks"`
	// LastProjectedAt is when a dossier snapshot was last written (the
	// latest updated_at of the dossiers); zero when there is none. A
	// consultation child's projections, which carry no snapshot, do not
	// move it.
	LastProjectedAt time.Time `json:"last_projected_at"`
}

// Stats counts dossiers and tasks in one consistent view of the read
// model; tasks due before now are overdue (a zero now is the current
// time).
func (s *Store) Stats(ctx context.Context, now time.Time) (Stats, error) {
	st, err := s.stats(ctx, now)
	if err != nil {
		return Stats{}, fmt.Errorf("computing read model statistics: %w", err)
	}
	return st, nil
}

func (s *Store) stats(ctx context.Context, now time.Time) (Stats, error) {
	if now.IsZero() {
		now = time.Now()
	}
	now = now.Truncate(precision)
	tx, err := s.readTx(ctx)
	if err != nil {
		return Stats{}, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	var st Stats
	err = tx.SelectContext(ctx, &st.Dossiers, `
		SELECT procedure_code, status, COUNT(*) AS n FROM dossiers
		GROUP BY procedure_code, status ORDER BY procedure_code, status`)
	if err != nil {
		return Stats{}, fmt.Errorf("counting dossiers: %w", err)
	}
	var tasks struct {
		Open    int `db:"open_tasks"`
		Overdue int `db:"overdue_tasks"`
	}
	err = tx.GetContext(ctx, &tasks, s.rebind(`
		SELECT COUNT(*) AS open_tasks, COUNT(CASE WHEN due_at < ? THEN 1 END) AS overdue_tasks FROM tasks`), s.at(now))
	if err != nil {
		return Stats{}, fmt.Errorf("counting tasks: %w", err)
	}
	st.OpenTasks, st.OverdueTasks = tasks.Open, tasks.Overdue
	var last dbTime
	if err := tx.GetContext(ctx, &last, `SELECT MAX(updated_at) FROM dossiers`); err != nil {
		return Stats{}, fmt.Errorf("reading the last projection time: %w", err)
	}
	st.LastProjectedAt = last.t
	return st, nil
}

// Ping checks that the database answers a query, for a readiness probe.
// It asks the reading pool: on SQLite it does not queue behind the single
// writing connection, so a long write does not make the service look
// unready.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.read.GetContext(ctx, &one, `SELECT 1`); err != nil {
		return fmt.Errorf("pinging read model at %s: %w", s.where, err)
	}
	return nil
}
