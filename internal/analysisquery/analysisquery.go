// Package analysisquery reads the parameters of the analysis of a
// procedure (internal/analysis) — its period as two Vietnamese dates, both
// included, and the two versions compared — from a query string or a
// form, the same way for GET /v1/procedures/{code}/analysis and the
// console's analysis page, and names the parameter an error of
// analysis.Analyze is about.
//
// The period runs from From to To, both included (YYYY-MM-DD, Vietnamese
// dates, read by reportquery.Days). Unlike a report's, its defaults are
// the analysis's own (analysis.Params): without From it starts with the
// procedure's first dossier, without To it runs up to the time of the
// analysis. Before and After are given together or not at all (then the
// last two versions that received dossiers are compared).
package analysisquery

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/reportquery"
)

// The names of the parameters, as query parameters and form fields.
const (
	ParamFrom   = reportquery.ParamFrom
	ParamTo     = reportquery.ParamTo
	ParamBefore = "before"
	ParamAfter  = "after"
)

// Query is an analysis's parameters as given, before they are read.
type Query struct {
	// From and To are the first and last day of reception, YYYY-MM-DD;
	// empty: from the first dossier, up to now.
	From, To string
	// Before and After are the versions compared; both empty: the last
	// two with dossiers.
	Before, After string
}

// FromValues reads a query from a query string or a form, without
// surrounding spaces; other parameters are ignored.
func FromValues(v url.Values) Query {
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	return Query{From: get(ParamFrom), To: get(ParamTo), Before: get(ParamBefore), After: get(ParamAfter)}
}

// Values writes the query as a query string's values, leaving out the
// empty ones: FromValues(q.Values()) is q.
func (q Query) Values() url.Values {
	v := url.Values{}
	for _, kv := range [][2]string{{ParamFrom, q.From}, {ParamTo, q.To}, {ParamBefore, q.Before}, {ParamAfter, q.After}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	return v
}

// Params reads the query into the parameters of analysis.Analyze for
// procedure, made at now. An error is an *Error naming the parameter at
// fault.
func (q Query) Params(procedure string, now time.Time) (analysis.Params, error) {
	p := analysis.Params{Procedure: procedure, Now: now, Before: q.Before, After: q.After}
	var err error
	if p.From, p.To, err = reportquery.Days(q.From, q.To); err != nil {
		var qe *reportquery.Error
		if errors.As(err, &qe) {
			return analysis.Params{}, &Error{Param: qe.Param, msg: qe.Error(), err: analysis.ErrInvalid}
		}
		return analysis.Params{}, err
	}
	switch {
	case q.Before != "" && q.After == "":
		return analysis.Params{}, invalid(ParamAfter, "give the version after too, or neither (before %q)", q.Before)
	case q.Before == "" && q.After != "":
		return analysis.Params{}, invalid(ParamBefore, "give the version before too, or neither (after %q)", q.After)
	case q.Before != "" && q.Before == q.After:
		return analysis.Params{}, invalid(ParamAfter, "compare two different versions (before and after are both %q)", q.Before)
	}
	return p, nil
}

// Blame names the parameter an error of analysis.Analyze is about: a
// version asked for that has no dossier in the period becomes an *Error
// of before or after. Other errors are returned as they are.
func Blame(err error) error {
	var ve *analysis.VersionError
	if !errors.As(err, &ve) {
		return err
	}
	param := ParamBefore
	if ve.Side == "after" {
		param = ParamAfter
	}
	return &Error{Param: param, msg: err.Error(), err: err}
}

// Error is a parameter of an analysis out of its domain. It wraps
// analysis.ErrInvalid.
type Error struct {
	// Param names the parameter at fault: from, to, before or after.
	Param string
	msg   string
	err   error
}

func invalid(param, format string, args ...any) *Error {
	return &Error{Param: param, msg: fmt.Sprintf(format, args...), err: analysis.ErrInvalid}
}

// Error says what is wrong, naming parameters as a query string does.
func (e *Error) Error() string { return e.msg }

// Unwrap returns the error of analysis.Analyze the parameter caused, or
// analysis.ErrInvalid.
func (e *Error) Unwrap() error { return e.err }
