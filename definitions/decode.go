package definitions

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/internal/suggest"
)

// maxNodes bounds the work of decoding one document, so that a file built
// from nested aliases cannot make the decoder run for ever.
const maxNodes = 200_000

// maxDepth bounds the nesting of a document (parallel branches hold steps,
// which hold branches...); real definitions stay far below it.
const maxDepth = 40

// nodeDecoder is implemented by types that decode themselves from a node.
type nodeDecoder interface {
	decodeYAML(d *decoder, n *yaml.Node, path string)
}

// decoder fills Go values from a yaml.Node tree, reporting every problem with
// its position and remembering where each value came from.
type decoder struct {
	r      *reporter
	pos    map[string]Pos // path -> position of the value
	keyPos map[string]Pos // path -> position of the key naming it
	bad    map[string]bool
	// shift holds, for one-line text values, how many columns the text
	// starts after the value's position (1 for a quoted string).
	shift map[string]int
	nodes int
	depth int
	// active holds the alias targets being decoded, to catch an alias that
	// refers to a node containing itself.
	active map[*yaml.Node]bool
}

func newDecoder(r *reporter) *decoder {
	return &decoder{r: r, pos: map[string]Pos{}, keyPos: map[string]Pos{}, bad: map[string]bool{}, shift: map[string]int{}, active: map[*yaml.Node]bool{}}
}

func nodePos(n *yaml.Node) Pos { return Pos{Line: n.Line, Col: n.Column} }

// at returns the position of the value at path, or of its closest parent.
func (d *decoder) at(path string) Pos {
	for {
		if p, ok := d.pos[path]; ok {
			return p
		}
		if path == "" {
			return Pos{Line: 1, Col: 1}
		}
		path = parentPath(path)
	}
}

// keyAt returns the position of the key naming path, falling back to at.
func (d *decoder) keyAt(path string) Pos {
	if p, ok := d.keyPos[path]; ok {
		return p
	}
	return d.at(path)
}

// badUnder reports whether the value at path, or any value inside it,
// failed to decode.
func (d *decoder) badUnder(path string) bool {
	for p := range d.bad {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

// has reports whether the YAML gave a value at path.
func (d *decoder) has(path string) bool {
	_, ok := d.pos[path]
	return ok
}

func parentPath(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func indexPath(parent string, i int) string { return fmt.Sprintf("%s[%d]", parent, i) }

// resolve follows aliases and counts nodes against the budget.
func (d *decoder) resolve(n *yaml.Node) (*yaml.Node, bool) {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.nodes++
	if n == nil || d.nodes > maxNodes {
		if d.nodes == maxNodes+1 {
			d.r.errorf(Pos{}, "", "document is too large or too deeply aliased (more than %d nodes)", maxNodes)
		}
		return nil, false
	}
	return n, true
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.bad[path] = true
	d.r.errorf(nodePos(n), "", format, args...)
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

// decode fills v (addressable) from n; path names the value for messages.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	alias := n
	n, ok := d.resolve(n)
	if !ok {
		return
	}
	if d.active[n] {
		d.fail(alias, path, "%s: alias *%s refers to a value that contains it", fieldName(path), alias.Value)
		return
	}
	if n.Anchor != "" {
		d.active[n] = true
		defer delete(d.active, n)
	}
	if d.depth >= maxDepth {
		if d.depth == maxDepth {
			d.fail(n, path, "%s: nested more than %d levels deep", fieldName(path), maxDepth)
		}
		return
	}
	d.depth++
	defer func() { d.depth-- }()
	d.pos[path] = nodePos(n)
	if v.CanAddr() {
		if nd, ok := v.Addr().Interface().(nodeDecoder); ok {
			nd.decodeYAML(d, n, path)
			return
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice || v.Kind() == reflect.Struct) {
		return // an empty value leaves the zero value; validation reports what is missing
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		delete(d.pos, path)
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "%s: expected a list, got %s", fieldName(path), describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), indexPath(path, i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.fail(n, path, "%s: expected text, got %s", fieldName(path), describe(n))
			return
		}
		v.SetString(n.Value)
		switch n.Style {
		case 0:
			d.shift[path] = 0
		case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
			d.shift[path] = 1
		}
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			d.fail(n, path, "%s: expected true or false, got %s", fieldName(path), describe(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil || v.OverflowInt(i) {
			d.fail(n, path, "%s: expected a whole number, got %s", fieldName(path), describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			d.fail(n, path, "%s: expected a number, got %s", fieldName(path), describe(n))
			return
		}
		v.SetFloat(f)
	default:
		panic(fmt.Sprintf("definitions: decoder has no rule for %s at %s", v.Type(), path))
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "%s: expected a mapping, got %s", fieldName(path), describe(n))
		return
	}
	fields := yamlFields(v.Type())
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.name)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, ok := d.resolve(n.Content[i])
		if !ok {
			return
		}
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if k.Value == "<<" {
			d.fail(k, path, "merge keys (<<) are not supported: write the keys out")
			continue
		}
		f, ok := findField(fields, k.Value)
		if !ok {
			d.bad[path] = true
			where := ""
			if path != "" {
				where = fieldName(path) + ": "
			}
			hint := suggest.DidYouMean(k.Value, names)
			if hint == "" && strings.Contains(k.Value, " ") && n.Style == yaml.FlowStyle {
				hint = "a value with a comma inside { } must be quoted"
			}
			d.r.errorf(nodePos(k), hint, "%sunknown field %q", where, k.Value)
			continue
		}
		fp := joinPath(path, f.name)
		if seen[f.name] {
			d.fail(k, fp, "field %q is given twice", f.name)
			continue
		}
		seen[f.name] = true
		d.keyPos[fp] = nodePos(k)
		d.decode(n.Content[i+1], v.Field(f.index), fp)
	}
}

// yamlField is one field of a struct with its YAML key.
type yamlField struct {
	name  string
	index int
	field reflect.StructField
}

// fieldCache holds the yamlFields of each struct type met.
var fieldCache sync.Map // reflect.Type -> []yamlField

func yamlFields(t reflect.Type) []yamlField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]yamlField)
	}
	var out []yamlField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, yamlField{name: name, index: i, field: f})
	}
	fieldCache.Store(t, out)
	return out
}

func findField(fields []yamlField, name string) (yamlField, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return yamlField{}, false
}

// fieldName is the last element of a path, for messages: "steps[2].role" -> "role".
func fieldName(path string) string {
	if path == "" {
		return "document"
	}
	return path
}

// Date is a calendar date written YYYY-MM-DD.
type Date string

func (dt *Date) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "%s: expected a date (YYYY-MM-DD), got %s", fieldName(path), describe(n))
		return
	}
	if _, err := time.Parse(time.DateOnly, n.Value); err != nil {
		d.fail(n, path, "%s: expected a date (YYYY-MM-DD), got %s", fieldName(path), describe(n))
		return
	}
	*dt = Date(n.Value)
}

// Time returns the date at midnight in Vietnam's time zone.
func (dt Date) Time() time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, string(dt), vietnam)
	return t
}

// Outcome is one named outcome of a step and where it leads.
type Outcome struct {
	Name   string `json:"name"`
	Target string `json:"target"`
}

// Outcomes is an ordered set of outcomes, written in YAML as a mapping from
// outcome name to target step (or refused / stopped).
type Outcomes []Outcome

func (o *Outcomes) decodeYAML(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "%s: expected a mapping from outcome name to next step, got %s", fieldName(path), describe(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, ok1 := d.resolve(n.Content[i])
		val, ok2 := d.resolve(n.Content[i+1])
		if !ok1 || !ok2 {
			return
		}
		if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || val.Tag == "!!null" {
			d.fail(val, path, "%s: outcome %s must name a step, refused or stopped, got %s", fieldName(path), describe(k), describe(val))
			continue
		}
		op := joinPath(path, k.Value)
		if d.has(op) {
			d.fail(k, op, "outcome %q is given twice", k.Value)
			continue
		}
		d.keyPos[op] = nodePos(k)
		d.pos[op] = nodePos(val)
		*o = append(*o, Outcome{Name: k.Value, Target: val.Value})
	}
}
