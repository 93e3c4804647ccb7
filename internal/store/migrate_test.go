package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
)

// TestMigration2 upgrades a database holding rows of migration 1, then
// takes migration 2 down and up again, on SQLite and, when
// MOTCUA_TEST_POSTGRES is set, PostgreSQL.
func TestMigration2(t *testing.T) {
	t.Parallel()
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "read.db")
		db, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		testMigration2(t, db, false, path)
	})
	t.Run("Postgres", func(t *testing.T) {
		t.Parallel()
		dsn := os.Getenv("MOTCUA_TEST_POSTGRES")
		if dsn == "" {
			t.Skip("MOTCUA_TEST_POSTGRES is unset")
		}
		admin, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { admin.Close() })
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "motcua_test_" + hex.EncodeToString(b[:])
		_, err = admin.Exec(`CREATE SCHEMA ` + schema)
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			require.NoError(t, err)
		})
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		db, err := sql.Open("pgx", u.String())
		require.NoError(t, err)
		testMigration2(t, db, true, u.String())
	})
}

func testMigration2(t *testing.T, db *sql.DB, pg bool, dsn string) {
	ctx := context.Background()
	p, err := migrationProvider(db, pg)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 1)
	require.NoError(t, err)
	updated := "2025-03-14T00:30:00.000000Z"
	_, err = db.ExecContext(ctx, rebindFor(pg, `INSERT INTO dossiers (code, procedure_code, status, last_seq, updated_at)
		VALUES ('OLD', 'P1', 4, 1, ?)`), updated)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	st, err := s.DossierGet(ctx, "OLD")
	require.NoError(t, err)
	require.Nil(t, st.Components, "a row from before migration 2 has no components")
	ok, err := s.DossierHasFile(ctx, "OLD", "abc")
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, s.AuditAppend(ctx, AuditEntry{Subject: "u1", Action: "x", Decision: AuditAccepted}))

	// Down to 1 and up again: the components and the audit log go, the rest stays.
	p, err = migrationProvider(s.write.DB, pg)
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 1)
	require.NoError(t, err)
	v, err := p.GetDBVersion(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, v)
	_, err = p.Up(ctx)
	require.NoError(t, err)
	st, err = s.DossierGet(ctx, "OLD")
	require.NoError(t, err)
	require.Equal(t, dossier.StatusProcessing, st.Status)
	entries, err := s.AuditList(ctx, AuditListParams{})
	require.NoError(t, err)
	require.Empty(t, entries)
}

// rebindFor rebinds a query for the dialect (the package's rebind needs a Store).
func rebindFor(pg bool, q string) string {
	return (&Store{pg: pg}).rebind(q)
}
