// Package store is the read model: the SQL tables that officers' inboxes,
// dossier pages and the indicators read. Workflows never touch it; their
// projection activity calls ProjectionApply after each change, and every
// row can be rebuilt by replaying those projections, but for the audit log
// and the outside data (below).
//
// # Databases
//
// Open takes a DSN: postgres:// or postgresql:// selects PostgreSQL through
// pgx; anything else is the path of a SQLite file (optionally sqlite:PATH),
// opened through the pure-Go modernc.org/sqlite driver, in WAL mode with a
// single writing connection and a pool of query-only readers. Open applies
// the embedded migrations (migrations/postgres, migrations/sqlite; goose,
// version table read_model_migrations) before it returns, so opening an
// existing database is safe and several processes may start at once.
//
// # Times
//
// Times are stored in UTC with microsecond precision (finer digits are
// truncated), a zero time as NULL, and are returned in Asia/Ho_Chi_Minh.
// PostgreSQL keeps timestamptz; SQLite keeps fixed-width text
// (2006-01-02T15:04:05.000000Z) that sorts as the instants do.
//
// # Idempotence
//
// A projection carries the events since the previous one and the complete
// snapshot (components included) and open tasks after the change, tagged
// with the sequence of its last event. Events are keyed by (workflow id,
// seq) and inserted once; the snapshot and the tasks replace what is
// stored only when the projection's sequence is newer than the workflow's
// mark. Retries and reordering of the projection activity therefore change
// nothing.
//
// # Consultation children
//
// A consultation sent to another agency runs as a child workflow with its
// own workflow id; it projects events and tasks under the parent's dossier
// code and no snapshot. DossierGet and TaskGet look across every workflow of
// a dossier code.
//
// # The report's tables
//
// report_facts (a narrow row of integers per dossier) and report_step_days
// (the officers' actions counted per day) are derived from the dossiers and
// events, written in the same transaction as they are (ProjectionApply,
// BulkLoad; facts.go), and read by the indicators' queries (report.go).
// A projection applied twice counts its actions once; one applied late
// still brings its refusal, withdrawal or supplement to the facts.
//
// # Audit log
//
// The audit_log table, written by AuditAppend and read by AuditList, is
// the exception: it records requests, not projections, and is the only
// copy, so it is not rebuilt by replaying them.
//
// # Portal sync and complaints
//
// Likewise for what comes from outside the workflows (outside.go): the
// national portal's acceptance of a dossier's status pushes, which the
// SyncPortal activity reports through PortalSynced, and the citizens'
// complaints, which the feedback callback records through ComplaintAdd
// (the complaints table). Both mark the dossier's report_facts row
// (portal_synced_at, complained_at), which the projections' writes leave
// alone; BulkLoad writes them with the dossier (BulkLoadParams.Outside).
//
// # Errors
//
// Methods wrap errors with what they were doing; a missing dossier or task
// is ErrNotFound, a parameter out of its domain ErrInvalid, to be tested
// with errors.Is.
package store
