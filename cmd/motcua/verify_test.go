package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/worker"
)

// issueInReadModel issues a result into the read model at dsn (as a worker
// with --blobs database does), signed with the certificate of data.
func issueInReadModel(t *testing.T, data, dsn string) dossier.Result {
	t.Helper()
	ctx := context.Background()
	signer, err := signing.EnsureAgencyCertificate(filepath.Join(data, worker.KeysDir), "UBND xã Thử Nghiệm")
	require.NoError(t, err)
	st, err := store.Open(ctx, dsn)
	require.NoError(t, err)
	defer st.Close()
	issuer, err := signing.NewIssuerWith(signing.NewResultDB(st), signer)
	require.NoError(t, err)
	res, err := issuer.Issue(ctx, activities.SignRequest{Code: "UBND_XA-250701-0001", N: 1, Procedure: "1.001193",
		Result:    definitions.Result{Kind: "document", Name: "Giấy khai sinh"},
		Applicant: dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A"},
		SignedBy:  dossier.Actor{ID: "cb-1", Role: "chu_tich_xa", Agency: "ubnd_xa"}, At: time.Now()})
	require.NoError(t, err)
	return res
}

func TestVerifyFindsResultsInTheReadModel(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := filepath.Join(data, worker.ReadModelDB)
	res := issueInReadModel(t, data, db)

	// Not in DATA/results: found in DATA/read.db, trusted by DATA/keys.
	code, out, errOut := runCLI(t, "verify", res.Code, "--data", data)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Chữ ký hợp lệ: "+res.Code+" (read model "+db+")")
	require.Contains(t, out, "tin cậy")

	// --db from elsewhere: found, not trusted without roots.
	elsewhere := t.TempDir()
	code, out, errOut = runCLI(t, "verify", res.Code, "--data", elsewhere, "--db", db)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "chưa kiểm tra")

	// Nowhere.
	code, _, errOut = runCLI(t, "verify", res.Code+"9", "--data", data)
	require.Equal(t, 1, code)
	require.Equal(t, "motcua: no result "+res.Code+"9: neither a file nor a result in "+filepath.Join(data, worker.ResultsDir)+
		", nor in the read model "+db+"\n", errOut)
	code, _, errOut = runCLI(t, "verify", res.Code, "--data", elsewhere)
	require.Equal(t, 1, code)
	require.Equal(t, "motcua: no result "+res.Code+": neither a file nor a result in "+filepath.Join(elsewhere, worker.ResultsDir)+"\n", errOut,
		"no read model in the data folder")

	// A document changed in the database fails.
	raw, err := sql.Open("sqlite", db)
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.Exec(`UPDATE results SET document = CAST(REPLACE(CAST(document AS text), 'Nguyễn Văn A', 'Nguyễn Văn X') AS blob) WHERE code = ?`, res.Code)
	require.NoError(t, err)
	code, _, errOut = runCLI(t, "verify", res.Code, "--data", data)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "motcua: signature NOT valid: "+res.Code+" (read model "+db+"): document was changed after signing")
}

func TestVerifyFindsResultsInPostgreSQL(t *testing.T) {
	t.Parallel()
	dsn := indicatorstest.PostgresDSN(t)
	data := t.TempDir()
	res := issueInReadModel(t, data, dsn)
	code, out, errOut := runCLI(t, "verify", res.Code, "--data", data, "--db", dsn, "--format", "json")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `"trusted": true`)
}
