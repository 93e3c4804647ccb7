package definitions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds every file matching glob to the fuzz corpus.
func addSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(glob)
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the loader: it must never panic, every
// diagnostic must carry the file and a position inside the input, and a
// valid definition must compile to a hashed plan.
//
//	go test ./definitions -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseDefinition))
	f.Add([]byte("code: &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b]\n"))
	f.Add([]byte("steps:\n  - {id: a, kind: parallel, branches: [{steps: [{id: b, kind: notify}]}]}\n"))
	addSeeds(f, "procedures/*.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		doc := Parse("f.yaml", data)
		// YAML breaks lines at \n, \r\n and a lone \r.
		lines := strings.Count(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") + strings.Count(string(data), "\r") + 2
		for _, d := range doc.Diagnostics {
			if d.File != "f.yaml" || d.Line < 1 || d.Col < 1 || d.Line > lines {
				t.Fatalf("diagnostic without a valid position: %+v (input has %d lines)", d, lines)
			}
			if d.Message == "" {
				t.Fatalf("diagnostic without a message: %+v", d)
			}
		}
		if doc.Valid() {
			p := doc.Compile()
			if len(p.Hash) != 64 || len(p.Modes) == 0 {
				t.Fatalf("valid definition compiled to a bad plan: hash %q, %d modes", p.Hash, len(p.Modes))
			}
		}
	})
}

// FuzzParseCalendar does the same for calendar files.
func FuzzParseCalendar(f *testing.F) {
	addSeeds(f, "calendars/*.yaml")
	f.Add([]byte("year: 2026\nstatus: official\nweekend: [saturday, sunday]\nholidays:\n  - { date: 2026-02-14, to: 2026-02-22, name: Tết }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cal, diags := ParseCalendar("c.yaml", data)
		for _, d := range diags {
			if d.File != "c.yaml" || d.Line < 1 || d.Col < 1 {
				t.Fatalf("diagnostic without a valid position: %+v", d)
			}
		}
		if cal == nil && !diags.HasErrors() {
			t.Fatal("no calendar and no error")
		}
	})
}

// FuzzCondition feeds arbitrary conditions to the type-checker and, when
// it accepts one, arbitrary form values (a citizen's input) to its
// evaluation: neither may panic, a rejected condition points inside its
// text, and an accepted one evaluates to a boolean or an error.
//
//	go test ./definitions -run '^$' -fuzz FuzzCondition -fuzztime 60s
func FuzzCondition(f *testing.F) {
	f.Add(`mode == "full_online"`, "x", int64(3))
	f.Add(`so_con > 2 && ten != ""`, "Nguyễn", int64(-1))
	f.Add(`channel in ["online", "postal"] || !co_uy_quyen`, "", int64(0))
	f.Add(`len(ten) > 1000000000 ? 1/0 == 1 : ten matches "(a+)+$"`, "aaaaaaaaaaaaaaaaaaaaaaaa!", int64(7))
	plan := &Plan{Components: []Component{{ID: "c", Form: []Field{{ID: "ten", Type: "text"}, {ID: "so_con", Type: "integer"},
		{ID: "co_uy_quyen", Type: "boolean"}}}}}
	env := &exprEnv{vars: map[string]any{"mode": "", "channel": "", "ten": "", "so_con": int64(0), "co_uy_quyen": false}}
	f.Fuzz(func(t *testing.T, src, text string, n int64) {
		msg, col := env.check(src)
		if msg != "" {
			if col < 0 || col > len(src)+1 {
				t.Fatalf("condition %q rejected at column %d, outside it: %s", src, col, msg)
			}
			return
		}
		_, _ = EvalCondition(plan, src, map[string]any{"ten": text, "so_con": n, "co_uy_quyen": n%2 == 0}, "full_online", "online")
	})
}
