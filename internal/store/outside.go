package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/motcua/motcua/internal/dossier"
)

// What the read model learns from outside the workflows (migration
// 00005), for the indicators:
//
//   - whether the national portal accepted a dossier's status pushes: the
//     SyncPortal activity calls PortalSynced after each accepted push, and
//     report_facts.portal_synced_at keeps the earliest;
//   - the citizens' complaints, which the citizen feedback system sends
//     (POST /v1/callbacks/feedback): ComplaintAdd keeps them in the
//     complaints table, one per reference, and report_facts.complained_at
//     the earliest of each dossier.
//
// Neither is in the projections, so, like the audit log, neither is
// rebuilt by replaying them. The snapshot upsert of ProjectionApply does
// not write the two columns (they are not in factsColumns), so a later
// projection keeps them; BulkLoad writes them with the dossier when
// BulkLoadParams.Outside gives them.

// Complaint is a citizen's complaint about a dossier (dossier.Complaint).
type Complaint = dossier.Complaint

// Outside is what the read model holds of one dossier from outside its
// workflows, as BulkLoad writes it (BulkLoadParams.Outside).
type Outside struct {
	// PortalSyncedAt is when the national portal first accepted a status
	// push of the dossier; zero when it never did.
	PortalSyncedAt time.Time
	// Complaints are the complaints about the dossier. Their DossierCode
	// is the dossier's code, or empty for it.
	Complaints []Complaint
}

// outsideColumns are the columns of report_facts the outside data sets,
// which BulkLoad writes after factsColumns.
var outsideColumns = []string{"portal_synced_at", "complained_at"}

// complaintColumns are the columns of the complaints table, in the order
// BulkLoad writes them.
var complaintColumns = []string{"reference", "dossier_code", "at", "received_at", "content"}

// PortalSynced records that the national portal accepted a status push of
// a dossier at a time; the report counts the dossier as synced from the
// earliest such time (report_facts.portal_synced_at), so pushes recorded
// twice or out of order change nothing. A dossier the read model does not
// hold is ErrNotFound; a zero time or a malformed code ErrInvalid.
func (s *Store) PortalSynced(ctx context.Context, code string, at time.Time) error {
	if err := s.portalSynced(ctx, code, at); err != nil {
		return fmt.Errorf("recording the portal sync of dossier %s: %w", code, err)
	}
	return nil
}

func (s *Store) portalSynced(ctx context.Context, code string, at time.Time) error {
	if err := checkText("dossier code", code); err != nil {
		return err
	}
	if at.IsZero() {
		return fmt.Errorf("%w: no time", ErrInvalid)
	}
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.factsExist(ctx, tx, code); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE report_facts SET portal_synced_at = ?
		WHERE code = ? AND (portal_synced_at IS NULL OR portal_synced_at > ?)`), at.UnixMicro(), code, at.UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// ComplaintAdd records a complaint about a dossier and reports whether it
// was new. A complaint whose reference is already recorded changes
// nothing (added is false), whatever it says: the feedback system sends
// again what it is not sure arrived. The report counts the dossier as
// complained about from its earliest complaint
// (report_facts.complained_at). The complaint's content is kept as given,
// but for NUL bytes and invalid UTF-8, which become U+FFFD (as in the
// audit log); the time it was recorded is the current time.
//
// A dossier the read model does not hold is ErrNotFound; a complaint
// without reference, dossier code or time, or whose reference or code is
// not valid text, ErrInvalid.
func (s *Store) ComplaintAdd(ctx context.Context, c Complaint) (added bool, err error) {
	added, err = s.complaintAdd(ctx, c)
	if err != nil {
		return false, fmt.Errorf("recording complaint %q about dossier %s: %w", c.Reference, c.DossierCode, err)
	}
	return added, nil
}

func (s *Store) complaintAdd(ctx context.Context, c Complaint) (bool, error) {
	if err := checkComplaint(&c); err != nil {
		return false, err
	}
	tx, err := s.write.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := s.factsExist(ctx, tx, c.DossierCode); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, s.rebind(`INSERT INTO complaints (reference, dossier_code, at, received_at, content)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (reference) DO NOTHING`),
		c.Reference, c.DossierCode, s.at(c.At), s.at(time.Now()), auditText(c.Content))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, tx.Commit() // a repeat
	}
	if _, err := tx.ExecContext(ctx, s.rebind(`UPDATE report_facts SET complained_at = ?
		WHERE code = ? AND (complained_at IS NULL OR complained_at > ?)`), c.At.UnixMicro(), c.DossierCode, c.At.UnixMicro()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// checkComplaint refuses a complaint the read model cannot hold.
func checkComplaint(c *Complaint) error {
	if err := checkText("complaint reference", c.Reference); err != nil {
		return err
	}
	if err := checkText("dossier code", c.DossierCode); err != nil {
		return err
	}
	if c.At.IsZero() {
		return fmt.Errorf("%w: the complaint has no time", ErrInvalid)
	}
	return nil
}

// checkText refuses an empty key, or one PostgreSQL's text cannot hold
// (NUL bytes, invalid UTF-8).
func checkText(what, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: missing %s", ErrInvalid, what)
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return fmt.Errorf("%w: the %s %q is not valid text", ErrInvalid, what, v)
	}
	return nil
}

// factsExist returns ErrNotFound when the read model holds no dossier of
// that code (no report_facts row: ProjectionApply and BulkLoad write it
// with the dossier's row).
func (s *Store) factsExist(ctx context.Context, tx *sqlx.Tx, code string) error {
	var one int
	err := tx.GetContext(ctx, &one, s.rebind(`SELECT 1 FROM report_facts WHERE code = ?`), code)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: no dossier %s in the read model", ErrNotFound, code)
	case err != nil:
		return fmt.Errorf("reading dossier %s: %w", code, err)
	}
	return nil
}

// outsideRows returns the values of a dossier's outside columns of
// report_facts (outsideColumns) and its complaints rows
// (complaintColumns), as BulkLoad writes them; updatedAt is the time the
// complaints are recorded.
func (s *Store) outsideRows(code string, o Outside, updatedAt time.Time) (facts []any, complaints [][]any, err error) {
	var first time.Time
	for i := range o.Complaints {
		c := o.Complaints[i]
		if c.DossierCode == "" {
			c.DossierCode = code
		}
		if c.DossierCode != code {
			return nil, nil, fmt.Errorf("complaint %q is about dossier %q, not %q", c.Reference, c.DossierCode, code)
		}
		if err := checkComplaint(&c); err != nil {
			return nil, nil, fmt.Errorf("complaint %q: %w", c.Reference, err)
		}
		if first.IsZero() || c.At.Before(first) {
			first = c.At
		}
		complaints = append(complaints, []any{c.Reference, code, s.at(c.At), s.at(updatedAt), auditText(c.Content)})
	}
	return []any{micro(o.PortalSyncedAt), micro(first)}, complaints, nil
}
