// Package catalogtest generates large catalogs of procedure definitions from
// a few real ones, for benchmarks of the province's catalog size.
package catalogtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
)

// ProvinceCatalogSize is the number of procedures Tây Ninh offers online.
const ProvinceCatalogSize = 1622

var (
	codeLine = regexp.MustCompile(`(?m)^code: .*$`)
	nameLine = regexp.MustCompile(`(?m)^name: (.*)$`)
)

// Generate returns n definitions made from the templates in turn, each with
// its own procedure code ("9.NNNNNN") and a numbered name, keyed by a file
// name. Templates are definition files as bytes.
func Generate(templates [][]byte, n int) map[string][]byte {
	out := make(map[string][]byte, n)
	for i := 0; i < n; i++ {
		t := templates[i%len(templates)]
		code := fmt.Sprintf("9.%06d", i+1)
		data := codeLine.ReplaceAll(t, []byte(fmt.Sprintf("code: %q", code)))
		data = nameLine.ReplaceAll(data, []byte(fmt.Sprintf("name: ${1} (bản %d)", i+1)))
		out[code+".yaml"] = data
	}
	return out
}

// ReadTemplates reads every *.yaml file of dir, in name order.
func ReadTemplates(dir string) ([][]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("catalogtest: no *.yaml file in %s", dir)
	}
	sort.Strings(files)
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}

// WriteDir writes generated files into dir.
func WriteDir(dir string, files map[string][]byte) error {
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
