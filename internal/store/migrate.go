package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// The migrations, one folder per dialect: the column types differ
// (timestamptz and boolean in PostgreSQL, text and integer in SQLite).
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrations embed.FS

// migrationTable records which migrations ran; named after the store so
// it cannot meet another tool's goose table in a shared database.
const migrationTable = "read_model_migrations"

// migrate applies the pending migrations. On PostgreSQL, concurrent
// starters (several api or worker processes) wait on an advisory lock.
func migrate(ctx context.Context, db *sql.DB, pg bool) error {
	p, err := migrationProvider(db, pg)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// migrationProvider returns the goose provider of the dialect's migrations.
func migrationProvider(db *sql.DB, pg bool) (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	opts := []goose.ProviderOption{
		goose.WithTableName(migrationTable),
		goose.WithDisableGlobalRegistry(true),
	}
	if pg {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		opts = append(opts, goose.WithSessionLocker(schemaLocker{}))
	}
	fsys, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(dialect, db, fsys, opts...)
}

// schemaLocker serialises migrations per PostgreSQL schema with a blocking
// session advisory lock keyed by the current schema. Goose's own locker
// polls one database-wide key every few seconds; this one wakes as soon as
// the lock is free and lets stores in different schemas (tests, several
// deployments in one database) migrate side by side.
type schemaLocker struct{}

const lockKey = `hashtextextended('motcua read model migrations ' || current_schema(), 0)`

func (schemaLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("locking the schema for migrations: %w", err)
	}
	return nil
}

func (schemaLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+lockKey+`)`); err != nil {
		return fmt.Errorf("unlocking the schema after migrations: %w", err)
	}
	return nil
}
