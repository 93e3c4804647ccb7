package definitions

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/motcua/motcua/internal/catalogtest"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// BenchmarkLintProvinceCatalog lints a catalog of 1,622 definitions (the
// size of Tây Ninh's) generated from the example procedures, from files on
// disk, and reports the time against a plain yaml.Unmarshal of the same
// files measured in the same iteration:
//
//	go test ./definitions -run '^$' -bench LintProvinceCatalog -count 5
//
// Metrics: lint-ms and unmarshal-ms per catalog, and lint/unmarshal.
func BenchmarkLintProvinceCatalog(b *testing.B) {
	templates, err := catalogtest.ReadTemplates("procedures")
	require.NoError(b, err)
	dir := filepath.Join(b.TempDir(), "procedures")
	require.NoError(b, os.Mkdir(dir, 0o755))
	require.NoError(b, catalogtest.WriteDir(dir, catalogtest.Generate(templates, catalogtest.ProvinceCatalogSize)))
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	require.NoError(b, err)
	require.Len(b, files, catalogtest.ProvinceCatalogSize)

	var lint, plain time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		res, err := LintPaths([]string{dir})
		lint += time.Since(start)
		if err != nil || res.Errors > 0 || res.Files != catalogtest.ProvinceCatalogSize {
			b.Fatalf("lint: %v, %d files, %d errors: %v", err, res.Files, res.Errors, res.Diagnostics)
		}

		start = time.Now()
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			var v map[string]any
			if err := yaml.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
		plain += time.Since(start)
	}
	b.ReportMetric(float64(lint.Milliseconds())/float64(b.N), "lint-ms")
	b.ReportMetric(float64(plain.Milliseconds())/float64(b.N), "unmarshal-ms")
	b.ReportMetric(float64(lint)/float64(plain), "lint/unmarshal")
}
