package store

import (
	"cmp"
	"context"
	"database/sql"
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
// # Portal sync and complaints
//
// A received dossier is synced when the national portal accepted one of
// its status pushes before the cut; a handled dossier counts as
// complained about when a complaint dated before the cut came from the
// citizen feedback system. Both come from outside the workflows
// (outside.go: PortalSynced, ComplaintAdd), each as the earliest time in
// report_facts, so a push accepted or a complaint made after the cut
// does not count yet. A dossier both rated dissatisfied and complained
// about counts once in DissatisfiedOrComplained.
//
// # Cost
//
// The report reads its own tables (migration 00004, kept by the writes in
// facts.go), not the dossiers and events:
//
//   - The dossier pass reads report_facts, a narrow row of integers per
//     dossier (times in microseconds, days as numbers, the end time and
//     the withdrawal already resolved from the events), once per period:
//     each dossier becomes one code k, the mixed-radix sum of its small
//     codes (dossierCodes), and the rows are counted by group and k, so
//     every code is computed once per dossier and the counts are added up
//     in Go from a few hundred rows. PostgreSQL scans it in parallel.
//   - The per-step counts read report_step_days, a row per day, agency,
//     procedure, version and timeliness, for the whole days of the
//     period, and the events only for the part of a day at its edges (a
//     period cut now).
//   - The dossiers without an appointment date are read from report_facts
//     through its partial index; the counts per procedure from its
//     (procedure_code, received, channel) index.
//
// A year of a province (1.7 million dossiers, 29 million events) then
// takes under 2 s on PostgreSQL on two cores (BenchmarkReportYear in
// internal/indicators). SQLite evaluates the codes row by row on one core
// and takes several times longer: PostgreSQL is the database for that
// scale.

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
	// Synced: received, and a status push of it accepted by the national
	// portal before the cut (report_facts.portal_synced_at, which the
	// SyncPortal activity records through PortalSynced).
	Synced int `db:"synced" json:"synced"`

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
	// Handled, with a complaint from the citizen feedback system dated
	// before the cut (report_facts.complained_at, through ComplaintAdd).
	Complained int `db:"complained" json:"complained"`
	// Handled, rated dissatisfied or with a complaint before the cut: the
	// dossiers of Dissatisfied and Complained, each counted once.
	DissatisfiedOrComplained int `db:"dissatisfied_or_complained" json:"dissatisfied_or_complained"`
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

// micro writes a time argument compared with report_facts' times: its
// microseconds since 1970 (typed for PostgreSQL, where a parameter in a
// CASE result has no type of its own).
func (q *reportQuery) micro(t time.Time) {
	if q.s.pg {
		q.add("CAST(? AS bigint)", t.UnixMicro())
		return
	}
	q.add("?", t.UnixMicro())
}

// The codes the dossier pass groups the dossiers of a period by (see
// dossierCode): each is a small number, and the row's code k is their
// mixed-radix sum, so one GROUP BY over k (and the report's group) sums
// them all in one pass:
//
//	rc   received in the period: 0 no; by channel 1 online with an
//	     e-result where the result is a document, 2 online otherwise,
//	     3 in person, 4 by post, 5 another channel
//	rf   received with fees due: 0 no, 1 not paid online, 2 paid online
//	ru   received with a re-used component: 0 no, 1 yes
//	sy   received and synced to the national portal before the cut: 0 no,
//	     1 yes
//	cls  timeliness: 0 unscheduled, 1 early, 2 on time, 3 late (ended),
//	     4 within time, 5 overdue (open)
//	st   state at the cut: 0 open, 1 processed (9), 2 returned (10),
//	     3 refused, 4 withdrawn, 5 stopped
//	pr   processed in the period: 0 no, 1 a refusal notice, else a result:
//	     2 + 1 when the result is a document + 2 when electronic + 4 when
//	     the components were digitised
//	dis  handled, dissatisfied or complained about before the cut: + 1
//	     when rated dissatisfied, + 2 when a complaint came (0 to 3)
var dossierCodes = []struct {
	name  string
	radix int
}{{"rc", 6}, {"rf", 3}, {"ru", 2}, {"sy", 2}, {"cls", 6}, {"st", 6}, {"pr", 10}, {"dis", 4}}

// codes are a dossier's codes, decoded from k.
type codes struct{ rc, rf, ru, sy, cls, st, pr, dis int }

func decodeCodes(k int64) codes {
	var v [8]int
	for i, c := range dossierCodes {
		v[i] = int(k % int64(c.radix))
		k /= int64(c.radix)
	}
	return codes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}
}

// dossierCode writes the expression of a dossier's code k over
// report_facts d for a period.
func (q *reportQuery) dossierCode(per ReportPeriod) {
	weight := 1
	for i, c := range dossierCodes {
		if i > 0 {
			q.add("\n\t+ ")
		}
		q.add(strconv.Itoa(weight) + " * (")
		switch c.name {
		case "rc":
			q.add("CASE WHEN d.received < ")
			q.micro(per.From)
			q.add(` THEN 0 WHEN d.channel = 1 AND (NOT d.result_document OR d.e_result) THEN 1
		WHEN d.channel = 1 THEN 2 WHEN d.channel = 2 THEN 3 WHEN d.channel = 3 THEN 4 ELSE 5 END`)
		case "rf":
			q.add("CASE WHEN d.received < ")
			q.micro(per.From)
			q.add(" THEN 0 ELSE d.fee END")
		case "ru":
			q.add("CASE WHEN d.received >= ")
			q.micro(per.From)
			q.add(" AND d.reused THEN 1 ELSE 0 END")
		case "sy":
			q.add("CASE WHEN d.received >= ")
			q.micro(per.From)
			q.add(" AND d.portal_synced_at < ")
			q.micro(per.To)
			q.add(" THEN 1 ELSE 0 END")
		case "cls":
			q.timeliness(per)
		case "st":
			q.add("CASE WHEN d.end_at < ")
			q.micro(per.To)
			q.add(" THEN CASE WHEN d.status = 3 THEN 3 WHEN d.status = 8 THEN CASE WHEN d.withdrawn THEN 4 ELSE 5 END WHEN d.refusal THEN 3 WHEN d.returned < ")
			q.micro(per.To)
			q.add(" THEN 2 ELSE 1 END ELSE 0 END")
		case "pr":
			q.add("CASE WHEN ")
			q.processedIn(per)
			q.add(` THEN CASE WHEN d.refusal THEN 1 ELSE 2 + CASE WHEN d.result_document THEN 1 ELSE 0 END
		+ CASE WHEN d.e_result THEN 2 ELSE 0 END + CASE WHEN d.digitised THEN 4 ELSE 0 END END ELSE 0 END`)
		case "dis":
			q.add("CASE WHEN d.dissatisfied_at < ")
			q.micro(per.To)
			q.add(" THEN 1 ELSE 0 END + CASE WHEN d.complained_at < ")
			q.micro(per.To)
			q.add(" THEN 2 ELSE 0 END")
		}
		q.add(")")
		weight *= c.radix
	}
}

// processedIn writes the condition that a dossier d was processed (9 or
// 10) in the period.
func (q *reportQuery) processedIn(per ReportPeriod) {
	q.add("d.status IN (9, 10) AND d.finished >= ")
	q.micro(per.From)
	q.add(" AND d.finished < ")
	q.micro(per.To)
}

// timeliness writes the timeliness code (cls) of a dossier d. (A dossier
// refused at reception has no appointment date: it is unscheduled, unless
// an imported row says otherwise.)
func (q *reportQuery) timeliness(per ReportPeriod) {
	judged := "CASE WHEN d.paused_since < d.end_at THEN d.paused_since ELSE d.end_at END"
	q.add("CASE WHEN d.appointment IS NULL THEN 0 WHEN d.end_at < ")
	q.micro(per.To)
	q.add(" THEN CASE WHEN d.extended OR ")
	q.overSupplemented()
	q.add(" THEN 3 WHEN " + judged + " > d.appointment THEN 3 WHEN " + judged + " < d.appointment_day THEN 1 ELSE 2 END\n\t\tWHEN d.extended OR ")
	q.overSupplemented()
	q.add(" THEN 5 WHEN (CASE WHEN d.paused_since < ")
	q.micro(per.To)
	q.add(" THEN d.paused_since ELSE ")
	q.micro(per.To)
	q.add(" END) > d.appointment THEN 5 ELSE 4 END")
}

// reportDossiersQuery is the dossier pass of one period: the handled
// dossiers of report_facts counted by group and code, with the sums of
// the processed ones.
func (s *Store) reportDossiersQuery(p ReportParams, per ReportPeriod) *reportQuery {
	q := s.newReportQuery(p)
	q.add("SELECT " + q.group() + " AS grp,\n\t")
	q.dossierCode(per)
	q.add(" AS k,\n\tCOUNT(*) AS n,\n\tCAST(COALESCE(SUM(CASE WHEN ")
	q.processedIn(per)
	q.add(" THEN d.paused_seconds END), 0) AS bigint) AS ps,\n\tCAST(COALESCE(SUM(CASE WHEN ")
	q.processedIn(per)
	q.add(" THEN " + workingDays(p.WorkingDayExceptions, "d.end_day") + " - (" + workingDays(p.WorkingDayExceptions, "d.start_day") +
		") END), 0) AS bigint) AS wd,\n\tCOALESCE(MIN(CASE WHEN ")
	q.processedIn(per)
	q.add(" THEN d.start_day END), 0) AS sj,\n\tCOALESCE(MAX(CASE WHEN ")
	q.processedIn(per)
	q.add(" THEN d.end_day END), 0) AS ej\nFROM report_facts d WHERE d.received < ")
	q.micro(per.To)
	q.add(" AND (d.received >= ")
	q.micro(per.From)
	q.add(" OR d.end_at IS NULL OR d.end_at >= ")
	q.micro(per.From)
	q.add(")")
	q.filters()
	q.add("\nGROUP BY 1, 2")
	return q
}

// reportDossiers runs the dossier pass of each period and adds up its
// codes into the rows.
func (s *Store) reportDossiers(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]ReportRow, error) {
	var out []ReportRow
	for i, per := range p.Periods {
		q := s.reportDossiersQuery(p, per)
		var parts []struct {
			Group  string `db:"grp"`
			K      int64  `db:"k"`
			N      int    `db:"n"`
			Paused int64  `db:"ps"`
			Days   int64  `db:"wd"`
			First  int64  `db:"sj"`
			Last   int64  `db:"ej"`
		}
		if err := tx.SelectContext(ctx, &parts, s.rebind(q.sql.String()), q.args...); err != nil {
			return nil, err
		}
		rows := map[string]*ReportRow{}
		first, last := map[string]int64{}, map[string]int64{}
		for _, x := range parts {
			r := rows[x.Group]
			if r == nil {
				r = &ReportRow{Period: i, Group: x.Group}
				rows[x.Group] = r
			}
			c := decodeCodes(x.K)
			r.add(c, x.N)
			if c.pr > 0 {
				r.ProcessedPausedSeconds += x.Paused
				r.ProcessedWorkingDays += x.Days
				if f, ok := first[x.Group]; !ok || x.First < f {
					first[x.Group] = x.First
				}
				last[x.Group] = max(last[x.Group], x.Last)
			}
		}
		groups := make([]string, 0, len(rows))
		for g := range rows {
			groups = append(groups, g)
		}
		slices.Sort(groups)
		for _, g := range groups {
			r := rows[g]
			if r.Processed > 0 {
				r.ProcessedFirstDay, r.ProcessedLastDay = dayString(first[g]), dayString(last[g])
			}
			out = append(out, *r)
		}
	}
	return out, nil
}

// add counts n dossiers of the given codes.
func (r *ReportRow) add(c codes, n int) {
	r.Handled += n
	if c.rc > 0 {
		r.Received += n
	}
	switch c.rc {
	case 1:
		r.ReceivedOnline += n
		r.OnlineWithEResult += n
	case 2:
		r.ReceivedOnline += n
	case 3:
		r.ReceivedInPerson += n
	case 4:
		r.ReceivedPostal += n
	}
	if c.rf > 0 {
		r.WithFee += n
	}
	if c.rf == 2 {
		r.PaidOnline += n
	}
	if c.ru == 1 {
		r.Reused += n
	}
	if c.sy == 1 {
		r.Synced += n
	}
	for code, count := range []*int{&r.Unscheduled, &r.FinishedEarly, &r.FinishedOnTime, &r.FinishedLate, &r.OpenWithin, &r.OpenOverdue} {
		if c.cls == code {
			*count += n
		}
	}
	for code, count := range []*int{&r.Open, &r.EndedProcessed, &r.EndedReturned, &r.EndedRefused, &r.EndedWithdrawn, &r.EndedStopped} {
		if c.st == code {
			*count += n
		}
	}
	if c.pr > 0 {
		r.Processed += n
	}
	if c.pr >= 2 {
		r.Results += n
	}
	switch c.pr {
	case 3, 5, 7, 9:
		r.DocumentResults += n
	}
	switch c.pr {
	case 5, 9:
		r.EResults += n
	}
	switch c.pr {
	case 8, 9:
		r.DigitisedEResults += n
	}
	if c.dis&1 != 0 {
		r.Dissatisfied += n
	}
	if c.dis&2 != 0 {
		r.Complained += n
	}
	if c.dis != 0 {
		r.DissatisfiedOrComplained += n
	}
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

// unscheduledRow is how an UnscheduledRow is scanned from report_facts.
type unscheduledRow struct {
	Group            string        `db:"grp"`
	Code             string        `db:"code"`
	Procedure        string        `db:"procedure_code"`
	Mode             string        `db:"mode"`
	Received         sql.NullInt64 `db:"received"`
	End              sql.NullInt64 `db:"end_at"`
	PausedSince      sql.NullInt64 `db:"paused_since"`
	PausedSeconds    int64         `db:"paused_seconds"`
	Extended         bool          `db:"extended"`
	OverSupplemented bool          `db:"over_supplemented"`
	Asked            sql.NullInt64 `db:"last_asked"`
	Supplied         sql.NullInt64 `db:"last_supplied"`
}

// fromMicro returns a time of report_facts in Vietnam, zero for NULL.
func fromMicro(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).In(dossier.Vietnam)
}

func (s *Store) reportUnscheduledQuery(p ReportParams, per ReportPeriod) *reportQuery {
	q := s.newReportQuery(p)
	q.add("SELECT " + q.group() + ` AS grp, d.code, d.procedure_code, COALESCE(d.mode, '') AS mode, d.received, d.end_at,
	d.paused_since, d.paused_seconds, d.extended, CASE WHEN `)
	q.overSupplemented()
	q.add(` THEN 1 ELSE 0 END AS over_supplemented, d.last_asked, d.last_supplied
FROM report_facts d
WHERE d.appointment IS NULL AND d.received < `)
	q.micro(per.To)
	q.add(" AND (d.received >= ")
	q.micro(per.From)
	q.add(" OR d.end_at IS NULL OR d.end_at >= ")
	q.micro(per.From)
	q.add(")")
	q.filters()
	// No ORDER BY: sorting by group would lead SQLite to read the dossiers
	// by an index on the group's column instead of report_facts_unscheduled.
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
				ReceivedAt: fromMicro(r.Received), PausedSeconds: r.PausedSeconds, Extended: r.Extended, OverSupplemented: r.OverSupplemented}
			if end := fromMicro(r.End); !end.IsZero() && end.Before(per.To) {
				u.EndedAt, stop = end, end
			}
			if since := fromMicro(r.PausedSince); !since.IsZero() && since.Before(stop) {
				u.PausedSince = since
			}
			asked, supplied := fromMicro(r.Asked), fromMicro(r.Supplied)
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

// stepSpans splits a period into the whole Vietnamese days it covers,
// [firstDay, lastDay) as day numbers, counted from report_step_days, and
// the parts of days at its edges, counted from the events.
func stepSpans(per ReportPeriod) (firstDay, lastDay int64, edges []ReportPeriod) {
	midnight := func(day int64) time.Time { return time.Unix(day*86400-7*3600, 0).In(dossier.Vietnam) }
	firstDay, lastDay = dayNumberOf(per.From), dayNumberOf(per.To)
	if !midnight(firstDay).Equal(per.From) {
		firstDay++
	}
	if firstDay >= lastDay {
		return 0, 0, []ReportPeriod{per}
	}
	if head := midnight(firstDay); per.From.Before(head) {
		edges = append(edges, ReportPeriod{From: per.From, To: head})
	}
	if tail := midnight(lastDay); tail.Before(per.To) {
		edges = append(edges, ReportPeriod{From: tail, To: per.To})
	}
	return firstDay, lastDay, edges
}

// reportStepDaysQuery counts the actions of whole days from
// report_step_days, by group.
func (s *Store) reportStepDaysQuery(p ReportParams, firstDay, lastDay int64) *reportQuery {
	q := s.newReportQuery(p)
	q.add("SELECT "+q.group()+` AS grp,
	CAST(COALESCE(SUM(CASE WHEN d.timeliness = 'early' THEN d.n END), 0) AS bigint) AS early,
	CAST(COALESCE(SUM(CASE WHEN d.timeliness = 'on_time' THEN d.n END), 0) AS bigint) AS on_time,
	CAST(COALESCE(SUM(CASE WHEN d.timeliness = 'late' THEN d.n END), 0) AS bigint) AS late
FROM report_step_days d WHERE d.day >= ? AND d.day < ?`, firstDay, lastDay)
	if q.grouped() {
		// Actions of a dossier the read model has no row of have no
		// group; they count only in a report without grouping.
		q.add(" AND d.procedure_code <> ''")
	}
	q.filters()
	q.add("\nGROUP BY 1")
	return q
}

// reportStepEventsQuery counts the actions of part of a day from the
// events.
func (s *Store) reportStepEventsQuery(p ReportParams, per ReportPeriod) *reportQuery {
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
	q.add("\nGROUP BY 1")
	return q
}

// reportSteps counts each period's actions: its whole days from
// report_step_days, the parts of days at its edges (a cut during a day)
// from the events.
func (s *Store) reportSteps(ctx context.Context, tx *sqlx.Tx, p ReportParams) ([]StepRow, error) {
	var out []StepRow
	for i, per := range p.Periods {
		firstDay, lastDay, edges := stepSpans(per)
		var queries []*reportQuery
		if firstDay < lastDay {
			queries = append(queries, s.reportStepDaysQuery(p, firstDay, lastDay))
		}
		for _, e := range edges {
			queries = append(queries, s.reportStepEventsQuery(p, e))
		}
		sums := map[string]*StepRow{}
		for _, q := range queries {
			var rows []StepRow
			if err := tx.SelectContext(ctx, &rows, s.rebind(q.sql.String()), q.args...); err != nil {
				return nil, err
			}
			for _, r := range rows {
				sum := sums[r.Group]
				if sum == nil {
					sum = &StepRow{Period: i, Group: r.Group}
					sums[r.Group] = sum
				}
				sum.Early += r.Early
				sum.OnTime += r.OnTime
				sum.Late += r.Late
			}
		}
		groups := make([]string, 0, len(sums))
		for g, r := range sums {
			if r.Early+r.OnTime+r.Late > 0 {
				groups = append(groups, g)
			}
		}
		slices.Sort(groups)
		for _, g := range groups {
			out = append(out, *sums[g])
		}
	}
	return out, nil
}

func (s *Store) reportProceduresQuery(p ReportParams) *reportQuery {
	q := s.newReportQuery(p)
	q.add(`SELECT d.procedure_code, COUNT(*) AS received,
	COUNT(CASE WHEN d.channel = 1 THEN 1 END) AS received_online
FROM report_facts d WHERE d.received >= `)
	q.micro(p.firstFrom())
	q.add(" AND d.received < ")
	q.micro(p.lastTo())
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
