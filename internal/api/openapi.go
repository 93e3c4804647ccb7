package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"
)

// OpenAPI returns the OpenAPI 3.0 document of the API, generated from the
// route table and the Go types of bodies and answers, so it cannot drift
// from what the server does.
func (s *Server) OpenAPI() []byte {
	s.docOnce.Do(func() { s.doc = buildOpenAPI(s.routes) })
	return s.doc
}

func (s *Server) serveOpenAPI(c *call) (any, error) {
	c.w.Header().Set("Content-Type", "application/json")
	_, _ = c.w.Write(s.OpenAPI())
	return nil, nil
}

// schemas collects the component schemas of the document.
type schemas struct {
	r     *jsonschema.Reflector
	defs  map[string]*jsonschema.Schema
	types []reflect.Type
}

func newSchemas() *schemas {
	return &schemas{
		r: &jsonschema.Reflector{
			AllowAdditionalProperties: true, // answers may grow new fields
			Namer:                     typeName,
		},
		defs: map[string]*jsonschema.Schema{},
	}
}

// ref returns a schema for v's type, its definitions collected.
func (sc *schemas) ref(v any) *jsonschema.Schema {
	s := sc.r.Reflect(v)
	for name, d := range s.Definitions {
		sc.defs[name] = d
	}
	s.Definitions = nil
	s.Version, s.ID = "", ""
	sc.types = append(sc.types, reflect.TypeOf(v))
	return s
}

// markNullable marks the properties Go may encode as null — slices, maps
// and pointers — as nullable, walking the Go types behind the
// definitions (the document is OpenAPI 3.0, whose schemas know no null).
func (sc *schemas) markNullable() {
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		def := sc.defs[typeName(t)]
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" {
				walk(f.Type)
				if def != nil {
					sc.nullableProps(f.Type, def)
				}
				continue
			}
			walk(f.Type)
		}
		if def != nil {
			sc.nullableProps(t, def)
		}
	}
	for _, t := range sc.types {
		walk(t)
	}
}

// nullableProps marks the nullable fields of struct t in def.
func (sc *schemas) nullableProps(t reflect.Type, def *jsonschema.Schema) {
	if def.Properties == nil {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if f.Anonymous && f.Tag.Get("json") == "" {
			sc.nullableProps(f.Type, def)
			continue
		}
		switch f.Type.Kind() {
		case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		default:
			continue
		}
		p, ok := def.Properties.Get(name)
		if !ok || p == nil {
			continue
		}
		if p.Ref != "" { // a sibling of $ref is ignored: wrap it
			p = &jsonschema.Schema{AllOf: []*jsonschema.Schema{{Ref: p.Ref}}}
			def.Properties.Set(name, p)
		}
		if p.Extras == nil {
			p.Extras = map[string]any{}
		}
		p.Extras["nullable"] = true
	}
}

// typeName names a schema by its package and type (dossier.Result and
// definitions.Result differ).
func typeName(t reflect.Type) string {
	pkg := t.PkgPath()
	if i := strings.LastIndex(pkg, "/"); i >= 0 {
		pkg = pkg[i+1:]
	}
	if pkg == "" {
		return t.Name()
	}
	return pkg + "." + t.Name()
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z0-9_]+)\}`)

func buildOpenAPI(routes []*route) []byte {
	sc := newSchemas()
	errSchema := sc.ref(ErrorBody{})
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{
			"operationId": rt.id,
			"summary":     rt.summary,
			"tags":        []string{rt.tag},
		}
		var params []map[string]any
		for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range rt.query {
			schema := map[string]any{"type": "string"}
			if q.integer {
				schema = map[string]any{"type": "integer"}
			}
			if len(q.enum) > 0 {
				schema["enum"] = q.enum
			}
			params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.doc, "schema": schema})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		switch rt.access {
		case signedIn:
			op["security"] = []map[string][]string{{"bearer": {}}, {"session": {}}}
		case signed:
			op["security"] = []map[string][]string{{"hmac": {}}}
		default:
			op["security"] = []map[string][]string{}
		}
		if rt.body != nil {
			content := map[string]any{"application/json": map[string]any{"schema": sc.ref(rt.body)}}
			if rt.multipart {
				content["multipart/form-data"] = map[string]any{"schema": map[string]any{
					"type": "object", "additionalProperties": true,
					"description": "Text fields as named in the JSON body, dotted (applicant.id, form.<field id>); one file part per component, named by its component id.",
				}}
			}
			op["requestBody"] = map[string]any{"required": true, "content": content}
		}
		status := rt.status
		if status == 0 {
			status = http.StatusOK
		}
		ok := map[string]any{"description": http.StatusText(status)}
		switch {
		case rt.result != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": sc.ref(rt.result)}}
		case rt.produces != "":
			content := map[string]any{}
			for _, mt := range append([]string{rt.produces}, rt.alsoProduces...) {
				content[mt] = map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}
			}
			ok["content"] = content
		}
		responses := map[string]any{strconv.Itoa(status): ok}
		for _, e := range rt.errors {
			responses[strconv.Itoa(e)] = map[string]any{"description": http.StatusText(e),
				"content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
		}
		responses["default"] = map[string]any{"description": "Any other error",
			"content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
		op["responses"] = responses
		if paths[rt.pattern] == nil {
			paths[rt.pattern] = map[string]any{}
		}
		paths[rt.pattern][strings.ToLower(rt.method)] = op
	}
	sc.markNullable()
	names := make([]string, 0, len(sc.defs))
	for n := range sc.defs {
		names = append(names, n)
	}
	sort.Strings(names)
	comps := map[string]any{}
	for _, n := range names {
		comps[n] = sc.defs[n]
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "motcua API",
			"version":     "1",
			"description": "Dossiers of administrative procedures: submission, officers' actions, results. Errors are {\"error\": {code, message, field, problems}, \"request_id\"}.",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": comps,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "A token of the tokens file, or a JWT of the OIDC issuer."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": "motcua_session", "description": "The web console's session."},
				"hmac": map[string]any{"type": "apiKey", "in": "header", "name": "X-Motcua-Signature",
					"description": "sha256=<hex HMAC-SHA256 of X-Motcua-Timestamp + '.' + body> with the caller's shared secret."},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("api: the OpenAPI document does not encode: " + err.Error()) // a programming error
	}
	return []byte(strings.ReplaceAll(string(b), "#/$defs/", "#/components/schemas/"))
}
