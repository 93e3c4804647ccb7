package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// The report queries count what the indicators (internal/indicators) need,
// as set-based aggregations run once per period: one pass over the
// dossiers of the period (every count of ReportRow, the working days of the
// processed ones included), one count of the officers' actions, a count per
// procedure, and the short list of dossiers without an appointment date.
// They take one ReportParams and return rows per period and group; the
// figures (rates, averages) are the indicators package's business.
//
// # Which dossiers a period holds
//
// A period is the half-open interval [From, To). To is also the cut: the
// instant the period is judged at, so a caller reporting on a period that
// has not ended yet passes To = now. For a period, the store distinguishes:
//
//   - received: received_at (the submission) in [From, To);
//   - handled ("received or processed in the period"): received before To,
//     and not ended before From. This is the received ones plus those
//     carried over from earlier periods (tồn kỳ trước chuyển sang);
//   - processed: status 9 or 10 (a result or a refusal notice after review)
//     with finished_at in [From, To).
//
// # End time
//
// A dossier's end time is finished_at (status 9, or the stop of status 8),
// else returned_at (10), else, for a dossier refused at reception (3),
// which keeps neither, the time of its "refused" event (its reception when
// the read model has no such event). A dossier whose end time is not before
// To is open at the cut, whatever it became later: a report on a past
// period does not change when its dossiers move on.
//
// # Timeliness of a dossier with an appointment date
//
// The judged time is the end time of an ended dossier, else the cut; but
// when the dossier was waiting on a supplement at that time (paused, with
// paused_since before it), it is the time of the request: "a dossier still
// waiting on its one supplement ends at the request". Supplement time is
// subtracted because the workflow moves appointment_at forward by the
// working time of each pause (paused_seconds) when the supplement arrives;
// the judged time is compared with that moved date. Then, as
// dossier.Judge does:
//
//   - an ended dossier is early when judged on a Vietnamese date before the
//     appointment's, on time when judged on its date and not after it, late
//     when judged after it;
//   - an open dossier is within time when judged not after the appointment,
//     overdue otherwise;
//   - an extended dossier (the appointment moved once, with an apology) and
//     one with more supplement requests than its procedure allows
//     (ReportParams.SupplementLimits, else DefaultSupplementLimit) are late,
//     or overdue while open, whatever the dates.
//
// A dossier without an appointment date (never accepted: refused at
// reception, withdrawn or stopped before acceptance, not yet checked) is
// counted as unscheduled: its appointment must be computed from the
// procedure's legal time limit over the working calendar, which the store
// does not hold, so ReportUnscheduled lists them for the caller to judge.
//
// # Per-step timeliness
//
// Every officer action that closes a task ("acted" events, the dossier's
// own and those of its consultation children) carries the timeliness the
// workflow judged against the task's due time (dossier.Judge, due times
// moved by supplement pauses like the appointment). Actions of steps
// without an allotted time (no due_at) are not counted. An action counts in
// the period its time falls in.
//
// # Working days
//
// The working days between two dates are counted in SQL without a
// calendar table: Mondays to Fridays by arithmetic on day numbers, plus a
// correction read from the dates where the calendar differs
// (ReportParams.WorkingDayExceptions: holidays, swapped days, make-up
// Saturdays) through a balanced CASE, a few comparisons per dossier.
//
// # Cost
//
// Each query reads the dossiers once per period through indexes of
// migration 00003. The per-dossier logic is written once, in an inner
// query that turns each dossier into a few small codes (its class of
// timeliness, its state at the cut, …), so the outer aggregates only compare
// codes; that inner query is a UNION ALL of three branches by status (those
// refused at reception and those stopped need an event each), which keeps
// both databases from inlining it into each aggregate and leaves
// PostgreSQL free to scan the main branch in parallel. Without grouping
// there is no GROUP BY, so SQLite does not sort the dossiers. A report on
// a year of a province (1.7 million dossiers) reads each dossier once, but
// SQLite evaluates the codes row by row on one core: PostgreSQL is the
// database for that scale.

// ReportGroup says what the rows of a report are grouped by within each
// period.
type ReportGroup string

// Report groupings.
const (
	ReportGroupNone      ReportGroup = ""          // one row per period
	ReportGroupAgency    ReportGroup = "agency"    // the dossier's competent agency
	ReportGroupProcedure ReportGroup = "procedure" // the procedure code
	ReportGroupVersion   ReportGroup = "version"   // procedure code and version, "CODE@VERSION"
)

// DefaultSupplementLimit is how many supplement requests during processing
// a procedure allows when ReportParams.SupplementLimits does not say
// otherwise; a dossier with more is late (definitions.DefaultMaxSupplements).
const DefaultSupplementLimit = 1

// ReportPeriod is one period of a report: [From, To), judged at To.
type ReportPeriod struct {
	From time.Time
	To   time.Time
}

// SupplementLimit is how many supplement requests a procedure allows.
type SupplementLimit struct {
	Procedure string
	Max       int
}

// ReportParams selects and groups the dossiers of a report. Empty filters
// do not filter.
type ReportParams struct {
	// Periods are judged independently, each with its own rows; at least
	// one. Rows carry the index of their period in this slice.
	Periods []ReportPeriod
	Group   ReportGroup
	// Agency keeps the dossiers of one competent agency.
	Agency string
	// Procedures keeps the dossiers of these procedure codes.
	Procedures []string
	// SupplementLimits lists the procedures whose supplement limit is not
	// DefaultSupplementLimit.
	SupplementLimits []SupplementLimit
	// WorkingDayExceptions are the dates of the working calendar that
	// differ from Monday to Friday, for ReportRow.ProcessedWorkingDays.
	WorkingDayExceptions []WorkingDayException
}

// ReportRow counts the dossiers of one period and group. The comments name
// the set each count is taken from: received, handled or processed (see the
// documentation of the report queries, above ReportGroup).
type ReportRow struct {
	Period int    `db:"-" json:"period"` // index in ReportParams.Periods
	Group  string `db:"grp" json:"group"`

	Handled          int `db:"handled" json:"handled"`                 // handled
	Received         int `db:"received" json:"received"`               // received
	ReceivedOnline   int `db:"received_online" json:"received_online"` // received by channel online
	ReceivedInPerson int `db:"received_in_person" json:"received_in_person"`
	ReceivedPostal   int `db:"received_postal" json:"received_postal"`
	// OnlineWithEResult: received online, and with an electronic result
	// when the procedure's result is a document.
	OnlineWithEResult int `db:"online_with_e_result" json:"online_with_e_result"`
	WithFee           int `db:"with_fee" json:"with_fee"`       // received, with fees due (fees_due > 0)
	PaidOnline        int `db:"paid_online" json:"paid_online"` // of WithFee, paid online
	Reused            int `db:"reused" json:"reused"`           // received, with at least one re-used component

	// Timeliness of the handled dossiers with an appointment date; the
	// Unscheduled ones are left to the caller.
	Unscheduled    int `db:"unscheduled" json:"unscheduled"`
	FinishedEarly  int `db:"finished_early" json:"finished_early"`
	FinishedOnTime int `db:"finished_on_time" json:"finished_on_time"`
	FinishedLate   int `db:"finished_late" json:"finished_late"`
	OpenWithin     int `db:"open_within" json:"open_within"`
	OpenOverdue    int `db:"open_overdue" json:"open_overdue"`

	// Where the handled dossiers stand at the cut.
	Open           int `db:"open" json:"open"`
	EndedProcessed int `db:"ended_processed" json:"ended_processed"` // 9: result ready, not yet returned at the cut
	EndedReturned  int `db:"ended_returned" json:"ended_returned"`   // 10: result returned
	EndedRefused   int `db:"ended_refused" json:"ended_refused"`     // 3, or a refusal notice after review
	EndedWithdrawn int `db:"ended_withdrawn" json:"ended_withdrawn"` // 8 after the applicant's withdrawal request
	EndedStopped   int `db:"ended_stopped" json:"ended_stopped"`     // 8 otherwise (supplement or payment not made in time)

	// Processed dossiers, and their supplement pauses in working seconds.
	Processed              int   `db:"processed" json:"processed"`
	ProcessedPausedSeconds int64 `db:"processed_paused_seconds" json:"processed_paused_seconds"`
	// ProcessedWorkingDays sums, over the processed dossiers, the working
	// days after the date their handling started (accepted_at, else
	// received_at) up to and including the date they were processed, as the
	// Civil Code counts a time limit: Monday to Friday, corrected by
	// ReportParams.WorkingDayExceptions. ProcessedFirstDay and
	// ProcessedLastDay (YYYY-MM-DD) are the earliest start and the latest
	// end: the exceptions must cover the years between them.
	ProcessedWorkingDays int64  `db:"processed_working_days" json:"processed_working_days"`
	ProcessedFirstDay    string `db:"-" json:"processed_first_day,omitempty"`
	ProcessedLastDay     string `db:"-" json:"processed_last_day,omitempty"`
	Results              int    `db:"results" json:"results"`                   // processed, not a refusal
	DocumentResults      int    `db:"document_results" json:"document_results"` // of Results, the procedure's result is a document
	EResults             int    `db:"e_results" json:"e_results"`               // of DocumentResults, an electronic result
	DigitisedEResults    int    `db:"digitised_e_results" json:"digitised_e_results"`

	// Handled, rated dissatisfied before the cut.
	Dissatisfied int `db:"dissatisfied" json:"dissatisfied"`
}

// UnscheduledRow is a handled dossier without an appointment date, in one
// period: what judging it by its procedure's legal time limit needs.
type UnscheduledRow struct {
	Period     int       `json:"period"`
	Group      string    `json:"group"`
	Code       string    `json:"code"`
	Procedure  string    `json:"procedure"`
	Mode       string    `json:"mode"`
	ReceivedAt time.Time `json:"received_at"`
	// EndedAt is the end time when the dossier ended before the cut, else
	// zero (open at the cut).
	EndedAt time.Time `json:"ended_at,omitzero"`
	// PausedSince is set when the dossier was waiting on a supplement
	// during processing at the cut or when it ended.
	PausedSince      time.Time `json:"paused_since,omitzero"`
	PausedSeconds    int64     `json:"paused_seconds"`
	Extended         bool      `json:"extended"`
	OverSupplemented bool      `json:"over_supplemented"`
	// AskedAt is the last supplement request when no supplement answered
	// it before the end (or the cut): the dossier was still waiting on it.
	// Zero otherwise.
	AskedAt time.Time `json:"asked_at,omitzero"`
}

// StepRow counts the officers' actions with a due time in one period and
// group, by the timeliness the workflow judged.
type StepRow struct {
	Period int    `db:"-" json:"period"`
	Group  string `db:"grp" json:"group"`
	Early  int    `db:"early" json:"early"`
	OnTime int    `db:"on_time" json:"on_time"`
	Late   int    `db:"late" json:"late"`
}

// WorkingDayException is a Vietnamese date whose working status differs
// from Monday to Friday: a weekday off (a holiday, a swapped day off) or a
// weekend day worked (a make-up day).
type WorkingDayException struct {
	Day     time.Time // any instant of the date, in Vietnam
	Working bool
}

// ProcedureRow counts the dossiers of a procedure received from the start
// of the earliest period to the end of the latest.
type ProcedureRow struct {
	Procedure      string `db:"procedure_code" json:"procedure"`
	Received       int    `db:"received" json:"received"`
	ReceivedOnline int    `db:"received_online" json:"received_online"`
}

// ReportData is everything a report reads, from one consistent view of
// the read model.
type ReportData struct {
	Dossiers    []ReportRow
	Unscheduled []UnscheduledRow
	Steps       []StepRow
	Procedures  []ProcedureRow
}

// ReportAll runs every report query in one read-only transaction, so the
// parts agree with each other.
func (s *Store) ReportAll(ctx context.Context, p ReportParams) (ReportData, error) {
	if err := p.check(); err != nil {
		return ReportData{}, fmt.Errorf("reading the report: %w", err)
	}
	tx, err := s.reportTx(ctx)
	if err != nil {
		return ReportData{}, fmt.Errorf("reading the report: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var d ReportData
	if d.Dossiers, err = s.reportDossiers(ctx, tx, p); err != nil {
		return ReportData{}, fmt.Errorf("counting dossiers for the report: %w", err)
	}
	if d.Unscheduled, err = s.reportUnscheduled(ctx, tx, p); err != nil {
		return ReportData{}, fmt.Errorf("listing dossiers without appointment for the report: %w", err)
	}
	if d.Steps, err = s.reportSteps(ctx, tx, p); err != nil {
		return ReportData{}, fmt.Errorf("counting steps for the report: %w", err)
	}
	if d.Procedures, err = s.reportProcedures(ctx, tx, p); err != nil {
		return ReportData{}, fmt.Errorf("counting dossiers per procedure for the report: %w", err)
	}
	return d, nil
}

// ReportDossiers counts the dossiers of each period and group, ordered by
// period then group. A period or group without any handled dossier has no
// row.
func (s *Store) ReportDossiers(ctx context.Context, p ReportParams) ([]ReportRow, error) {
	rows, err := inReadTx(ctx, s, p, s.reportDossiers)
	if err != nil {
		return nil, fmt.Errorf("counting dossiers for the report: %w", err)
	}
	return rows, nil
}

// ReportUnscheduled lists the handled dossiers without an appointment date
// of each period, ordered by period, group, reception and code.
func (s *Store) ReportUnscheduled(ctx context.Context, p ReportParams) ([]UnscheduledRow, error) {
	rows, err := inReadTx(ctx, s, p, s.reportUnscheduled)
	if err != nil {
		return nil, fmt.Errorf("listing dossiers without appointment for the report: %w", err)
	}
	return rows, nil
}

// ReportSteps counts the officers' actions with a due time of each period
// and group, ordered by period then group. A period or group without any
// has no row.
func (s *Store) ReportSteps(ctx context.Context, p ReportParams) ([]StepRow, error) {
	rows, err := inReadTx(ctx, s, p, s.reportSteps)
	if err != nil {
		return nil, fmt.Errorf("counting steps for the report: %w", err)
	}
	return rows, nil
}

// ReportProcedures counts, per procedure, the dossiers received from the
// start of the earliest period to the end of the latest (filters applied,
// grouping ignored), ordered by procedure code.
func (s *Store) ReportProcedures(ctx context.Context, p ReportParams) ([]ProcedureRow, error) {
	rows, err := inReadTx(ctx, s, p, s.reportProcedures)
	if err != nil {
		return nil, fmt.Errorf("counting dossiers per procedure for the report: %w", err)
	}
	return rows, nil
}

func inReadTx[T any](ctx context.Context, s *Store, p ReportParams,
	f func(context.Context, *sqlx.Tx, ReportParams) ([]T, error)) ([]T, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	tx, err := s.reportTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return f(ctx, tx, p)
}

// reportTx begins the read-only transaction of a report. On PostgreSQL it
// gives the aggregations memory to hash and sort in (work_mem, 64 MB for
// this transaction only) and turns JIT compilation off: the expressions are
// simple, and each parallel worker would compile them again, which costs
// more than it saves.
func (s *Store) reportTx(ctx context.Context) (*sqlx.Tx, error) {
	tx, err := s.readTx(ctx)
	if err != nil {
		return nil, err
	}
	if s.pg {
		if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '64MB'; SET LOCAL jit = off"); err != nil {
			tx.Rollback() //nolint:errcheck // already failing
			return nil, err
		}
	}
	return tx, nil
}

// check validates the parameters; its errors wrap ErrInvalid.
func (p ReportParams) check() error {
	if len(p.Periods) == 0 {
		return fmt.Errorf("%w: a report needs at least one period", ErrInvalid)
	}
	for i, per := range p.Periods {
		if per.From.IsZero() || per.To.IsZero() || !per.From.Before(per.To) {
			return fmt.Errorf("%w: period %d: from %s must be before to %s", ErrInvalid, i,
				per.From.Format(time.RFC3339), per.To.Format(time.RFC3339))
		}
	}
	switch p.Group {
	case ReportGroupNone, ReportGroupAgency, ReportGroupProcedure, ReportGroupVersion:
	default:
		return fmt.Errorf("%w: unknown report group %q (use agency, procedure or version)", ErrInvalid, p.Group)
	}
	for _, l := range p.SupplementLimits {
		if l.Procedure == "" || l.Max < 0 {
			return fmt.Errorf("%w: supplement limit %d for procedure %q", ErrInvalid, l.Max, l.Procedure)
		}
	}
	return nil
}

// reportQuery assembles a report query and its arguments in the order of
// their placeholders.
type reportQuery struct {
	s    *Store
	p    ReportParams
	sql  strings.Builder
	args []any
}

func (s *Store) newReportQuery(p ReportParams) *reportQuery {
	return &reportQuery{s: s, p: p}
}

// add writes SQL and the arguments of its placeholders.
func (q *reportQuery) add(sql string, args ...any) {
	q.sql.WriteString(sql)
	q.args = append(q.args, args...)
}

// at writes a time argument: a placeholder typed for PostgreSQL, where a
// parameter in a CASE result or a select list has no type of its own.
func (q *reportQuery) at(t time.Time) {
	if q.s.pg {
		q.add("CAST(? AS timestamptz)", q.s.at(t))
		return
	}
	q.add("?", q.s.at(t))
}

// group returns the expression of the group key over dossiers d.
func (q *reportQuery) group() string {
	switch q.p.Group {
	case ReportGroupAgency:
		return "d.agency"
	case ReportGroupProcedure:
		return "d.procedure_code"
	case ReportGroupVersion:
		return "d.procedure_code || '@' || d.procedure_version"
	}
	return "''"
}

// filters writes the filter conditions over dossiers d, each preceded by
// AND.
func (q *reportQuery) filters() {
	if q.p.Agency != "" {
		q.add(" AND d.agency = ?", q.p.Agency)
	}
	if len(q.p.Procedures) > 0 {
		q.add(" AND d.procedure_code IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(q.p.Procedures)), ", ") + ")")
		for _, c := range q.p.Procedures {
			q.args = append(q.args, c)
		}
	}
}

// grouped reports whether rows are grouped, and filtered whether dossiers
// are filtered.
func (q *reportQuery) grouped() bool  { return q.p.Group != ReportGroupNone }
func (q *reportQuery) filtered() bool { return q.p.Agency != "" || len(q.p.Procedures) > 0 }

// overSupplemented writes the condition that a dossier d had more
// supplement requests than its procedure allows.
func (q *reportQuery) overSupplemented() {
	if len(q.p.SupplementLimits) == 0 {
		q.add("d.supplements > " + strconv.Itoa(DefaultSupplementLimit))
		return
	}
	q.add("d.supplements > CASE d.procedure_code")
	for _, l := range q.p.SupplementLimits {
		q.add(" WHEN ? THEN "+strconv.Itoa(l.Max), l.Procedure)
	}
	q.add(" ELSE " + strconv.Itoa(DefaultSupplementLimit) + " END")
}

// firstFrom is the start of the earliest period, lastTo the end of the
// latest.
func (p ReportParams) firstFrom() time.Time {
	t := p.Periods[0].From
	for _, per := range p.Periods[1:] {
		if per.From.Before(t) {
			t = per.From
		}
	}
	return t
}

func (p ReportParams) lastTo() time.Time {
	t := p.Periods[0].To
	for _, per := range p.Periods[1:] {
		if per.To.After(t) {
			t = per.To
		}
	}
	return t
}

// Expressions over dossiers d.
const (
	// endAt is the end time of a dossier that is not refused at reception.
	endAt = "COALESCE(d.finished_at, d.returned_at)"
	// refusedAt is the end time of a dossier refused at reception, joined
	// with refusals r.
	refusedAt = "COALESCE(d.finished_at, d.returned_at, r.at, d.received_at)"
	// refusals are the first "refused" event of each dossier, to join as r;
	// withdrawals the dossiers whose applicant asked to withdraw, to join as
	// w. Joins rather than correlated subqueries, which would keep
	// PostgreSQL from scanning the dossiers in parallel.
	refusals    = "(SELECT e.dossier_code, MIN(e.at) AS at FROM events e WHERE e.kind = 'refused' GROUP BY e.dossier_code)"
	withdrawals = "(SELECT DISTINCT e.dossier_code FROM events e WHERE e.kind = 'withdraw_requested')"
)

// dayStart returns an expression of the start of the Vietnamese day of a
// time expression, as a time: the first instant judged on that day.
// Vietnam has kept UTC+7 without daylight saving since 1975.
func (s *Store) dayStart(expr string) string {
	if s.pg {
		return "(date_trunc('day', (" + expr + ") AT TIME ZONE 'Asia/Ho_Chi_Minh') AT TIME ZONE 'Asia/Ho_Chi_Minh')"
	}
	return "strftime('%Y-%m-%dT%H:%M:%S.000000Z', " + expr + ", '+7 hours', 'start of day', '-7 hours')"
}

// dossierCodes writes the inner query of the dossier counts of one period:
// a row per handled dossier with small integer codes, so that each count of
// the outer query compares one code:
//
//	rc   received in the period: 0 no; by channel 1 online with an
//	     e-result where the result is a document, 2 online otherwise,
//	     3 in person, 4 by post, 5 another channel
//	rf   received with fees due: 0 no, 1 not paid online, 2 paid online
//	ru   received with a re-used component: 0 no, 1 yes
//	cls  timeliness: 0 unscheduled, 1 early, 2 on time, 3 late (ended),
//	     4 within time, 5 overdue (open)
//	st   state at the cut: 0 open, 1 processed (9), 2 returned (10),
//	     3 refused, 4 withdrawn, 5 stopped
//	pr   processed in the period: 0 no, 1 a refusal notice, else a result:
//	     2 + 1 when the result is a document + 2 when electronic + 4 when
//	     the components were digitised
//	ps   the working seconds paused, when processed in the period
//	sj   when processed in the period, the day number (days since
//	     1970-01-01, in Vietnam) of the start of its handling; ej of its end
//	dis  rated dissatisfied before the cut: 0 no, 1 yes
//
// The dossiers come in three branches: those refused at reception (3),
// whose end time is an event's, those stopped (8), which look up whether
// they were withdrawn, and the others, which need no lookup.
func (q *reportQuery) dossierCodes(per ReportPeriod) {
	branches := []struct {
		status, end, join string
		cls, state        func()
	}{
		{status: "d.status NOT IN (3, 8)", end: endAt, cls: func() { q.timeliness(per, endAt) }, state: func() {
			q.add("CASE WHEN " + endAt + " < ")
			q.at(per.To)
			q.add(" THEN CASE WHEN d.result_refusal THEN 3 WHEN d.returned_at < ")
			q.at(per.To)
			q.add(" THEN 2 ELSE 1 END ELSE 0 END")
		}},
		{status: "d.status = 8", end: endAt, join: " LEFT JOIN " + withdrawals + " w ON w.dossier_code = d.code",
			cls: func() { q.timeliness(per, endAt) }, state: func() {
				q.add("CASE WHEN " + endAt + " < ")
				q.at(per.To)
				q.add(" THEN CASE WHEN w.dossier_code IS NOT NULL THEN 4 ELSE 5 END ELSE 0 END")
			}},
		{status: "d.status = 3", end: refusedAt, join: " LEFT JOIN " + refusals + " r ON r.dossier_code = d.code",
			cls: func() { q.timeliness(per, refusedAt) }, state: func() {
				q.add("CASE WHEN " + refusedAt + " < ")
				q.at(per.To)
				q.add(" THEN 3 ELSE 0 END")
			}},
	}
	for i, b := range branches {
		if i > 0 {
			q.add("\n\tUNION ALL\n\t")
		}
		q.add("SELECT " + q.group() + " AS grp,\n\t\tCASE WHEN d.received_at < ")
		q.at(per.From)
		q.add(` THEN 0 WHEN d.channel = 'online' AND (NOT d.result_is_document OR d.e_result) THEN 1
			WHEN d.channel = 'online' THEN 2 WHEN d.channel = 'in_person' THEN 3 WHEN d.channel = 'postal' THEN 4 ELSE 5 END AS rc,
		CASE WHEN d.received_at < `)
		q.at(per.From)
		q.add(` OR d.fees_due <= 0 THEN 0 WHEN d.paid_online THEN 2 ELSE 1 END AS rf,
		CASE WHEN d.received_at >= `)
		q.at(per.From)
		q.add(" AND d.reused_components > 0 THEN 1 ELSE 0 END AS ru,\n\t\t")
		b.cls()
		q.add(" AS cls,\n\t\t")
		b.state()
		q.add(" AS st,\n\t\tCASE WHEN d.status IN (9, 10) AND d.finished_at >= ")
		q.at(per.From)
		q.add(" AND d.finished_at < ")
		q.at(per.To)
		q.add(` THEN CASE WHEN d.result_refusal THEN 1 ELSE 2 + CASE WHEN d.result_is_document THEN 1 ELSE 0 END
			+ CASE WHEN d.e_result THEN 2 ELSE 0 END + CASE WHEN d.digitised THEN 4 ELSE 0 END END ELSE 0 END AS pr,
		CASE WHEN d.status IN (9, 10) AND d.finished_at >= `)
		q.at(per.From)
		q.add(" AND d.finished_at < ")
		q.at(per.To)
		q.add(" THEN d.paused_seconds ELSE 0 END AS ps,\n\t\t")
		for _, day := range []struct{ at, name string }{{"COALESCE(d.accepted_at, d.received_at)", "sj"}, {"d.finished_at", "ej"}} {
			q.add("CASE WHEN d.status IN (9, 10) AND d.finished_at >= ")
			q.at(per.From)
			q.add(" AND d.finished_at < ")
			q.at(per.To)
			q.add(" THEN " + q.s.dayNumber(day.at) + " END AS " + day.name + ",\n\t\t")
		}
		q.add(`CASE WHEN d.rating_satisfied IS NOT NULL AND NOT d.rating_satisfied AND d.rated_at < `)
		q.at(per.To)
		q.add(" THEN 1 ELSE 0 END AS dis\n\tFROM dossiers d" + b.join + " WHERE " + b.status + " AND d.received_at < ")
		q.at(per.To)
		q.add(" AND (d.received_at >= ")
		q.at(per.From)
		q.add(" OR " + b.end + " IS NULL OR " + b.end + " >= ")
		q.at(per.From)
		q.add(")")
		q.filters()
	}
}

// timeliness writes the timeliness code (cls) of a dossier whose end time
// is the expression end. (A dossier refused at reception has no
// appointment date: it is unscheduled, unless an imported row says
// otherwise.)
func (q *reportQuery) timeliness(per ReportPeriod, end string) {
	judged := "CASE WHEN d.paused AND d.paused_since < " + end + " THEN d.paused_since ELSE " + end + " END"
	q.add("CASE WHEN d.appointment_at IS NULL THEN 0 WHEN " + end + " < ")
	q.at(per.To)
	q.add(" THEN CASE WHEN d.extended OR ")
	q.overSupplemented()
	q.add(" THEN 3 WHEN " + judged + " > d.appointment_at THEN 3 WHEN " + judged + " < " +
		q.s.dayStart("d.appointment_at") + " THEN 1 ELSE 2 END\n\t\tWHEN d.extended OR ")
	q.overSupplemented()
	q.add(" THEN 5 WHEN (CASE WHEN d.paused AND d.paused_since < ")
	q.at(per.To)
	q.add(" THEN d.paused_since ELSE ")
	q.at(per.To)
	q.add(" END) > d.appointment_at THEN 5 ELSE 4 END")
}

// dossierCounts is the select list of the dossier counts over the codes.
const dossierCounts = `COUNT(*) AS handled,
	COUNT(CASE WHEN x.rc > 0 THEN 1 END) AS received,
	COUNT(CASE WHEN x.rc IN (1, 2) THEN 1 END) AS received_online,
	COUNT(CASE WHEN x.rc = 3 THEN 1 END) AS received_in_person,
	COUNT(CASE WHEN x.rc = 4 THEN 1 END) AS received_postal,
	COUNT(CASE WHEN x.rc = 1 THEN 1 END) AS online_with_e_result,
	COUNT(CASE WHEN x.rf > 0 THEN 1 END) AS with_fee,
	COUNT(CASE WHEN x.rf = 2 THEN 1 END) AS paid_online,
	COUNT(CASE WHEN x.ru = 1 THEN 1 END) AS reused,
	COUNT(CASE WHEN x.cls = 0 THEN 1 END) AS unscheduled,
	COUNT(CASE WHEN x.cls = 1 THEN 1 END) AS finished_early,
	COUNT(CASE WHEN x.cls = 2 THEN 1 END) AS finished_on_time,
	COUNT(CASE WHEN x.cls = 3 THEN 1 END) AS finished_late,
	COUNT(CASE WHEN x.cls = 4 THEN 1 END) AS open_within,
	COUNT(CASE WHEN x.cls = 5 THEN 1 END) AS open_overdue,
	COUNT(CASE WHEN x.st = 0 THEN 1 END) AS open,
	COUNT(CASE WHEN x.st = 1 THEN 1 END) AS ended_processed,
	COUNT(CASE WHEN x.st = 2 THEN 1 END) AS ended_returned,
	COUNT(CASE WHEN x.st = 3 THEN 1 END) AS ended_refused,
	COUNT(CASE WHEN x.st = 4 THEN 1 END) AS ended_withdrawn,
	COUNT(CASE WHEN x.st = 5 THEN 1 END) AS ended_stopped,
	COUNT(CASE WHEN x.pr > 0 THEN 1 END) AS processed,
	CAST(COALESCE(SUM(x.ps), 0) AS bigint) AS processed_paused_seconds,
	CAST(COALESCE(SUM({WORKING_DAYS}), 0) AS bigint) AS processed_working_days,
	COALESCE(MIN(x.sj), 0) AS processed_first_day,
	COALESCE(MAX(x.ej), 0) AS processed_last_day,
	COUNT(CASE WHEN x.pr >= 2 THEN 1 END) AS results,
	COUNT(CASE WHEN x.pr IN (3, 5, 7, 9) THEN 1 END) AS document_results,
	COUNT(CASE WHEN x.pr IN (5, 9) THEN 1 END) AS e_results,
	COUNT(CASE WHEN x.pr IN (8, 9) THEN 1 END) AS digitised_e_results,
	COUNT(CASE WHEN x.dis = 1 THEN 1 END) AS dissatisfied`

func (s *Store) reportDossiersQuery(p ReportParams, per ReportPeriod) *reportQuery {
	q := s.newReportQuery(p)
	counts := strings.Replace(dossierCounts, "{WORKING_DAYS}", workingDays(p.WorkingDayExceptions, "x.ej")+" - ("+
		workingDays(p.WorkingDayExceptions, "x.sj")+")", 1)
	if q.grouped() {
		q.add("SELECT x.grp AS grp, " + counts + "\nFROM (\n\t")
	} else {
		q.add("SELECT '' AS grp, " + counts + "\nFROM (\n\t")
	}
	q.dossierCodes(per)
	q.add("\n) x")
	if q.grouped() {
		q.add("\nGROUP BY x.grp ORDER BY x.grp")
	}
	return q
}

func (s *Store) reportDossiers(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]ReportRow, error) {
	var out []ReportRow
	for i, per := range p.Periods {
		q := s.reportDossiersQuery(p, per)
		var rows []struct {
			ReportRow
			FirstDay int64 `db:"processed_first_day"`
			LastDay  int64 `db:"processed_last_day"`
		}
		if err := tx.SelectContext(ctx, &rows, s.rebind(q.sql.String()), q.args...); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Handled == 0 {
				continue // the one row of an ungrouped count over nothing
			}
			r.Period = i
			if r.Processed > 0 {
				r.ProcessedFirstDay, r.ProcessedLastDay = dayString(r.FirstDay), dayString(r.LastDay)
			}
			out = append(out, r.ReportRow)
		}
	}
	return out, nil
}

// dayNumber returns an expression of the day number of a time expression:
// the days from 1970-01-01 to its Vietnamese date.
func (s *Store) dayNumber(expr string) string {
	if s.pg {
		return "(CAST((" + expr + ") AT TIME ZONE 'Asia/Ho_Chi_Minh' AS date) - DATE '1970-01-01')"
	}
	return "(CAST(julianday(" + expr + ", '+7 hours') + 0.5 AS INTEGER) - 2440588)"
}

// dayNumberOf returns the day number of a time's Vietnamese date, and
// dayString the date of a day number.
func dayNumberOf(t time.Time) int64 {
	y, m, d := t.In(dossier.Vietnam).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func dayString(n int64) string {
	return time.Unix(n*86400, 0).UTC().Format(time.DateOnly)
}

// workingDays returns an expression of the working days from an epoch up
// to and including day number j (an expression): the Mondays to Fridays
// since Monday 1970-01-05 (day 4), corrected by the exceptions, whose
// cumulative correction is read from a balanced CASE over their days, in
// a few comparisons however many there are.
func workingDays(exceptions []WorkingDayException, j string) string {
	k := "(" + j + " - 4)"
	weekdays := "5 * (" + k + " / 7) + CASE WHEN " + k + " % 7 < 5 THEN " + k + " % 7 + 1 ELSE 5 END"
	if len(exceptions) == 0 {
		return weekdays
	}
	type step struct{ day, corr int64 }
	days := make(map[int64]bool, len(exceptions))
	var steps []step
	for _, e := range exceptions {
		n := dayNumberOf(e.Day)
		if days[n] {
			continue
		}
		days[n] = true
		delta := int64(-1)
		if e.Working {
			delta = 1
		}
		steps = append(steps, step{day: n, corr: delta})
	}
	slices.SortFunc(steps, func(a, b step) int { return cmp.Compare(a.day, b.day) })
	for i := 1; i < len(steps); i++ {
		steps[i].corr += steps[i-1].corr
	}
	// ladder returns the correction of a day at or after steps[lo-1].day
	// and before steps[hi+1].day.
	var ladder func(lo, hi int) string
	ladder = func(lo, hi int) string {
		if lo > hi {
			if lo == 0 {
				return "0"
			}
			return strconv.FormatInt(steps[lo-1].corr, 10)
		}
		mid := (lo + hi) / 2
		return "CASE WHEN " + j + " < " + strconv.FormatInt(steps[mid].day, 10) + " THEN " + ladder(lo, mid-1) +
			" ELSE " + ladder(mid+1, hi) + " END"
	}
	return weekdays + " + " + ladder(0, len(steps)-1)
}

// unscheduledRow is how an UnscheduledRow is scanned.
type unscheduledRow struct {
	Group            string `db:"grp"`
	Code             string `db:"code"`
	Procedure        string `db:"procedure_code"`
	Mode             string `db:"mode"`
	ReceivedAt       dbTime `db:"received_at"`
	EndAt            dbTime `db:"end_at"`
	Paused           bool   `db:"paused"`
	PausedSince      dbTime `db:"paused_since"`
	PausedSeconds    int64  `db:"paused_seconds"`
	Extended         bool   `db:"extended"`
	OverSupplemented bool   `db:"over_supplemented"`
	AskedAt          dbTime `db:"asked_at"`
	SuppliedAt       dbTime `db:"supplied_at"`
}

func (s *Store) reportUnscheduledQuery(p ReportParams, per ReportPeriod) *reportQuery {
	q := s.newReportQuery(p)
	end := "CASE WHEN d.status = 3 THEN " + refusedAt + " ELSE " + endAt + " END"
	q.add("SELECT " + q.group() + " AS grp, d.code, d.procedure_code, d.mode, d.received_at, " + end + ` AS end_at,
	d.paused, d.paused_since, d.paused_seconds, d.extended, `)
	q.overSupplemented()
	q.add(` AS over_supplemented,
	(SELECT MAX(e.at) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplement_requested') AS asked_at,
	(SELECT MAX(e.at) FROM events e WHERE e.dossier_code = d.code AND e.kind = 'supplemented') AS supplied_at
FROM dossiers d LEFT JOIN ` + refusals + ` r ON r.dossier_code = d.code
WHERE d.appointment_at IS NULL AND d.received_at < `)
	q.at(per.To)
	q.add(" AND (d.received_at >= ")
	q.at(per.From)
	q.add(" OR " + end + " IS NULL OR " + end + " >= ")
	q.at(per.From)
	q.add(")")
	q.filters()
	// No ORDER BY: sorting by group would lead SQLite to read the dossiers
	// by an index on the group's column instead of dossiers_unscheduled.
	return q
}

func (s *Store) reportUnscheduled(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]UnscheduledRow, error) {
	var out []UnscheduledRow
	for i, per := range p.Periods {
		q := s.reportUnscheduledQuery(p, per)
		var rows []unscheduledRow
		if err := tx.SelectContext(ctx, &rows, s.rebind(q.sql.String()), q.args...); err != nil {
			return nil, err
		}
		for _, r := range rows {
			// As of the cut: the end, the pause and the unanswered
			// request are those that had happened by then.
			stop := per.To
			u := UnscheduledRow{Period: i, Group: r.Group, Code: r.Code, Procedure: r.Procedure, Mode: r.Mode,
				ReceivedAt: r.ReceivedAt.t, PausedSeconds: r.PausedSeconds, Extended: r.Extended, OverSupplemented: r.OverSupplemented}
			if !r.EndAt.t.IsZero() && r.EndAt.t.Before(per.To) {
				u.EndedAt, stop = r.EndAt.t, r.EndAt.t
			}
			if r.Paused && r.PausedSince.t.Before(stop) {
				u.PausedSince = r.PausedSince.t
			}
			asked, supplied := r.AskedAt.t, r.SuppliedAt.t
			if !asked.IsZero() && asked.Before(stop) && (supplied.Before(asked) || !supplied.Before(stop)) {
				u.AskedAt = asked
			}
			out = append(out, u)
		}
	}
	slices.SortStableFunc(out, func(a, b UnscheduledRow) int {
		return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Group, b.Group),
			a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.Code, b.Code))
	})
	return out, nil
}

func (s *Store) reportStepsQuery(p ReportParams, per ReportPeriod) *reportQuery {
	q := s.newReportQuery(p)
	if !q.grouped() && !q.filtered() {
		// Three counts over ranges of events_acted, which is ordered by
		// timeliness then time.
		q.add("SELECT '' AS grp")
		for _, t := range []string{"early", "on_time", "late"} {
			q.add(",\n\t(SELECT COUNT(*) FROM events e WHERE e.kind = 'acted' AND e.timeliness = '" + t +
				"' AND e.due_at IS NOT NULL AND e.at >= ")
			q.at(per.From)
			q.add(" AND e.at < ")
			q.at(per.To)
			q.add(") AS " + t)
		}
		return q
	}
	q.add("SELECT " + q.group() + ` AS grp,
	COUNT(CASE WHEN e.timeliness = 'early' THEN 1 END) AS early,
	COUNT(CASE WHEN e.timeliness = 'on_time' THEN 1 END) AS on_time,
	COUNT(CASE WHEN e.timeliness = 'late' THEN 1 END) AS late
FROM events e JOIN dossiers d ON d.code = e.dossier_code
WHERE e.kind = 'acted' AND e.timeliness IN ('early', 'on_time', 'late') AND e.due_at IS NOT NULL AND e.at >= `)
	q.at(per.From)
	q.add(" AND e.at < ")
	q.at(per.To)
	q.filters()
	q.add("\nGROUP BY 1 ORDER BY 1")
	return q
}

func (s *Store) reportSteps(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]StepRow, error) {
	var out []StepRow
	for i, per := range p.Periods {
		q := s.reportStepsQuery(p, per)
		var rows []StepRow
		if err := tx.SelectContext(ctx, &rows, s.rebind(q.sql.String()), q.args...); err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r.Early+r.OnTime+r.Late == 0 {
				continue
			}
			r.Period = i
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *Store) reportProceduresQuery(p ReportParams) *reportQuery {
	q := s.newReportQuery(p)
	q.add(`SELECT d.procedure_code, COUNT(*) AS received,
	COUNT(CASE WHEN d.channel = 'online' THEN 1 END) AS received_online
FROM dossiers d WHERE d.received_at >= `)
	q.at(p.firstFrom())
	q.add(" AND d.received_at < ")
	q.at(p.lastTo())
	q.filters()
	q.add("\nGROUP BY d.procedure_code ORDER BY d.procedure_code")
	return q
}

func (s *Store) reportProcedures(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]ProcedureRow, error) {
	q := s.reportProceduresQuery(p)
	var rows []ProcedureRow
	if err := tx.SelectContext(ctx, &rows, s.rebind(q.sql.String()), q.args...); err != nil {
		return nil, err
	}
	return rows, nil
}
