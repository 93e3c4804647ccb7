package definitions

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaID is the $id of the generated procedure schema.
const SchemaID = "https://motcua.dev/schema/procedure.schema.json"

// CalendarSchemaID is the $id of the generated calendar schema.
const CalendarSchemaID = "https://motcua.dev/schema/calendar.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of procedure definitions,
// generated from the Go types of format.go, their tags and the step-kind
// table, so it cannot drift from the linter.
func Schema() ([]byte, error) {
	return generateSchema(&Definition{}, SchemaID, "motcua procedure definition", true)
}

// CalendarSchema returns the JSON Schema of working-calendar files.
func CalendarSchema() ([]byte, error) {
	return generateSchema(&CalendarFile{}, CalendarSchemaID, "motcua working calendar", false)
}

func generateSchema(root any, id, title string, steps bool) ([]byte, error) {
	r := &jsonschema.Reflector{
		FieldNameTag:               "yaml",
		RequiredFromJSONSchemaTags: true, // requiredness comes from the validate tags below
		Mapper:                     mapSchemaType,
	}
	s := r.Reflect(root)
	s.ID = jsonschema.ID(id)
	s.Title = title
	seen := map[reflect.Type]bool{}
	annotateTypes(s.Definitions, reflect.TypeOf(root).Elem(), seen)
	if steps {
		if def, ok := s.Definitions["Step"]; ok {
			addStepKinds(def)
		}
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	return append(out, '\n'), nil
}

// mapSchemaType gives the schema of the types that decode themselves.
func mapSchemaType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeOf(Date("")):
		return &jsonschema.Schema{Type: "string", Format: "date"}
	case reflect.TypeOf(Outcomes{}):
		return &jsonschema.Schema{
			Type:                 "object",
			Description:          "Outcome name → the step it leads to, or refused / stopped.",
			PropertyNames:        &jsonschema.Schema{Pattern: identRe.String()},
			AdditionalProperties: &jsonschema.Schema{Type: "string", Pattern: identRe.String()},
			MinProperties:        ptr(uint64(1)),
		}
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// annotateTypes copies doc, required, enum, pattern and bounds from the Go
// struct tags of t (and the types it holds) into the schema definitions.
func annotateTypes(defs jsonschema.Definitions, t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return
	}
	seen[t] = true
	def, ok := defs[t.Name()]
	if !ok || def.Properties == nil {
		return
	}
	def.Required = nil
	for _, f := range yamlFields(t) {
		prop, ok := def.Properties.Get(f.name)
		if !ok {
			continue
		}
		prop.Description = f.field.Tag.Get("doc")
		applyRules(def, prop, f, strings.Split(f.field.Tag.Get("validate"), ","))
		annotateTypes(defs, f.field.Type, seen)
	}
}

// applyRules turns validate rules into schema keywords. Rules after "dive"
// apply to the items of a list.
func applyRules(parent, prop *jsonschema.Schema, f yamlField, rules []string) {
	target := prop
	for _, rule := range rules {
		name, param, _ := strings.Cut(rule, "=")
		switch name {
		case "dive":
			if prop.Items != nil {
				target = prop.Items
			}
		case "required":
			if target == prop {
				parent.Required = append(parent.Required, f.name)
			} else if target.Type == "string" {
				target.MinLength = ptr(uint64(1))
			}
		case "oneof":
			target.Enum = nil
			for _, o := range strings.Fields(param) {
				target.Enum = append(target.Enum, o)
			}
		case "ident":
			target.Pattern = identRe.String()
		case "procedure_code":
			target.Pattern = procedureCodeRe.String()
		case "clock":
			target.Pattern = clockRe.String()
		case "unique":
			target.UniqueItems = true
		case "min":
			if n, err := strconv.ParseUint(param, 10, 64); err == nil && target.Type == "array" {
				target.MinItems = ptr(n)
			}
		case "gte":
			target.Minimum = json.Number(param)
		case "lte":
			target.Maximum = json.Number(param)
		}
	}
}

// addStepKinds adds, for each step kind, the keys it needs and the only keys
// it takes.
func addStepKinds(step *jsonschema.Schema) {
	for _, k := range stepKinds {
		allowed := append(append(append([]any{}, toAny(commonStepKeys)...), toAny(k.Required)...), toAny(k.Optional)...)
		props := jsonschema.NewProperties()
		props.Set("kind", &jsonschema.Schema{Const: k.Kind})
		step.AllOf = append(step.AllOf, &jsonschema.Schema{
			If: &jsonschema.Schema{Properties: props, Required: []string{"kind"}},
			Then: &jsonschema.Schema{
				Description:   k.Kind + ": " + k.Doc,
				Required:      k.Required,
				PropertyNames: &jsonschema.Schema{Enum: allowed},
			},
		})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
