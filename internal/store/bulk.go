package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/motcua/motcua/internal/dossier"
)

// BulkLoadParams says what BulkLoad writes.
type BulkLoadParams struct {
	// Batches delivers the projections to write. Each projection must be
	// the complete history of a workflow the read model does not hold yet:
	// every event from seq 1, the final snapshot (for a dossier's own
	// workflow) and the tasks open at the end. Each batch is written in one
	// transaction; a few thousand dossiers per batch load fastest. BulkLoad
	// returns when Batches is closed and drained.
	Batches <-chan []dossier.Projection
	// Committed, when set, is called after each batch is committed with
	// what the batch held.
	Committed func(BulkCounts)
	// Outside, when set, is asked for what the read model holds of a
	// dossier from outside its workflows (its first accepted push to the
	// national portal, its complaints): once for each projection with a
	// snapshot, the dossier's own. It is written in the batch's
	// transaction, as PortalSynced and ComplaintAdd would have recorded it;
	// the complaints' time of recording is the time of the load.
	Outside func(p *dossier.Projection) Outside
}

// BulkCounts counts what a batch of BulkLoad wrote.
type BulkCounts struct {
	Projections int // workflows
	Dossiers    int // projections with a snapshot
	Events      int
	Tasks       int
	Complaints  int // from BulkLoadParams.Outside
}

// BulkLoad writes complete workflow histories into an empty part of the
// read model, much faster than ProjectionApply: the rows are those
// ProjectionApply would write for the same projections applied to a read
// model without them (events, the dossier row with its snapshot and facts,
// open tasks, the projection mark), except that updated_at is the time of
// the load; with BulkLoadParams.Outside, also what PortalSynced and
// ComplaintAdd would have recorded.
//
// It is meant for generated or migrated history, not for live
// projections: it inserts without merging, so a workflow already in the
// read model (its mark, an event or its dossier code) fails the batch,
// which is rolled back; batches committed before stay. On SQLite it holds
// the single writing connection for the whole load, so live projections
// wait; on PostgreSQL it uses COPY.
//
// On an error BulkLoad returns without draining Batches: the producer must
// stop through its context.
func (s *Store) BulkLoad(ctx context.Context, p BulkLoadParams) error {
	if p.Batches == nil {
		return errors.New("bulk load: no batches (BulkLoadParams.Batches is nil)")
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	defer conn.Close()
	load := s.bulkSQLite
	if s.pg {
		load = s.bulkPostgres
	}
	if err := load(ctx, conn, p); err != nil {
		return fmt.Errorf("bulk load into %s: %w", s.where, err)
	}
	return nil
}

// bulkRows holds the rows of one batch, as the query arguments
// ProjectionApply binds, table by table.
type bulkRows struct {
	events, dossiers, facts, tasks, marks, complaints [][]any
	// steps counts the batch's actions for report_step_days.
	steps  map[stepKey]int64
	counts BulkCounts
}

// Columns of the tables BulkLoad writes, in the order bulkRows holds them
// (dossierColumns for dossiers).
var (
	eventColumns = []string{"workflow_id", "seq", "dossier_code", "at", "kind", "step",
		"actor_id", "actor_role", "actor_agency", "outcome", "note", "status", "due_at", "timeliness"}
	taskColumns = []string{"workflow_id", "task_id", "dossier_code", "step", "kind", "name", "role", "agency",
		"outcomes", "opened_at", "due_at"}
	markColumns = []string{"workflow_id", "last_seq"}
)

// rows converts a batch, with the checks ProjectionApply makes. The
// actions of a consultation child count in the group of their dossier:
// from its snapshot in the batch, else from the read model.
func (s *Store) rows(ctx context.Context, batch []dossier.Projection, updatedAt time.Time,
	outside func(*dossier.Projection) Outside) (*bulkRows, error) {
	r := &bulkRows{steps: map[stepKey]int64{}}
	groups := map[string]dossierGroup{}
	for i := range batch {
		if p := &batch[i]; p.Snapshot != nil {
			groups[p.Code], _ = s.groupOf(ctx, nil, p)
		}
	}
	for i := range batch {
		p := &batch[i]
		g, ok := groups[p.Code]
		if !ok {
			var err error
			if g, err = s.groupOf(ctx, s.read, p); err != nil {
				return nil, err
			}
			groups[p.Code] = g
		}
		if err := s.addRows(r, p, g, updatedAt, outside); err != nil {
			return nil, fmt.Errorf("projection of workflow %s seq %d: %w", p.WorkflowID, p.Seq, err)
		}
	}
	return r, nil
}

func (s *Store) addRows(r *bulkRows, p *dossier.Projection, g dossierGroup, updatedAt time.Time,
	outside func(*dossier.Projection) Outside) error {
	if err := checkProjection(p); err != nil {
		return err
	}
	var m eventFacts
	for i := range p.Events {
		e := &p.Events[i]
		if e.At.IsZero() {
			return fmt.Errorf("event %d (%s) has no time", e.Seq, e.Kind)
		}
		r.events = append(r.events, []any{p.WorkflowID, int64(e.Seq), p.Code, s.at(e.At), e.Kind, e.Step,
			e.Actor.ID, e.Actor.Role, e.Actor.Agency, e.Outcome, e.Note, int64(e.Status), s.at(e.DueAt), string(e.Timeliness)})
		if countsStep(e) {
			r.steps[stepKey{dayNumberOf(e.At), g.agency, g.procedure, g.version, e.Timeliness}]++
		}
		m.add(e)
	}
	if p.Snapshot != nil {
		args, err := s.dossierRow(p, updatedAt)
		if err != nil {
			return err
		}
		var o Outside
		if outside != nil {
			o = outside(p)
		}
		extra, complaints, err := s.outsideRows(p.Code, o, updatedAt)
		if err != nil {
			return err
		}
		r.dossiers = append(r.dossiers, args)
		r.facts = append(r.facts, append(s.bools(factsRow(p.Snapshot, p.Facts, m)), extra...))
		r.complaints = append(r.complaints, complaints...)
		r.counts.Dossiers++
		r.counts.Complaints += len(complaints)
	}
	for _, t := range p.Tasks {
		if t.OpenedAt.IsZero() {
			return fmt.Errorf("task %q has no opening time", t.ID)
		}
		outcomes, err := json.Marshal(nonNil(t.Outcomes))
		if err != nil {
			return err
		}
		r.tasks = append(r.tasks, []any{p.WorkflowID, t.ID, p.Code, t.Step, t.Kind, t.Name, t.Role, t.Agency,
			string(outcomes), s.at(t.OpenedAt), s.at(t.DueAt)})
	}
	r.marks = append(r.marks, []any{p.WorkflowID, int64(p.Seq)})
	r.counts.Projections++
	r.counts.Events += len(p.Events)
	r.counts.Tasks += len(p.Tasks)
	return nil
}

// dossierRow returns the values of a dossier row in the order of
// dossierColumns, as dossierUpsert binds them.
func (s *Store) dossierRow(p *dossier.Projection, updatedAt time.Time) ([]any, error) {
	st, f := p.Snapshot, p.Facts
	steps, err := json.Marshal(nonNil(st.CurrentSteps))
	if err != nil {
		return nil, err
	}
	components, err := json.Marshal(nonNil(st.Components))
	if err != nil {
		return nil, err
	}
	var r dossier.Result
	if st.Result != nil {
		r = *st.Result
	}
	var (
		satisfied any // NULL when not rated
		comment   string
		ratedAt   time.Time
	)
	if st.Rating != nil {
		satisfied, comment, ratedAt = st.Rating.Satisfied, st.Rating.Comment, st.Rating.At
	}
	args := []any{
		st.Code, st.ProcedureCode, st.PlanHash, f.ProcedureVersion, st.Agency, st.Mode, st.Channel,
		st.Applicant.ID, st.Applicant.Name, int64(st.Status), s.at(st.ReceivedAt), s.at(st.AcceptedAt), s.at(st.AppointmentAt),
		s.at(st.OriginalAppointmentAt), st.Extended, string(steps), st.Paused, s.at(st.PausedSince),
		int64(st.PausedTotal / time.Second), int64(st.Supplements), st.FeesDue, st.PaidOnline, s.at(st.FinishedAt), s.at(st.ReturnedAt),
		string(st.Timeliness), r.Code, r.Kind, r.Name, r.SHA256,
		r.SignedBy, s.at(r.SignedAt), r.Delivery, r.Refusal,
		f.ResultIsDocument, f.HasFee, f.EResult, f.Digitised, int64(f.ReusedComponents),
		satisfied, comment, s.at(ratedAt), int64(p.Seq), s.at(updatedAt), string(components),
	}
	if len(args) != len(dossierColumns) {
		// dossierColumns grew without BulkLoad: refuse rather than misalign.
		return nil, fmt.Errorf("bulk load knows %d dossier columns, the table has %d", len(args), len(dossierColumns))
	}
	if !s.pg {
		// SQLite keeps booleans as integers 0/1, as its driver binds them.
		for i, a := range args {
			if b, ok := a.(bool); ok {
				args[i] = boolInt(b)
			}
		}
	}
	return args, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// SQLite: one writer, large transactions, and each table's INSERT prepared
// once per batch and executed row by row. Multi-row VALUES measured slower
// with the modernc driver: SQLite runs them as a co-routine, and the
// driver matches every parameter to its argument by a linear search
// (quadratic in the parameters of a statement). The page cache is
// enlarged while loading, for the indexes.
const bulkSQLiteCache = -262144 // KiB: 256 MiB

type bulkTable struct {
	name string
	cols []string
}

var (
	eventsTable   = bulkTable{"events", eventColumns}
	dossiersTable = bulkTable{"dossiers", dossierColumns}
	// BulkLoad writes the outside columns of report_facts with the others.
	factsTable      = bulkTable{"report_facts", slices.Concat(factsColumns, outsideColumns)}
	tasksTable      = bulkTable{"tasks", taskColumns}
	marksTable      = bulkTable{"projection_marks", markColumns}
	complaintsTable = bulkTable{"complaints", complaintColumns}
)

// insertSQL returns the INSERT of one row.
func (t bulkTable) insertSQL() string {
	return "INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(t.cols)-1) + ")"
}

func (s *Store) bulkSQLite(ctx context.Context, conn *sql.Conn, p BulkLoadParams) error {
	var cache int64
	if err := conn.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, bulkSQLiteCache)); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, cache)) //nolint:errcheck // best effort

	for {
		batch, ok, err := nextBatch(ctx, p.Batches)
		if err != nil || !ok {
			return err
		}
		r, err := s.rows(ctx, batch, time.Now(), p.Outside)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, w := range []struct {
			t    bulkTable
			rows [][]any
		}{{eventsTable, r.events}, {dossiersTable, r.dossiers}, {factsTable, r.facts}, {tasksTable, r.tasks}, {marksTable, r.marks},
			{complaintsTable, r.complaints}} {
			if err := insertSQLite(ctx, tx, w.t, w.rows); err != nil {
				tx.Rollback() //nolint:errcheck // the insert's error is the one to report
				return err
			}
		}
		if err := s.stepDaysAdd(ctx, tx, r.steps); err != nil {
			tx.Rollback() //nolint:errcheck // the insert's error is the one to report
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if p.Committed != nil {
			p.Committed(r.counts)
		}
	}
}

func insertSQLite(ctx context.Context, tx *sql.Tx, t bulkTable, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, t.insertSQL())
	if err != nil {
		return fmt.Errorf("writing %s: %w", t.name, err)
	}
	defer stmt.Close()
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return bulkConflict(t, err)
		}
	}
	return nil
}

// bulkConflict words a failed insert; a unique violation means the
// workflow (or a complaint's reference) is already in the read model.
func bulkConflict(t bulkTable, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "duplicate key") {
		if t.name == complaintsTable.name {
			return fmt.Errorf("writing %s: a complaint reference of the batch is already in the read model or twice in the batch: %w", t.name, err)
		}
		return fmt.Errorf("writing %s: a workflow of the batch is already in the read model (BulkLoad only adds new workflows): %w", t.name, err)
	}
	return fmt.Errorf("writing %s: %w", t.name, err)
}

// PostgreSQL: COPY of each table, one transaction per batch, on the pgx
// connection beneath database/sql.
func (s *Store) bulkPostgres(ctx context.Context, conn *sql.Conn, p BulkLoadParams) error {
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("expected a pgx connection, got %T", dc)
		}
		pc := sc.Conn()
		for {
			batch, ok, err := nextBatch(ctx, p.Batches)
			if err != nil || !ok {
				return err
			}
			r, err := s.rows(ctx, batch, time.Now(), p.Outside)
			if err != nil {
				return err
			}
			tx, err := pc.Begin(ctx)
			if err != nil {
				return err
			}
			for _, w := range []struct {
				t    bulkTable
				rows [][]any
			}{{eventsTable, r.events}, {dossiersTable, r.dossiers}, {factsTable, r.facts}, {tasksTable, r.tasks}, {marksTable, r.marks},
				{complaintsTable, r.complaints}} {
				if len(w.rows) == 0 {
					continue
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{w.t.name}, w.t.cols, pgx.CopyFromRows(w.rows)); err != nil {
					tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the copy's error is the one to report
					return bulkConflict(w.t, err)
				}
			}
			for k, n := range r.steps {
				if _, err := tx.Exec(ctx, s.rebind(stepDaysUpsertSQL), k.day, k.agency, k.procedure, k.version, string(k.timeliness), n); err != nil {
					tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the upsert's error is the one to report
					return fmt.Errorf("counting the day's actions: %w", err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				return err
			}
			if p.Committed != nil {
				p.Committed(r.counts)
			}
		}
	})
}

// nextBatch receives the next batch; ok is false when the channel is
// closed.
func nextBatch(ctx context.Context, batches <-chan []dossier.Projection) ([]dossier.Projection, bool, error) {
	select {
	case <-ctx.Done():
		return nil, false, ctx.Err()
	case b, ok := <-batches:
		return b, ok, nil
	}
}

// Sequence is the last dossier number handed out to an agency on a day,
// as SequenceNext keeps it.
type Sequence struct {
	Agency string `db:"agency"`
	Day    string `db:"day"` // as given to SequenceNext, e.g. "2025-03-14"
	N      int    `db:"n"`
}

// SequenceList returns every agency's day sequences, ordered by agency
// and day.
func (s *Store) SequenceList(ctx context.Context) ([]Sequence, error) {
	var out []Sequence
	if err := s.read.SelectContext(ctx, &out, `SELECT agency, day, n FROM code_sequences ORDER BY agency, day`); err != nil {
		return nil, fmt.Errorf("listing code sequences: %w", err)
	}
	return out, nil
}

// SequenceRaise raises day sequences to at least the numbers given, so
// that SequenceNext does not hand out numbers already used by dossiers
// written otherwise (BulkLoad). It never lowers a sequence.
func (s *Store) SequenceRaise(ctx context.Context, seqs []Sequence) error {
	if len(seqs) == 0 {
		return nil
	}
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("raising code sequences: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	stmt, err := tx.PreparexContext(ctx, s.rebind(`
		INSERT INTO code_sequences (agency, day, n) VALUES (?, ?, ?)
		ON CONFLICT (agency, day) DO UPDATE SET n = excluded.n
		WHERE code_sequences.n < excluded.n`))
	if err != nil {
		return fmt.Errorf("raising code sequences: %w", err)
	}
	defer stmt.Close()
	for _, q := range seqs {
		if q.Agency == "" || q.Day == "" || q.N < 1 {
			return fmt.Errorf("raising code sequences: agency %q day %q n %d: agency and day must be set and n at least 1", q.Agency, q.Day, q.N)
		}
		if _, err := stmt.ExecContext(ctx, q.Agency, q.Day, q.N); err != nil {
			return fmt.Errorf("raising code sequence of %s on %s: %w", q.Agency, q.Day, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("raising code sequences: %w", err)
	}
	return nil
}
