// Package reportquery reads the parameters of an indicators report — its
// period as two Vietnamese dates, both included, its filters and its
// grouping — from the strings a command line, a query string or a form
// gives, the same way for `motcua report`, GET /v1/reports and the
// console's indicators page.
//
// The period runs from From to To, both included (YYYY-MM-DD, Vietnamese
// dates); without From it starts on 1 January of the current year, without
// To it ends today. It becomes the half-open period [From, To + 1 day) of
// indicators.Params.
package reportquery

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
)

// The names of the parameters, as query parameters and form fields (the
// command line's flags put "--" before them).
const (
	ParamFrom      = "from"
	ParamTo        = "to"
	ParamAgency    = "agency"
	ParamProcedure = "procedure"
	ParamSector    = "sector"
	ParamBy        = "by"
)

// Query is a report's parameters as given, before they are read.
type Query struct {
	// From and To are the first and last day of the period, YYYY-MM-DD;
	// empty: 1 January of the current year, and today.
	From, To string
	// Agency, Procedure and Sector filter the report; empty ones do not.
	Agency, Procedure, Sector string
	// By is the grouping: month, agency, procedure, version or empty.
	By string
}

// FromValues reads a query from a query string or a form; parameters
// other than the report's are ignored.
func FromValues(v url.Values) Query {
	return Query{From: v.Get(ParamFrom), To: v.Get(ParamTo), Agency: v.Get(ParamAgency), Procedure: v.Get(ParamProcedure),
		Sector: v.Get(ParamSector), By: v.Get(ParamBy)}
}

// Values writes the query as a query string's values, leaving out the
// empty ones: FromValues(q.Values()) is q.
func (q Query) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{ParamFrom, q.From}, {ParamTo, q.To}, {ParamAgency, q.Agency},
		{ParamProcedure, q.Procedure}, {ParamSector, q.Sector}, {ParamBy, q.By}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// Params reads the query into the parameters of indicators.Compute, made
// at now (Params.Now): the grouping, then the period. An error is an
// *Error naming the parameter at fault. The filters are taken as given,
// without surrounding spaces; indicators.Compute checks the sector and the
// procedure against the catalog.
func (q Query) Params(now time.Time) (indicators.Params, error) {
	p := indicators.Params{Now: now, Agency: strings.TrimSpace(q.Agency), Procedure: strings.TrimSpace(q.Procedure),
		Sector: strings.TrimSpace(q.Sector)}
	by, err := Grouping(q.By)
	if err != nil {
		return indicators.Params{}, err
	}
	p.By = by
	if p.From, p.To, err = Period(q.From, q.To, now); err != nil {
		return indicators.Params{}, err
	}
	return p, nil
}

// Grouping reads a grouping: empty (none) or one of indicators.Groupings.
func Grouping(by string) (indicators.Grouping, error) {
	if by == "" || slices.Contains(indicators.Groupings, indicators.Grouping(by)) {
		return indicators.Grouping(by), nil
	}
	choices := make([]string, len(indicators.Groupings))
	for i, g := range indicators.Groupings {
		choices[i] = string(g)
	}
	return "", &Error{Param: ParamBy, text: func(pre string) string {
		return fmt.Sprintf("unknown %sby %q (use one of %s)", pre, by, strings.Join(choices, ", "))
	}}
}

// Period reads the first and last day of a period (YYYY-MM-DD, Vietnamese
// dates, both included) into the half-open period [from, to + 1 day).
// Without from, the period starts on 1 January of now's year; without to,
// it ends on now's day.
func Period(from, to string, now time.Time) (time.Time, time.Time, error) {
	first, end, err := Days(from, to)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	today := now.In(dossier.Vietnam)
	if first.IsZero() {
		first = time.Date(today.Year(), 1, 1, 0, 0, 0, 0, dossier.Vietnam)
	}
	if end.IsZero() {
		end = time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, dossier.Vietnam)
	}
	if err := order(first, end); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return first, end, nil
}

// Days reads the first and last day of a period as Period does, without
// defaults: a day not given is the zero time. It returns the start of
// from's day and the start of the day after to's; when both are given, to
// may not be before from. The analysis of a procedure (GET
// /v1/procedures/{code}/analysis, the console's analysis page) reads its
// period so, its defaults being its own.
func Days(from, to string) (time.Time, time.Time, error) {
	var first, end time.Time
	if from != "" {
		var err error
		if first, err = time.ParseInLocation(time.DateOnly, from, dossier.Vietnam); err != nil {
			return time.Time{}, time.Time{}, &Error{Param: ParamFrom, text: func(pre string) string {
				return fmt.Sprintf("%sfrom %q: write YYYY-MM-DD, e.g. 2025-01-01", pre, from)
			}}
		}
	}
	if to != "" {
		last, err := time.ParseInLocation(time.DateOnly, to, dossier.Vietnam)
		if err != nil {
			return time.Time{}, time.Time{}, &Error{Param: ParamTo, text: func(pre string) string {
				return fmt.Sprintf("%sto %q: write YYYY-MM-DD, e.g. 2025-12-31", pre, to)
			}}
		}
		end = last.AddDate(0, 0, 1)
	}
	if !first.IsZero() && !end.IsZero() {
		if err := order(first, end); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	return first, end, nil
}

// order refuses a period [first, end) whose last day is before its first.
func order(first, end time.Time) error {
	if end.After(first) {
		return nil
	}
	last := end.AddDate(0, 0, -1)
	return &Error{Param: ParamTo, text: func(pre string) string {
		return fmt.Sprintf("%sto %s is before %sfrom %s", pre, last.Format(time.DateOnly), pre, first.Format(time.DateOnly))
	}}
}

// Error is a parameter of a report out of its domain. It wraps
// indicators.ErrInvalid, as the errors of indicators.Compute on its
// parameters do.
type Error struct {
	// Param names the parameter at fault: from, to or by.
	Param string
	text  func(prefix string) string
}

// Error says what is wrong, naming parameters as a query string does:
// `from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`.
func (e *Error) Error() string { return e.text("") }

// Flag says what is wrong, naming parameters as the command line's flags:
// `--from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`.
func (e *Error) Flag() string { return e.text("--") }

// Unwrap returns indicators.ErrInvalid.
func (e *Error) Unwrap() error { return indicators.ErrInvalid }
