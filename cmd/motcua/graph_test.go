package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	birthFile = "../../definitions/procedures/1.001193-dang-ky-khai-sinh.yaml"
	oldFile   = "../../definitions/testdata/diff/khai-sinh-2024.yaml"
	newFile   = "../../definitions/testdata/diff/khai-sinh-2025.yaml"
)

// runCLI runs the command line in process and returns its exit code and
// what it wrote to stdout and stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// invalidFile writes a definition with errors and returns its path.
func invalidFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(birthFile)
	require.NoError(t, err)
	bad := strings.Replace(string(data), "role: tu_phap_ho_tich", "role: tu_phap", 1)
	bad = strings.Replace(bad, "kind: sign", "kind: signature", 1)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	return path
}

var diagLine = regexp.MustCompile(`^.+bad\.yaml:\d+:\d+: .+$`)

func TestGraphMermaidDefaultMode(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "graph", birthFile)
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	require.True(t, strings.HasPrefix(out, "---\ntitle: \"1.001193 Đăng ký khai sinh · trực tuyến toàn trình (full_online)"), out)
	require.Contains(t, out, "\n---\nflowchart TD\n")
	require.Contains(t, out, `s_tham_dinh -->|"approve"| s_ky_duyet`)
}

func TestGraphDefaultModeIsTheFirstOffered(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "graph", oldFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "trực tuyến một phần (partial_online)")
}

func TestGraphDOT(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "graph", "--mode", "partial_online", "--format", "dot", newFile)
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasPrefix(out, "digraph procedure {\n"), out)
	require.True(t, strings.HasSuffix(out, "}\n"))
	require.Contains(t, out, "(partial_online)")
	require.Contains(t, out, "j_lien_thong -> s_tra_ket_qua [label=\"joined\"];")
	require.NotContains(t, out, "gui_vneid")
}

func TestGraphModeNotOffered(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "graph", "--mode", "full_online", oldFile)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `does not offer mode "full_online" (it offers partial_online)`)
}

func TestGraphUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"graph", "--mode", "online", birthFile}, `unknown --mode "online" (use one of full_online, partial_online)`},
		{[]string{"graph", "--format", "svg", birthFile}, `unknown --format "svg"`},
		{[]string{"graph"}, "graph needs exactly one definition file, got 0 arguments"},
		{[]string{"graph", birthFile, newFile}, "got 2 arguments"},
		{[]string{"graph", "--colour", birthFile}, "unknown flag: --colour"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, c.want)
		require.Contains(t, errOut, "Run 'motcua --help' for usage.")
	}
}

func TestGraphInvalidDefinition(t *testing.T) {
	t.Parallel()
	path := invalidFile(t)
	code, out, errOut := runCLI(t, "graph", path)
	require.Equal(t, 1, code)
	require.Empty(t, out, "an invalid definition is not drawn")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.GreaterOrEqual(t, len(lines), 3, errOut)
	for _, l := range lines[:len(lines)-1] {
		require.Regexp(t, diagLine, l)
	}
	require.Contains(t, errOut, "tu_phap")
	require.Contains(t, errOut, "signature")
	require.Contains(t, lines[len(lines)-1], "is not a valid definition")
}

func TestGraphMissingFile(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "graph", filepath.Join(t.TempDir(), "none.yaml"))
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "motcua: reading definition")
}

func TestGraphHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "graph", "--help")
	require.Equal(t, 0, code)
	for _, want := range []string{"motcua graph FILE", "--mode", "--format", "Examples:", "dot -Tsvg", "Kết thúc"} {
		require.Contains(t, out, want)
	}
}
