package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// historyBatch is how many dossiers ProcedureHistory reads the timelines
// of in one query.
const historyBatch = 500

// HistoryParams says which dossiers ProcedureHistory reads.
type HistoryParams struct {
	// Procedure is the procedure code; required.
	Procedure string
	// From and To bound the reception time, [From, To); a zero bound does
	// not bound.
	From, To time.Time
}

// HistoryDossier is one dossier as ProcedureHistory gives it: its snapshot
// with the timeline of every workflow of the dossier (its own and its
// consultation children's, ordered as DossierGet orders them) and the
// version of the procedure it was received under.
type HistoryDossier struct {
	State   dossier.State
	Version string // the procedure's version, e.g. "2025.1"
}

// ErrStop, returned by a ProcedureHistory callback, ends the walk early
// without error.
var ErrStop = errors.New("stop the walk")

// ProcedureHistory calls fn for every dossier of a procedure received in
// the period, in code order, with its timeline. It reads the dossiers in
// batches (a snapshot per batch, not one for the whole walk), so it holds
// a few hundred timelines at a time, not the procedure's whole history.
func (s *Store) ProcedureHistory(ctx context.Context, p HistoryParams, fn func(HistoryDossier) error) error {
	if p.Procedure == "" {
		return errors.New("procedure history: the procedure code is required")
	}
	after := ""
	for {
		batch, err := s.historyBatch(ctx, p, after)
		if err != nil {
			return fmt.Errorf("procedure history of %s: %w", p.Procedure, err)
		}
		for _, d := range batch {
			if err := fn(d); err != nil {
				if errors.Is(err, ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(batch) < historyBatch {
			return nil
		}
		after = batch[len(batch)-1].State.Code
	}
}

// historyBatch reads the next batch of dossiers after the given code, with
// their timelines, in one read transaction.
func (s *Store) historyBatch(ctx context.Context, p HistoryParams, after string) ([]HistoryDossier, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only

	q := dossierSelect + " WHERE procedure_code = ? AND code > ?"
	args := []any{p.Procedure, after}
	if !p.From.IsZero() {
		q += " AND received_at >= ?"
		args = append(args, s.at(p.From))
	}
	if !p.To.IsZero() {
		q += " AND received_at < ?"
		args = append(args, s.at(p.To))
	}
	q += " ORDER BY code LIMIT ?"
	args = append(args, historyBatch)
	var rows []dossierRow
	if err := tx.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("reading dossiers: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]HistoryDossier, len(rows))
	codes := make([]string, len(rows))
	index := make(map[string]int, len(rows))
	for i := range rows {
		st, err := rows[i].state()
		if err != nil {
			return nil, err
		}
		out[i] = HistoryDossier{State: st, Version: rows[i].ProcedureVersion}
		codes[i] = st.Code
		index[st.Code] = i
	}
	eq, eargs, err := sqlx.In(`
		SELECT dossier_code, workflow_id, seq, at, kind, step, actor_id, actor_role, actor_agency,
			outcome, note, status, due_at, timeliness
		FROM events WHERE dossier_code IN (?)
		ORDER BY dossier_code, at, workflow_id, seq`, codes)
	if err != nil {
		return nil, fmt.Errorf("building the timeline query: %w", err)
	}
	var events []struct {
		DossierCode string `db:"dossier_code"`
		eventRow
	}
	if err := tx.SelectContext(ctx, &events, s.rebind(eq), eargs...); err != nil {
		return nil, fmt.Errorf("reading timelines: %w", err)
	}
	for _, r := range events {
		i, ok := index[r.DossierCode]
		if !ok {
			continue
		}
		out[i].State.Timeline = append(out[i].State.Timeline, r.event())
	}
	return out, nil
}
