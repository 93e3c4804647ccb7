package store

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// Times are stored in UTC with microsecond precision (PostgreSQL's), a zero
// time as NULL, and come back in Asia/Ho_Chi_Minh. PostgreSQL keeps them as
// timestamp with time zone. SQLite keeps them as text of a fixed width,
// sqliteTime, which sorts and compares as text the way the instants do
// (RFC 3339 with trimmed fractions does not: "…05Z" > "…05.5Z").
const sqliteTime = "2006-01-02T15:04:05.000000Z07:00"

// precision is what survives a round trip; finer digits are truncated.
const precision = time.Microsecond

// at turns a time into a query argument of the store's dialect.
func (s *Store) at(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(precision)
	if s.pg {
		return u
	}
	return u.Format(sqliteTime)
}

// dbTime scans a stored time (NULL, a PostgreSQL timestamptz or SQLite text)
// into a time in Vietnam's zone, or the zero time for NULL.
type dbTime struct{ t time.Time }

var _ sql.Scanner = (*dbTime)(nil)

// Scan implements sql.Scanner.
func (d *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		d.t = time.Time{}
	case time.Time:
		d.t = v.In(dossier.Vietnam)
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("scanning a time: unexpected %T", v)
	}
	return nil
}

func (d *dbTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scanning a time: %w", err)
	}
	d.t = t.In(dossier.Vietnam)
	return nil
}
