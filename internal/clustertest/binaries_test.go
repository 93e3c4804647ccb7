package clustertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the folder of motcua's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// goRun runs the go command in dir with extra environment variables.
func goRun(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// buildMotcua builds cmd/motcua into dir.
func buildMotcua(t *testing.T, root, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "motcua")
	goRun(t, root, nil, "build", "-o", bin, "./cmd/motcua")
	return bin
}

// temporalBinaries returns the official Temporal server and its SQL tool
// at the version of go.temporal.io/server in go.mod: from
// MOTCUA_TEMPORAL_BIN when set, else from the user's cache folder, built
// there with `go install …@version` the first time.
func temporalBinaries(t *testing.T, root string) (server, sqlTool string) {
	t.Helper()
	dir := os.Getenv("MOTCUA_TEMPORAL_BIN")
	if dir == "" {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "go.temporal.io/server").Output()
		if err != nil {
			t.Fatalf("go list -m go.temporal.io/server: %v", err)
		}
		version := strings.TrimSpace(string(out))
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Fatalf("no cache folder for the Temporal server: %v", err)
		}
		dir = filepath.Join(cache, "motcua", "temporal-"+version)
		server, sqlTool = filepath.Join(dir, "server"), filepath.Join(dir, "sql")
		if exists(server) && exists(sqlTool) {
			return server, sqlTool
		}
		t.Logf("building the Temporal server %s and its SQL tool into %s (a few minutes, once)", version, dir)
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
			t.Fatal(err)
		}
		tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		goRun(t, root, []string{"GOBIN=" + tmp, "GOFLAGS="}, "install",
			"go.temporal.io/server/cmd/server@"+version, "go.temporal.io/server/cmd/tools/sql@"+version)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"sql", "server"} {
			if err := os.Rename(filepath.Join(tmp, name), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	server, sqlTool = filepath.Join(dir, "server"), filepath.Join(dir, "sql")
	if !exists(server) || !exists(sqlTool) {
		t.Fatalf("MOTCUA_TEMPORAL_BIN=%s does not hold both server and sql", dir)
	}
	return server, sqlTool
}

func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
