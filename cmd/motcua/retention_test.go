package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRetentionCommand(t *testing.T) {
	t.Parallel()
	db := reportDB(t) // the indicators' fixture: dossiers of early 2025
	code, out, errOut := runCLI(t, "retention", "--read-model", db, "--ended-before", "2025-04-01", "--dry-run")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^\d+ dossiers ended before 2025-04-01 would lose their personal data \(dry run: nothing changed\)\n$`, out)
	require.NotContains(t, out, "\n0 dossiers")
	code, out, errOut = runCLI(t, "retention", "--read-model", db, "--ended-before", "2025-04-01")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^[1-9]\d* dossiers ended before 2025-04-01: personal data removed \(\d+ timeline entries, \d+ complaints\)\n$`, out)
	code, out, _ = runCLI(t, "retention", "--read-model", db, "--ended-before", "2025-04-01")
	require.Equal(t, 0, code)
	require.Contains(t, out, "0 dossiers ended before")

	for _, args := range [][]string{
		{"retention", "--read-model", db},
		{"retention", "--read-model", db, "--keep-years", "5", "--ended-before", "2020-01-01"},
		{"retention", "--read-model", db, "--ended-before", "01/01/2020"},
	} {
		code, _, errOut := runCLI(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, errOut)
	}
	code, _, errOut = runCLI(t, "retention", "--read-model", db, "--keep-years", "0")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--keep-years N")
	// A cut-off less than a year ago is refused.
	code, _, errOut = runCLI(t, "retention", "--read-model", db, "--ended-before", "2099-01-01")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "at least a year")
}
