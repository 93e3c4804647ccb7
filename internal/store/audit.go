package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Decisions an audit entry records.
const (
	AuditAccepted = "accepted" // the request was allowed and done
	AuditDenied   = "denied"   // the request was refused: not authenticated or not authorised
	AuditFailed   = "failed"   // the request was allowed but did not succeed
)

// AuditEntry is one line of the audit log: who asked for what, and what
// became of it. Texts are stored verbatim (see AuditAppend for the one
// exception).
type AuditEntry struct {
	ID         int64     `db:"id" json:"id"` // assigned by AuditAppend, increasing
	At         time.Time `db:"at" json:"at"` // returned in Vietnam's zone, as every time of the store
	RequestID  string    `db:"request_id" json:"request_id"`
	Subject    string    `db:"subject" json:"subject"` // who: an officer's or applicant's id
	Kind       string    `db:"kind" json:"kind"`       // the kind of subject, e.g. officer or citizen
	Roles      []string  `db:"roles" json:"roles"`
	Agency     string    `db:"agency" json:"agency"`
	RemoteAddr string    `db:"remote_addr" json:"remote_addr"`
	Method     string    `db:"method" json:"method"`     // the HTTP method
	Action     string    `db:"action" json:"action"`     // e.g. "dossier.act"
	Target     string    `db:"target" json:"target"`     // a dossier code or another object; may be empty
	Decision   string    `db:"decision" json:"decision"` // AuditAccepted, AuditDenied or AuditFailed
	Status     int       `db:"status" json:"status"`     // the HTTP status answered
	Reason     string    `db:"reason" json:"reason"`     // why it was denied or failed; may be empty
}

// auditRow is a row of the audit_log table.
type auditRow struct {
	ID         int64  `db:"id"`
	At         dbTime `db:"at"`
	RequestID  string `db:"request_id"`
	Subject    string `db:"subject"`
	Kind       string `db:"kind"`
	Roles      string `db:"roles"`
	Agency     string `db:"agency"`
	RemoteAddr string `db:"remote_addr"`
	Method     string `db:"method"`
	Action     string `db:"action"`
	Target     string `db:"target"`
	Decision   string `db:"decision"`
	Status     int    `db:"status"`
	Reason     string `db:"reason"`
}

// AuditAppend adds an entry to the audit log. A zero At is the current
// time; e.ID is ignored (the database numbers entries). The decision must
// be AuditAccepted, AuditDenied or AuditFailed, else the error wraps
// ErrInvalid. Unlike the rest of the read model, the audit log is not
// rebuilt from projections: it is the only copy.
//
// Texts are bound as parameters and stored verbatim, with one exception:
// NUL bytes and invalid UTF-8, which PostgreSQL's text refuses, become
// U+FFFD on both databases, so that a request carrying them (a %00 in a
// path, say) is still recorded rather than failing to be.
func (s *Store) AuditAppend(ctx context.Context, e AuditEntry) error {
	switch e.Decision {
	case AuditAccepted, AuditDenied, AuditFailed:
	default:
		return fmt.Errorf("appending to the audit log: %w: decision %q (want %q, %q or %q)",
			ErrInvalid, e.Decision, AuditAccepted, AuditDenied, AuditFailed)
	}
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	roles := make([]string, len(e.Roles))
	for i, r := range e.Roles {
		roles[i] = auditText(r)
	}
	rolesJSON, err := json.Marshal(roles)
	if err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	_, err = s.write.ExecContext(ctx, s.rebind(`
		INSERT INTO audit_log (at, request_id, subject, kind, roles, agency, remote_addr,
			method, action, target, decision, status, reason)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		s.at(e.At), auditText(e.RequestID), auditText(e.Subject), auditText(e.Kind), string(rolesJSON),
		auditText(e.Agency), auditText(e.RemoteAddr), auditText(e.Method), auditText(e.Action),
		auditText(e.Target), e.Decision, e.Status, auditText(e.Reason))
	if err != nil {
		return fmt.Errorf("appending to the audit log: %w", err)
	}
	return nil
}

// AuditListParams filters and pages AuditList. Empty fields do not filter;
// the filters that are set must all hold. Texts compare exactly.
type AuditListParams struct {
	Subject  string
	Target   string
	Decision string
	Action   string
	From     time.Time // entries at or after From
	To       time.Time // entries before To
	Limit    int       // default DefaultLimit, at most MaxLimit
	Offset   int
}

// AuditList returns audit entries, newest first (then by id, descending,
// so entries of one instant come in reverse order of appending).
func (s *Store) AuditList(ctx context.Context, p AuditListParams) ([]AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	// The texts are made storable as AuditAppend makes them, so that they
	// find what it stored.
	if p.Subject != "" {
		add("subject = ?", auditText(p.Subject))
	}
	if p.Target != "" {
		add("target = ?", auditText(p.Target))
	}
	if p.Decision != "" {
		add("decision = ?", auditText(p.Decision))
	}
	if p.Action != "" {
		add("action = ?", auditText(p.Action))
	}
	if !p.From.IsZero() {
		add("at >= ?", s.at(p.From))
	}
	if !p.To.IsZero() {
		add("at < ?", s.at(p.To))
	}
	q := `SELECT id, at, request_id, subject, kind, roles, agency, remote_addr, method,
		action, target, decision, status, reason FROM audit_log`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
	args = append(args, limit(p.Limit), max(p.Offset, 0))

	var rows []auditRow
	if err := s.read.SelectContext(ctx, &rows, s.rebind(q), args...); err != nil {
		return nil, fmt.Errorf("listing the audit log: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		e := AuditEntry{
			ID:         r.ID,
			At:         r.At.t,
			RequestID:  r.RequestID,
			Subject:    r.Subject,
			Kind:       r.Kind,
			Agency:     r.Agency,
			RemoteAddr: r.RemoteAddr,
			Method:     r.Method,
			Action:     r.Action,
			Target:     r.Target,
			Decision:   r.Decision,
			Status:     r.Status,
			Reason:     r.Reason,
		}
		if err := json.Unmarshal([]byte(r.Roles), &e.Roles); err != nil {
			return nil, fmt.Errorf("listing the audit log: reading the roles of entry %d: %w", r.ID, err)
		}
		out[i] = e
	}
	return out, nil
}

// auditText makes a text storable on both databases: NUL bytes and invalid
// UTF-8 become U+FFFD, anything else is kept.
func auditText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
