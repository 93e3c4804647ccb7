package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/codec"
)

func TestKeysInitRotateShow(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "keys.yaml")
	code, out, errOut := runCLI(t, "keys", "init", "--file", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "created "+file)
	code, _, errOut = runCLI(t, "keys", "init", "--file", file)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "already exists")

	ring, err := codec.LoadKeyFile(file)
	require.NoError(t, err)
	first := ring.Current()
	code, out, errOut = runCLI(t, "keys", "rotate", "--file", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "is now current")
	code, out, _ = runCLI(t, "keys", "show", "--file", file)
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2)
	require.Contains(t, out, first+"\n")
	require.NotContains(t, out, "=", "show never prints a key")

	data := t.TempDir()
	code, _, errOut = runCLI(t, "keys", "show", "--data", data)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "reading the key file")
	code, _, errOut = runCLI(t, "keys")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "give a subcommand")
	require.NoError(t, os.WriteFile(file, []byte("current: x\n"), 0o600))
	code, _, errOut = runCLI(t, "keys", "rotate", "--file", file)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no keys")
}
