package indicators

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// Grouping says how the dossier figures of a report are grouped.
type Grouping string

// Groupings.
const (
	ByNone      Grouping = ""          // one group: the whole period
	ByMonth     Grouping = "month"     // a group per Vietnamese calendar month of the period
	ByAgency    Grouping = "agency"    // a group per competent agency
	ByProcedure Grouping = "procedure" // a group per procedure code
	ByVersion   Grouping = "version"   // a group per procedure code and version
)

// Groupings lists the groupings other than ByNone, in the order help texts
// show them.
var Groupings = []Grouping{ByMonth, ByAgency, ByProcedure, ByVersion}

// calendarYearsBack is how many years before the period's the working
// days of its processed dossiers may start in; a dossier that took longer
// leaves the average handling time without a value.
const calendarYearsBack = 1

// ErrInvalid is wrapped by the errors of parameters out of their domain:
// the caller's mistake, not the read model's.
var ErrInvalid = errors.New("invalid report parameters")

// Params says what a report covers.
type Params struct {
	// From and To bound the period [From, To); both are required.
	From, To time.Time
	// Now is when the report is made; the period is judged at the earlier
	// of To and Now. Zero: time.Now().
	Now time.Time
	// Agency, Procedure and Sector filter the dossiers and the catalog
	// figures; empty ones do not filter. Sector is a sector of the catalog
	// (definitions.Plan.Sector).
	Agency, Procedure, Sector string
	By                        Grouping
	// Calendar judges the dossiers without an appointment date and counts
	// working days. Default: the catalog's calendars, as the worker builds
	// them.
	Calendar *workcal.Calendar
}

// Filters are the filters a report applied.
type Filters struct {
	Agency    string `json:"agency,omitempty"`
	Procedure string `json:"procedure,omitempty"`
	Sector    string `json:"sector,omitempty"`
}

// Report is the indicators of a period.
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// AsOf is the cut: the earlier of To and the time of the report.
	AsOf    time.Time `json:"as_of"`
	Filters Filters   `json:"filters"`
	By      Grouping  `json:"by,omitempty"`
	// Groups hold the dossier figures, by period then group key. A group
	// without any dossier handled in the period is absent.
	Groups []Group `json:"groups"`
	// Catalog holds the catalog figures, for the whole period.
	Catalog []Figure `json:"catalog"`
	// Notes say what could not be computed, and why.
	Notes []string `json:"notes,omitempty"`
}

// Group is the dossier figures of one group.
type Group struct {
	// Key is the month (2025-03), agency id, procedure code or
	// CODE@VERSION; empty without grouping.
	Key string `json:"key"`
	// Name is the key in words, in Vietnamese.
	Name string `json:"name"`
	// From and To bound the group's period: the report's, or the month's
	// clipped to it and to the cut.
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Figures []Figure  `json:"figures"`
}

// Figure returns the figure with the given ID, or nil.
func (g *Group) Figure(id string) *Figure {
	return findFigure(g.Figures, id)
}

// CatalogFigure returns the catalog figure with the given ID, or nil.
func (r *Report) CatalogFigure(id string) *Figure {
	return findFigure(r.Catalog, id)
}

func findFigure(figs []Figure, id string) *Figure {
	for i := range figs {
		if figs[i].ID == id {
			return &figs[i]
		}
	}
	return nil
}

// Unit says what a figure's value is.
type Unit string

// Units.
const (
	UnitCount       Unit = "count"        // a number of dossiers; no denominator
	UnitRatio       Unit = "ratio"        // numerator / denominator, between 0 and 1
	UnitWorkingDays Unit = "working_days" // an average: numerator (total) / denominator (count)
)

// Figure is one indicator.
type Figure struct {
	// ID names the figure in the JSON and CSV output, e.g. on_time_rate.
	ID string `json:"id"`
	// Name is the figure's name in Vietnamese.
	Name        string  `json:"name"`
	Numerator   float64 `json:"numerator"`
	Denominator *int    `json:"denominator,omitempty"` // nil for a count
	// Value is the ratio, average or count; nil when the denominator is
	// zero or the figure cannot be computed (see Missing).
	Value *float64 `json:"value"`
	Unit  Unit     `json:"unit"`
	// Formula says how the value is computed, in one line.
	Formula string `json:"formula"`
	// Missing says why the figure has no value when the read model lacks
	// what it needs.
	Missing string `json:"missing,omitempty"`
	// Note qualifies a value computed from part of what the formula asks.
	Note string `json:"note,omitempty"`
}

// Compute computes the report: it reads the read model in one consistent
// view, judges the dossiers without an appointment date over the working
// calendar and assembles the figures. A nil catalog is an empty one: the
// catalog figures are then over no procedure and no dossier without
// appointment can be judged.
func Compute(ctx context.Context, st *store.Store, cat *definitions.Catalog, p Params) (*Report, error) {
	if cat == nil {
		cat = &definitions.Catalog{}
	}
	now := p.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	asOf := p.To
	if now.Before(asOf) {
		asOf = now
	}
	if !p.From.Before(asOf) {
		return nil, fmt.Errorf("%w: the period starts at %s, after the time of the report %s", ErrInvalid,
			p.From.In(dossier.Vietnam).Format("2006-01-02 15:04"), now.In(dossier.Vietnam).Format("2006-01-02 15:04"))
	}
	procedures, err := p.procedures(cat)
	if err != nil {
		return nil, err
	}
	periods, keys := p.periods(asOf)
	cal, calErr := p.Calendar, error(nil)
	if cal == nil {
		cal, calErr = workcal.FromCatalog(cat)
	}
	// Processed dossiers of the period may have been accepted years
	// before: the calendars of a few years back count their working days.
	exceptions, calYears := workingDayExceptions(cal, p.From.In(dossier.Vietnam).Year()-calendarYearsBack, asOf.In(dossier.Vietnam).Year())
	sp := store.ReportParams{
		Periods: periods, Group: storeGroup(p.By), Agency: p.Agency,
		Procedures: procedures, SupplementLimits: supplementLimits(cat), WorkingDayExceptions: exceptions,
	}
	data, err := st.ReportAll(ctx, sp)
	if err != nil {
		return nil, fmt.Errorf("computing the indicators: %w", err)
	}

	r := &Report{
		From: p.From.In(dossier.Vietnam), To: p.To.In(dossier.Vietnam), AsOf: asOf.In(dossier.Vietnam),
		Filters: Filters{Agency: p.Agency, Procedure: p.Procedure, Sector: p.Sector}, By: p.By,
		Groups: []Group{}, Catalog: []Figure{},
	}
	b := &builder{cat: cat, cal: cal, calErr: calErr, calYears: calYears, periods: periods, keys: keys, by: p.By,
		groups: map[groupKey]*tally{}}
	b.add(data)
	r.Groups = b.figures()
	r.Catalog = CatalogFigures(filterPlans(cat, p, procedures), usedOnline(data.Procedures))
	r.Notes = b.notes()
	return r, nil
}

// check validates the parameters that need no catalog.
func (p Params) check() error {
	if p.From.IsZero() || p.To.IsZero() {
		return fmt.Errorf("%w: a report needs the start and the end of its period", ErrInvalid)
	}
	if !p.From.Before(p.To) {
		return fmt.Errorf("%w: the period is empty: it starts at %s and ends at %s", ErrInvalid,
			p.From.In(dossier.Vietnam).Format("2006-01-02 15:04"), p.To.In(dossier.Vietnam).Format("2006-01-02 15:04"))
	}
	if p.By != ByNone && !slices.Contains(Groupings, p.By) {
		return fmt.Errorf("%w: unknown grouping %q (use month, agency, procedure or version)", ErrInvalid, p.By)
	}
	return nil
}

// procedures returns the procedure codes the dossiers are filtered by: the
// one asked for, those of the sector asked for, or none (no filter).
func (p Params) procedures(cat *definitions.Catalog) ([]string, error) {
	if p.Sector == "" {
		if p.Procedure == "" {
			return nil, nil
		}
		return []string{p.Procedure}, nil
	}
	var codes, sectors []string
	for _, pl := range cat.Plans() {
		if !slices.Contains(sectors, pl.Sector) {
			sectors = append(sectors, pl.Sector)
		}
		if pl.Sector == p.Sector {
			codes = append(codes, pl.Code)
		}
	}
	if len(codes) == 0 {
		sort.Strings(sectors)
		return nil, fmt.Errorf("%w: no procedure of the catalog is in sector %q (its sectors: %s)", ErrInvalid,
			p.Sector, strings.Join(sectors, ", "))
	}
	if p.Procedure != "" {
		if !slices.Contains(codes, p.Procedure) {
			return nil, fmt.Errorf("%w: procedure %s is not in sector %q", ErrInvalid, p.Procedure, p.Sector)
		}
		return []string{p.Procedure}, nil
	}
	return codes, nil
}

// periods returns the periods the store counts: the whole period up to
// the cut, or each month of it; and their group keys.
func (p Params) periods(asOf time.Time) ([]store.ReportPeriod, []string) {
	if p.By != ByMonth {
		return []store.ReportPeriod{{From: p.From, To: asOf}}, []string{""}
	}
	var (
		periods []store.ReportPeriod
		keys    []string
	)
	from := p.From.In(dossier.Vietnam)
	for from.Before(asOf) {
		next := time.Date(from.Year(), from.Month()+1, 1, 0, 0, 0, 0, dossier.Vietnam)
		to := next
		if asOf.Before(to) {
			to = asOf
		}
		periods = append(periods, store.ReportPeriod{From: from, To: to})
		keys = append(keys, from.Format("2006-01"))
		from = next
	}
	return periods, keys
}

func storeGroup(by Grouping) store.ReportGroup {
	switch by {
	case ByAgency:
		return store.ReportGroupAgency
	case ByProcedure:
		return store.ReportGroupProcedure
	case ByVersion:
		return store.ReportGroupVersion
	}
	return store.ReportGroupNone
}

// supplementLimits lists the catalog's procedures that allow another
// number of supplement requests than the default.
func supplementLimits(cat *definitions.Catalog) []store.SupplementLimit {
	var out []store.SupplementLimit
	for _, pl := range cat.Plans() {
		if pl.Supplements.Max != store.DefaultSupplementLimit {
			out = append(out, store.SupplementLimit{Procedure: pl.Code, Max: pl.Supplements.Max})
		}
	}
	return out
}

// filterPlans returns the catalog's procedures the report's filters keep.
func filterPlans(cat *definitions.Catalog, p Params, procedures []string) []*definitions.Plan {
	var out []*definitions.Plan
	for _, pl := range cat.Plans() {
		if p.Agency != "" && pl.Agency != p.Agency {
			continue
		}
		if len(procedures) > 0 && !slices.Contains(procedures, pl.Code) {
			continue
		}
		out = append(out, pl)
	}
	return out
}

// usedOnline returns the procedures that received a dossier online.
func usedOnline(rows []store.ProcedureRow) map[string]bool {
	used := map[string]bool{}
	for _, r := range rows {
		if r.ReceivedOnline > 0 {
			used[r.Procedure] = true
		}
	}
	return used
}
