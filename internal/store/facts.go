package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// The report's own tables (migration 00004), written with the dossiers and
// events they are derived from, in the same transaction:
//
//   - report_facts holds, per dossier, what the report judges it by, as
//     integers: times in microseconds since 1970-01-01 UTC (the precision
//     of the stored times, so comparisons agree with the dossiers table's),
//     days as Vietnamese day numbers (dayNumberOf). Its end time needs the
//     dossier's "refused" event and its withdrawal the "withdraw_requested"
//     one; both are read from the events table once the projection's
//     events are in.
//   - report_step_days counts the officers' actions with a due time per
//     Vietnamese day, the dossier's agency, procedure and version, and
//     timeliness. An action counts when its event is first inserted, so a
//     projection applied twice counts it once.

// factsColumns are the columns of report_facts, in the order factsRow
// returns them.
var factsColumns = []string{
	"code", "agency", "procedure_code", "procedure_version", "received", "channel",
	"result_document", "e_result", "fee", "reused", "appointment", "appointment_day",
	"paused_since", "extended", "supplements", "status", "end_at", "returned", "refusal",
	"withdrawn", "finished", "start_day", "end_day", "paused_seconds", "digitised", "dissatisfied_at",
	"mode", "last_asked", "last_supplied",
}

var factsUpsertSQL = func() string {
	sets := make([]string, 0, len(factsColumns)-1)
	for _, c := range factsColumns[1:] {
		sets = append(sets, c+" = excluded."+c)
	}
	return "INSERT INTO report_facts (" + strings.Join(factsColumns, ", ") + ") VALUES (?" +
		strings.Repeat(", ?", len(factsColumns)-1) + ") ON CONFLICT (code) DO UPDATE SET " + strings.Join(sets, ", ")
}()

// micro returns a time as microseconds since 1970-01-01 UTC, or nil for the
// zero time (NULL).
func micro(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// channelCode codes a channel for report_facts.
func channelCode(c string) int64 {
	switch c {
	case dossier.ChannelOnline:
		return 1
	case dossier.ChannelInPerson:
		return 2
	case dossier.ChannelPostal:
		return 3
	}
	return 0
}

// eventFacts are the facts of report_facts a dossier's snapshot does not
// carry, read from its events: its first refusal at reception, whether
// its applicant asked to withdraw, and, for a dossier without an
// appointment date, its last supplement request and supplement.
type eventFacts struct {
	refusedAt, lastAsked, lastSupplied time.Time
	withdrawn                          bool
}

// add takes an event into account.
func (m *eventFacts) add(e *dossier.Event) {
	switch e.Kind {
	case dossier.EventRefused:
		if m.refusedAt.IsZero() || e.At.Before(m.refusedAt) {
			m.refusedAt = e.At
		}
	case dossier.EventWithdrawRequested:
		m.withdrawn = true
	case dossier.EventSupplementAsked:
		if e.At.After(m.lastAsked) {
			m.lastAsked = e.At
		}
	case dossier.EventSupplemented:
		if e.At.After(m.lastSupplied) {
			m.lastSupplied = e.At
		}
	}
}

// changesFacts reports whether an event is one eventFacts reads.
func changesFacts(e *dossier.Event) bool {
	switch e.Kind {
	case dossier.EventRefused, dossier.EventWithdrawRequested, dossier.EventSupplementAsked, dossier.EventSupplemented:
		return true
	}
	return false
}

// factsRow returns the report_facts row of a dossier's snapshot, in the
// order of factsColumns.
func factsRow(st *dossier.State, f dossier.Facts, m eventFacts) []any {
	fee := int64(0)
	switch {
	case st.FeesDue <= 0:
	case st.PaidOnline:
		fee = 2
	default:
		fee = 1
	}
	var appointmentDay, pausedSince, startDay, endDay, dissatisfied, mode, lastAsked, lastSupplied any
	if st.AppointmentAt.IsZero() {
		mode, lastAsked, lastSupplied = st.Mode, micro(m.lastAsked), micro(m.lastSupplied)
	} else {
		appointmentDay = (dayNumberOf(st.AppointmentAt)*86400 - 7*3600) * 1_000_000
	}
	if st.Paused {
		pausedSince = micro(st.PausedSince)
	}
	end := endOf(st, m.refusedAt)
	if !st.FinishedAt.IsZero() {
		start := st.AcceptedAt
		if start.IsZero() {
			start = st.ReceivedAt
		}
		if !start.IsZero() {
			startDay = dayNumberOf(start)
		}
		endDay = dayNumberOf(st.FinishedAt)
	}
	refusal := st.Result != nil && st.Result.Refusal
	if st.Rating != nil && !st.Rating.Satisfied {
		dissatisfied = micro(st.Rating.At)
	}
	return []any{
		st.Code, st.Agency, st.ProcedureCode, f.ProcedureVersion, micro(st.ReceivedAt), channelCode(st.Channel),
		f.ResultIsDocument, f.EResult, fee, f.ReusedComponents > 0, micro(st.AppointmentAt), appointmentDay,
		pausedSince, st.Extended, int64(st.Supplements), int64(st.Status), micro(end), micro(st.ReturnedAt), refusal,
		m.withdrawn, micro(st.FinishedAt), startDay, endDay, int64(st.PausedTotal / time.Second), f.Digitised, dissatisfied,
		mode, lastAsked, lastSupplied,
	}
}

// endOf is a dossier's end time as the report defines it: finished_at
// (status 9, or the stop of status 8), else returned_at, else for a
// dossier refused at reception its refusal, else its reception; zero while
// open.
func endOf(st *dossier.State, refusedAt time.Time) time.Time {
	end := st.FinishedAt
	if end.IsZero() {
		end = st.ReturnedAt
	}
	if end.IsZero() && st.Status == dossier.StatusRefused {
		end = refusedAt
		if end.IsZero() {
			end = st.ReceivedAt
		}
	}
	return end
}

// eventFactsOf reads a dossier's eventFacts from the events already in
// the read model; only the lookups its status and appointment need.
func (s *Store) eventFactsOf(ctx context.Context, tx *sqlx.Tx, code string, status dossier.Status, unscheduled bool) (eventFacts, error) {
	var m eventFacts
	last := func(kind string) (time.Time, error) {
		var t dbTime
		err := tx.GetContext(ctx, &t, s.rebind(`SELECT MAX(at) FROM events WHERE dossier_code = ? AND kind = ?`), code, kind)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, fmt.Errorf("reading the %s events of %s: %w", kind, code, err)
		}
		return t.t, nil
	}
	switch status {
	case dossier.StatusRefused:
		var t dbTime
		err := tx.GetContext(ctx, &t, s.rebind(`SELECT MIN(at) FROM events WHERE dossier_code = ? AND kind = 'refused'`), code)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return m, fmt.Errorf("reading the refusal of %s: %w", code, err)
		}
		m.refusedAt = t.t
	case dossier.StatusStopped:
		err := tx.GetContext(ctx, &m.withdrawn, s.rebind(`SELECT EXISTS (SELECT 1 FROM events WHERE dossier_code = ? AND kind = 'withdraw_requested')`), code)
		if err != nil {
			return m, fmt.Errorf("reading the withdrawal of %s: %w", code, err)
		}
	}
	if unscheduled {
		var err error
		if m.lastAsked, err = last(dossier.EventSupplementAsked); err != nil {
			return m, err
		}
		if m.lastSupplied, err = last(dossier.EventSupplemented); err != nil {
			return m, err
		}
	}
	return m, nil
}

// factsUpsert writes the report_facts row of a projection's snapshot, after
// its events.
func (s *Store) factsUpsert(ctx context.Context, tx *sqlx.Tx, p dossier.Projection) error {
	m, err := s.eventFactsOf(ctx, tx, p.Code, p.Snapshot.Status, p.Snapshot.AppointmentAt.IsZero())
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.rebind(factsUpsertSQL), s.bools(factsRow(p.Snapshot, p.Facts, m))...); err != nil {
		return fmt.Errorf("writing the report facts of %s: %w", p.Code, err)
	}
	return nil
}

// factsRefresh brings a dossier's report_facts row up to date with events
// that arrived in a projection older than the snapshot already applied
// (one retried late).
func (s *Store) factsRefresh(ctx context.Context, tx *sqlx.Tx, p dossier.Projection) error {
	if !slices.ContainsFunc(p.Events, func(e dossier.Event) bool { return changesFacts(&e) }) {
		return nil
	}
	var row struct {
		Status      int    `db:"status"`
		Received    dbTime `db:"received_at"`
		Finished    dbTime `db:"finished_at"`
		Returned    dbTime `db:"returned_at"`
		Appointment dbTime `db:"appointment_at"`
	}
	err := tx.GetContext(ctx, &row, s.rebind(`SELECT status, received_at, finished_at, returned_at, appointment_at FROM dossiers WHERE code = ?`), p.Code)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // no snapshot yet: the first one will read the events
	}
	if err != nil {
		return fmt.Errorf("reading dossier %s: %w", p.Code, err)
	}
	unscheduled := row.Appointment.t.IsZero()
	m, err := s.eventFactsOf(ctx, tx, p.Code, dossier.Status(row.Status), unscheduled)
	if err != nil {
		return err
	}
	st := dossier.State{Status: dossier.Status(row.Status), ReceivedAt: row.Received.t, FinishedAt: row.Finished.t, ReturnedAt: row.Returned.t}
	var lastAsked, lastSupplied any
	if unscheduled {
		lastAsked, lastSupplied = micro(m.lastAsked), micro(m.lastSupplied)
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE report_facts SET end_at = ?, withdrawn = ?, last_asked = ?, last_supplied = ? WHERE code = ?`),
		micro(endOf(&st, m.refusedAt)), s.boolArg(m.withdrawn), lastAsked, lastSupplied, p.Code); err != nil {
		return fmt.Errorf("updating the report facts of %s: %w", p.Code, err)
	}
	return nil
}

// bools converts the booleans of a row to 0/1 for SQLite, which keeps them
// as integers (as its driver binds them, and BulkLoad writes them).
func (s *Store) bools(row []any) []any {
	if s.pg {
		return row
	}
	for i, a := range row {
		if b, ok := a.(bool); ok {
			row[i] = boolInt(b)
		}
	}
	return row
}

func (s *Store) boolArg(b bool) any {
	if s.pg {
		return b
	}
	return boolInt(b)
}

// stepKey is a row of report_step_days without its count.
type stepKey struct {
	day                        int64
	agency, procedure, version string
	timeliness                 dossier.Timeliness
}

// countsStep reports whether an event counts in report_step_days: an
// officer's action with a due time, judged early, on time or late.
func countsStep(e *dossier.Event) bool {
	if e.Kind != dossier.EventActed || e.DueAt.IsZero() {
		return false
	}
	switch e.Timeliness {
	case dossier.Early, dossier.OnTime, dossier.Late:
		return true
	}
	return false
}

// dossierGroup is what report_step_days groups an action by: its dossier's
// agency, procedure and version.
type dossierGroup struct{ agency, procedure, version string }

// groupOf returns the group of a projection's dossier: from its snapshot,
// else from the dossier row; the zero group when the read model has none.
func (s *Store) groupOf(ctx context.Context, q sqlx.QueryerContext, p *dossier.Projection) (dossierGroup, error) {
	if p.Snapshot != nil {
		return dossierGroup{p.Snapshot.Agency, p.Snapshot.ProcedureCode, p.Facts.ProcedureVersion}, nil
	}
	var g struct {
		Agency    string `db:"agency"`
		Procedure string `db:"procedure_code"`
		Version   string `db:"procedure_version"`
	}
	err := sqlx.GetContext(ctx, q, &g, s.rebind(`SELECT agency, procedure_code, procedure_version FROM dossiers WHERE code = ?`), p.Code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return dossierGroup{}, nil
	case err != nil:
		return dossierGroup{}, fmt.Errorf("reading the group of dossier %s: %w", p.Code, err)
	}
	return dossierGroup{g.Agency, g.Procedure, g.Version}, nil
}

const stepDaysUpsertSQL = `INSERT INTO report_step_days (day, agency, procedure_code, procedure_version, timeliness, n)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (day, agency, procedure_code, procedure_version, timeliness) DO UPDATE SET n = report_step_days.n + excluded.n`

// stepDaysAdd adds counts to report_step_days.
func (s *Store) stepDaysAdd(ctx context.Context, tx sqlx.ExecerContext, counts map[stepKey]int64) error {
	for k, n := range counts {
		if _, err := tx.ExecContext(ctx, s.rebind(stepDaysUpsertSQL), k.day, k.agency, k.procedure, k.version, string(k.timeliness), n); err != nil {
			return fmt.Errorf("counting the day's actions: %w", err)
		}
	}
	return nil
}
