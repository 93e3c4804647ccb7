package definitions

import (
	"fmt"
	"sort"
	"strings"
)

// Severity tells whether a diagnostic makes a definition invalid.
type Severity string

// Severities of diagnostics.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Pos is a position in a YAML file, both counted from 1.
type Pos struct {
	Line int `json:"line"`
	Col  int `json:"col"`
}

// Diagnostic is one problem found in a file, with its position.
type Diagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// String formats the diagnostic as file:line:col: message (hint).
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", d.File, d.Line, d.Col)
	if d.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		fmt.Fprintf(&b, " (%s)", d.Hint)
	}
	return b.String()
}

// Diagnostics is a list of problems, usually of several files.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Error joins all diagnostics, one per line, so a Diagnostics can be returned
// as an error.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sort orders diagnostics by file, line and column, keeping the order of
// diagnostics at the same place.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// reporter collects the diagnostics of one file.
type reporter struct {
	file  string
	diags Diagnostics
	seen  map[string]bool
}

func (r *reporter) errorf(p Pos, hint string, format string, args ...any) {
	r.add(SeverityError, p, hint, fmt.Sprintf(format, args...))
}

func (r *reporter) warnf(p Pos, hint string, format string, args ...any) {
	r.add(SeverityWarning, p, hint, fmt.Sprintf(format, args...))
}

func (r *reporter) add(sev Severity, p Pos, hint, msg string) {
	if p.Line == 0 {
		p = Pos{Line: 1, Col: 1}
	}
	d := Diagnostic{File: r.file, Line: p.Line, Col: p.Col, Severity: sev, Message: msg, Hint: hint}
	key := d.String()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen[key] {
		return
	}
	r.seen[key] = true
	r.diags = append(r.diags, d)
}
