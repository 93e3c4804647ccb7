package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned, wrapped, when a dossier or a task does not exist
// in the read model. Test for it with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrInvalid is returned, wrapped, when a parameter is out of its domain
// (an unknown Due filter, an unknown audit decision): the caller's mistake,
// not the database's. Test for it with errors.Is.
var ErrInvalid = errors.New("invalid parameter")

// Default and largest page sizes of the list methods.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Store is the read model. It is safe for concurrent use.
type Store struct {
	// write runs every statement that changes something; read runs the
	// queries. On PostgreSQL both are the same pool. On SQLite, write is a
	// single connection (SQLite admits one writer at a time) and read a pool
	// of query-only connections that read the WAL while the writer writes.
	write *sqlx.DB
	read  *sqlx.DB
	pg    bool
	where string // the database, for error messages (PostgreSQL password redacted)
}

// Open connects to the read model and applies the embedded migrations.
//
// A dsn starting with postgres:// or postgresql:// selects PostgreSQL
// (through pgx); anything else is the path of a SQLite file, optionally
// written sqlite:PATH. The SQLite file is created when missing; its folder
// must exist.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var (
		s   *Store
		err error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err = openPostgres(ctx, dsn)
	} else {
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.write.DB, s.pg); err != nil {
		s.Close()
		return nil, s.errorf("applying migrations: %w", err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	where := dsn
	if u, err := url.Parse(dsn); err == nil {
		where = u.Redacted()
	}
	s := &Store{pg: true, where: where}
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, s.errorf("%w", err)
	}
	s.write, s.read = db, db
	return s, nil
}

// SQLite connection setup. SQLite lets many connections read but only one
// write at a time; a second writer gets SQLITE_BUSY, and a transaction that
// starts by reading and then writes can fail outright when another wrote in
// between. So:
//   - journal_mode=WAL: readers do not block the writer nor the writer the
//     readers; synchronous=NORMAL is durable enough in WAL mode (a power cut
//     may lose the last transactions, never corrupt the file) and much faster.
//   - the writing pool holds exactly one connection, so writers queue in Go
//     instead of failing, and its transactions begin IMMEDIATE (take the write
//     lock at BEGIN), so a read-then-write transaction cannot be refused
//     half-way.
//   - the reading pool holds several query_only connections; their
//     transactions begin DEFERRED and read one consistent WAL snapshot.
//   - busy_timeout (10 s) covers the rare contention that remains: another
//     process on the same file, or the WAL checkpoint.
//   - foreign_keys=ON on every connection (SQLite's default is off); the
//     schema declares none today, as projections arrive in any order.
const (
	sqliteCommon = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	sqliteWrite  = sqliteCommon + "&_txlock=immediate"
	sqliteRead   = sqliteCommon + "&_pragma=query_only(1)"
)

func openSQLite(ctx context.Context, path string) (*Store, error) {
	s := &Store{where: path}
	if path == "" {
		return nil, s.errorf("missing database path (give a SQLite file path or a postgres:// URL)")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, s.errorf("the SQLite path must not contain '?' or '#'")
	}
	if strings.HasPrefix(path, "file:") {
		return nil, s.errorf("give a plain path, not a file: URI")
	}
	if dir := filepath.Dir(path); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, s.errorf("folder %s does not exist (create it first)", dir)
		}
	}
	w, err := sqlx.Open("sqlite", path+"?"+sqliteWrite)
	if err != nil {
		return nil, s.errorf("%w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	// Open the writer first: it creates the file and switches it to WAL
	// before a query_only reader could try to.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, s.errorf("%w", err)
	}
	r, err := sqlx.Open("sqlite", path+"?"+sqliteRead)
	if err != nil {
		w.Close()
		return nil, s.errorf("%w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.write, s.read = w, r
	return s, nil
}

// Close closes the database connections.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if err != nil {
		return fmt.Errorf("closing read model at %s: %w", s.where, err)
	}
	return nil
}

// errorf prefixes an error met while opening the database with where it is.
func (s *Store) errorf(format string, args ...any) error {
	return fmt.Errorf("opening read model at %s: "+format, append([]any{s.where}, args...)...)
}

// rebind turns the ? placeholders the queries are written with into the
// dialect's.
func (s *Store) rebind(q string) string {
	if s.pg {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}

// readTx begins a read-only transaction that sees one consistent state.
func (s *Store) readTx(ctx context.Context) (*sqlx.Tx, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	return s.read.BeginTxx(ctx, opts)
}

// limit applies the default and the cap to a page size.
func limit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}
