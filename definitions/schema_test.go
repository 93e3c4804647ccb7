package definitions

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestSchemaFilesAreGenerated fails when the checked-in schemas differ from
// the generated ones: run `go run ./cmd/motcua schema > schema/procedure.schema.json`
// (and --of calendar) after changing format.go.
func TestSchemaFilesAreGenerated(t *testing.T) {
	t.Parallel()
	for file, gen := range map[string]func() ([]byte, error){
		"../schema/procedure.schema.json": Schema,
		"../schema/calendar.schema.json":  CalendarSchema,
		"../docs/format.md":               func() ([]byte, error) { return []byte(FormatReference()), nil },
	} {
		want, err := gen()
		require.NoError(t, err)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s is stale: regenerate it with motcua schema", file)
	}
}

func compileSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(file, doc))
	s, err := c.Compile(file)
	require.NoError(t, err)
	return s
}

// yamlToJSONValue reads YAML into the plain values a JSON Schema validator
// takes.
func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	require.NoError(t, yaml.Unmarshal(data, &v))
	var conv func(any) any
	conv = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = conv(e)
			}
		case []any:
			for i, e := range x {
				x[i] = conv(e)
			}
		case time.Time:
			return x.Format(time.DateOnly)
		case int:
			return json.Number(fmtInt(x))
		}
		return v
	}
	return conv(v)
}

func fmtInt(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestExamplesValidateAgainstSchema(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ schema, glob string }{
		{"../schema/procedure.schema.json", "procedures/*.yaml"},
		{"../schema/calendar.schema.json", "calendars/*.yaml"},
	} {
		s := compileSchema(t, c.schema)
		files, err := filepath.Glob(c.glob)
		require.NoError(t, err)
		if c.glob == "procedures/*.yaml" {
			require.NotEmpty(t, files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			require.NoError(t, s.Validate(yamlToJSONValue(t, data)), f)
		}
	}
}

// TestSchemaRejectsWhatTheLinterRejects checks that the schema carries the
// rules a BA's editor should flag: unknown keys, bad enums, keys a step
// kind does not take and missing keys a kind needs.
func TestSchemaRejectsWhatTheLinterRejects(t *testing.T) {
	t.Parallel()
	s := compileSchema(t, "../schema/procedure.schema.json")
	base, err := os.ReadFile("procedures/1.001193-dang-ky-khai-sinh.yaml")
	require.NoError(t, err)
	cases := map[string]func(m map[string]any){
		"unknown top-level key": func(m map[string]any) { m["asignee"] = "x" },
		"bad level":             func(m map[string]any) { m["level"] = "village" },
		"bad code":              func(m map[string]any) { m["code"] = "1001193" },
		"key foreign to kind": func(m map[string]any) {
			m["steps"].([]any)[0].(map[string]any)["outcomes"] = map[string]any{"ok": "x"}
		},
		"missing key of kind": func(m map[string]any) {
			delete(m["steps"].([]any)[2].(map[string]any), "outcomes")
		},
		"bad channel": func(m map[string]any) {
			m["modes"].(map[string]any)["full_online"].(map[string]any)["channels"] = []any{"fax"}
		},
	}
	for name, mutate := range cases {
		v := yamlToJSONValue(t, base).(map[string]any)
		require.NoError(t, s.Validate(v), "the unmodified example must be valid")
		mutate(v)
		require.Error(t, s.Validate(v), name)
	}
}
