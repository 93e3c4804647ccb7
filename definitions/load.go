package definitions

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// vietnam is the time zone of every date the engine shows or computes.
var vietnam = mustLoadLocation("Asia/Ho_Chi_Minh")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("ICT", 7*60*60) // no tz database: Vietnam has kept UTC+7 since 1975
	}
	return loc
}

// MaxFileSize is the largest definition file the loader reads.
const MaxFileSize = 4 << 20

var stepType = reflect.TypeOf(Step{})

// Document is a parsed definition with the positions of its values.
type Document struct {
	// File is the name used in diagnostics.
	File string
	// Definition is the decoded definition; it may be partial when the
	// diagnostics hold errors.
	Definition *Definition
	// Diagnostics are all problems found, sorted by position.
	Diagnostics Diagnostics

	dec    *decoder
	graphs []*modeGraph
	ix     *stepIndex
}

// Pos returns the position of the value at path (e.g. "steps[2].role"), or of
// its closest parent that the file gave.
func (doc *Document) Pos(path string) Pos {
	if doc.dec == nil {
		return Pos{Line: 1, Col: 1}
	}
	return doc.dec.at(path)
}

// Valid reports whether the document has no errors.
func (doc *Document) Valid() bool { return !doc.Diagnostics.HasErrors() }

var yamlLineRe = regexp.MustCompile(`^yaml: line ([0-9]+): (.*)$`)

// Parse decodes and checks one definition. It never stops at the first
// problem: every diagnostic of the file is in the returned document.
func Parse(file string, data []byte) *Document {
	r := &reporter{file: file}
	doc := &Document{File: file}
	defer func() { r.diags.Sort(); doc.Diagnostics = r.diags }()

	if len(data) > MaxFileSize {
		r.errorf(Pos{}, "", "file is larger than %d bytes", MaxFileSize)
		return doc
	}
	root, err := parseYAML(data)
	if err != nil {
		p := Pos{Line: 1, Col: 1}
		msg := err.Error()
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			p.Line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		r.errorf(p, "", "invalid YAML: %s", msg)
		return doc
	}
	if root == nil {
		r.errorf(Pos{}, "", "file is empty: a definition starts with code, name and steps")
		return doc
	}
	def := &Definition{}
	d := newDecoder(r)
	doc.dec, doc.Definition = d, def
	d.decode(root, reflect.ValueOf(def).Elem(), "")
	if d.nodes > maxNodes {
		return doc
	}
	checkStruct(d, def)
	c := &checker{def: def, d: d, r: r}
	c.run()
	doc.graphs, doc.ix = c.graphs, c.ix
	return doc
}

// parseYAML reads exactly one YAML document; it returns nil for an empty one.
func parseYAML(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("yaml: line %d: a file holds one definition, found a second document", extra.Line)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// ParseFile reads and parses one definition file.
func ParseFile(path string) (*Document, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data), nil
}

func readLimited(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading definition: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("reading definition %s: is a folder", path)
	}
	if info.Size() > MaxFileSize {
		return nil, fmt.Errorf("reading definition %s: %d bytes is more than the limit of %d", path, info.Size(), MaxFileSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading definition: %w", err)
	}
	return data, nil
}

// Load parses a definition and compiles it to a plan. The plan is nil when
// the diagnostics hold errors.
func Load(file string, data []byte) (*Plan, Diagnostics) {
	doc := Parse(file, data)
	if !doc.Valid() {
		return nil, doc.Diagnostics
	}
	return doc.Compile(), doc.Diagnostics
}

// LoadFile reads, parses and compiles one definition file.
func LoadFile(path string) (*Plan, Diagnostics, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, nil, err
	}
	p, diags := Load(path, data)
	return p, diags, nil
}
