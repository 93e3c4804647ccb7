package auth

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/internal/suggest"
)

// MinTokenLength is the fewest characters a plain token of a tokens file may have.
const MinTokenLength = 16

// maxTokensFileSize bounds the tokens file LoadTokens reads.
const maxTokensFileSize = 8 << 20

// Tokens authenticates the bearer tokens listed in a tokens file. It is
// safe for concurrent use; the file is read once, by LoadTokens.
type Tokens struct {
	entries []tokenEntry
}

// tokenEntry is one token of a tokens file: its SHA-256 and its principal.
type tokenEntry struct {
	sum       [sha256.Size]byte
	principal Principal
}

// Name returns "tokens".
func (t *Tokens) Name() string { return modeTokens }

// Authenticate returns the principal of token, ErrNoCredential when token
// is empty, or a *CredentialError when the file does not list it. It
// compares the token's SHA-256 with every entry in constant time.
func (t *Tokens) Authenticate(_ context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoCredential
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i := range t.entries {
		if subtle.ConstantTimeCompare(sum[:], t.entries[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, credErr("unknown token")
	}
	return t.entries[found].principal.clone(), nil
}

// LoadTokens reads and checks the tokens file at path; see ParseTokens.
func LoadTokens(path string) (*Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth: reading tokens file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxTokensFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: reading tokens file: %w", err)
	}
	if len(data) > maxTokensFileSize {
		return nil, fmt.Errorf("auth: tokens file %s is larger than %d bytes", path, maxTokensFileSize)
	}
	return ParseTokens(path, data)
}

// Field names of a tokens file.
const (
	fieldTokens      = "tokens"
	fieldToken       = "token"
	fieldTokenSHA256 = "token_sha256"
	fieldSubject     = "subject"
	fieldName        = "name"
	fieldKind        = "kind"
	fieldRoles       = "roles"
	fieldAgency      = "agency"
	fieldApplicantID = "applicant_id"
)

var entryFields = []string{fieldToken, fieldTokenSHA256, fieldSubject, fieldName, fieldKind, fieldRoles, fieldAgency, fieldApplicantID}

// ParseTokens decodes and checks a tokens file held in data; name is the
// file name its errors start with. The file is YAML:
//
//	# motcua tokens file
//	tokens:
//	  - token: "…"            # the bearer token in plain, at least 16 characters, or
//	    # token_sha256: "hex" # its SHA-256, so the file need not hold the secret
//	    subject: mc-ubnd-xa-01
//	    name: "Trần Thị Bình"
//	    kind: officer         # citizen, officer, analyst or admin
//	    roles: [mot_cua, cong_chuc]
//	    agency: ubnd_xa
//	  - token_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
//	    subject: "001234567890"
//	    kind: citizen
//	    # applicant_id: "001234567890" # defaults to subject
//
// An officer needs roles and an agency; only officers have roles; a citizen
// has no agency; only a citizen has an applicant_id. Unknown and repeated
// fields, and a token listed twice, are errors. Every problem is reported,
// one per line, as "file:line:col: where: what (hint)"; no message repeats
// a token.
func ParseTokens(name string, data []byte) (*Tokens, error) {
	p := &tokensParser{file: name}
	root, err := p.decode(data)
	if err != nil {
		return nil, err
	}
	t := p.walk(root)
	if len(p.errs) > 0 {
		return nil, p.err()
	}
	return t, nil
}

// maxNodes bounds the nodes a tokens file may expand to through aliases.
const maxNodes = 1 << 20

// tokensParser walks the YAML nodes of a tokens file and collects its problems.
type tokensParser struct {
	file      string
	errs      []fileError
	nodes     int  // nodes visited, counting those reached through aliases each time
	exhausted bool // nodes passed maxNodes; the walk stops
}

// visit counts k more nodes visited at n, and reports whether the walk may
// go on: aliases may make a small file expand to a huge one.
func (p *tokensParser) visit(n *yaml.Node, k int) bool {
	if p.exhausted {
		return false
	}
	p.nodes += k
	if p.nodes > maxNodes {
		p.errorf(n, "", "the file expands to more than %d nodes through its aliases", maxNodes)
		p.exhausted = true // after errorf, which records nothing once exhausted
		return false
	}
	return true
}

// fileError is one problem of a tokens file, at a position.
type fileError struct {
	line, col int
	msg       string
}

// err joins the problems, in the order of their positions, one per line.
func (p *tokensParser) err() error {
	slices.SortStableFunc(p.errs, func(a, b fileError) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
	})
	lines := make([]string, len(p.errs))
	for i, e := range p.errs {
		lines[i] = fmt.Sprintf("%s:%d:%d: %s", p.file, e.line, e.col, e.msg)
	}
	return errors.New(strings.Join(lines, "\n"))
}

// errorf records a problem at node n; where ("tokens[2]") may be empty.
func (p *tokensParser) errorf(n *yaml.Node, where, format string, args ...any) {
	if p.exhausted {
		return
	}
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line, col = n.Line, n.Column
	}
	msg := fmt.Sprintf(format, args...)
	if where != "" {
		msg = where + ": " + msg
	}
	p.errs = append(p.errs, fileError{line, col, msg})
}

var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses data as one YAML document and returns its top node.
func (p *tokensParser) decode(data []byte) (root *yaml.Node, err error) {
	// yaml.v3 has panicked on malformed input before; a tokens file must
	// never take the server down.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("%s: not a valid YAML file (%v)", p.file, r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf(`%s: the file is empty (want a list of tokens under "tokens:")`, p.file)
		}
		return nil, p.syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, p.syntaxError(err)
	default:
		return nil, fmt.Errorf("%s:%d:%d: a second YAML document; a tokens file holds one", p.file, next.Line, next.Column)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf(`%s: the file is empty (want a list of tokens under "tokens:")`, p.file)
	}
	return doc.Content[0], nil
}

// syntaxError turns an error of the YAML parser into one that names the file.
func (p *tokensParser) syntaxError(err error) error {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", p.file, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", p.file, strings.TrimPrefix(msg, "yaml: "))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// describe names the kind of a node for messages ("a list").
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
		return "a scalar"
	}
	return "an alias"
}

// field is one key and value of a mapping.
type field struct {
	key, value *yaml.Node
}

// fields returns the fields of mapping node n in order, reporting unknown
// and repeated keys; known lists the field names n may have.
func (p *tokensParser) fields(n *yaml.Node, where string, known []string) map[string]field {
	out := map[string]field{}
	if !p.visit(n, len(n.Content)) {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, where, "a key must be a field name, not %s", describe(k))
			continue
		}
		if !slices.Contains(known, k.Value) {
			msg := fmt.Sprintf("unknown field %q", k.Value)
			if s := suggest.DidYouMean(k.Value, known); s != "" {
				msg += " (" + s + ")"
			}
			p.errorf(k, where, "%s", msg)
			continue
		}
		if prev, ok := out[k.Value]; ok {
			p.errorf(k, where, "duplicate field %q (first at line %d)", k.Value, prev.key.Line)
			continue
		}
		out[k.Value] = field{key: k, value: v}
	}
	return out
}

// walk checks the top node of a tokens file and builds its Tokens.
func (p *tokensParser) walk(root *yaml.Node) *Tokens {
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "", `want a mapping with a list of tokens under "tokens:", got %s`, describe(root))
		return nil
	}
	top := p.fields(root, "", []string{fieldTokens})
	list, ok := top[fieldTokens]
	if !ok {
		p.errorf(root, "", `missing field "tokens" (the list of tokens)`)
		return nil
	}
	if list.value.Kind != yaml.SequenceNode {
		if list.value.Kind == yaml.ScalarNode && list.value.Tag == "!!null" {
			p.errorf(list.value, "tokens", "the list is empty")
		} else {
			p.errorf(list.value, "tokens", "want a list of tokens, got %s", describe(list.value))
		}
		return nil
	}
	if len(list.value.Content) == 0 {
		p.errorf(list.value, "tokens", "the list is empty")
		return nil
	}
	t := &Tokens{}
	firstAt := map[[sha256.Size]byte]string{} // token hash -> "tokens[1] at line 5"
	for i, item := range list.value.Content {
		if !p.visit(item, 1) {
			break
		}
		where := fmt.Sprintf("tokens[%d]", i)
		e, tokNode, ok := p.entry(resolve(item), where)
		if !ok {
			continue
		}
		if first, dup := firstAt[e.sum]; dup {
			p.errorf(tokNode, where, "duplicate token (same as %s)", first)
			continue
		}
		firstAt[e.sum] = fmt.Sprintf("%s at line %d", where, tokNode.Line)
		t.entries = append(t.entries, e)
	}
	return t
}

// entry checks one item of the tokens list. It returns the entry, the node
// of its token, and whether the entry is free of problems.
func (p *tokensParser) entry(n *yaml.Node, where string) (tokenEntry, *yaml.Node, bool) {
	errs := len(p.errs)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, where, "want a mapping with token, subject and kind, got %s", describe(n))
		return tokenEntry{}, nil, false
	}
	fs := p.fields(n, where, entryFields)
	bad := map[string]bool{} // fields already reported as not strings
	str := func(name string) string {
		f, ok := fs[name]
		if !ok {
			return ""
		}
		if f.value.Kind != yaml.ScalarNode {
			p.errorf(f.value, where+"."+name, "want a string, got %s", describe(f.value))
			bad[name] = true
			return ""
		}
		if f.value.Tag == "!!null" {
			return ""
		}
		return f.value.Value
	}

	var pr Principal
	pr.Subject = str(fieldSubject)
	pr.Name = str(fieldName)
	pr.Kind = Kind(str(fieldKind))
	pr.Agency = str(fieldAgency)
	pr.ApplicantID = str(fieldApplicantID)
	if f, ok := fs[fieldRoles]; ok {
		switch {
		case f.value.Kind == yaml.SequenceNode:
			if !p.visit(f.value, len(f.value.Content)) {
				return tokenEntry{}, nil, false
			}
			for j, r := range f.value.Content {
				r = resolve(r)
				if r.Kind != yaml.ScalarNode || r.Tag == "!!null" {
					p.errorf(r, fmt.Sprintf("%s.roles[%d]", where, j), "want a role id, got %s", describe(r))
					bad[fieldRoles] = true
					continue
				}
				pr.Roles = append(pr.Roles, r.Value)
			}
		case f.value.Kind == yaml.ScalarNode && f.value.Tag == "!!null":
		default:
			bad[fieldRoles] = true
			if f.value.Kind == yaml.ScalarNode {
				p.errorf(f.value, where+".roles", "want a list of role ids, got a scalar (write roles: [%s])", f.value.Value)
			} else {
				p.errorf(f.value, where+".roles", "want a list of role ids, got %s", describe(f.value))
			}
		}
	}

	var e tokenEntry
	plain, hashed := fs[fieldToken], fs[fieldTokenSHA256]
	tokNode := n
	switch {
	case plain.key != nil && hashed.key != nil:
		p.errorf(hashed.key, where, `give either "token" or "token_sha256", not both`)
	case plain.key != nil:
		tokNode = plain.value
		token := str(fieldToken)
		switch {
		case token == "":
			if plain.value.Kind == yaml.ScalarNode {
				p.errorf(tokNode, where+".token", "the token is empty")
			}
		case utf8.RuneCountInString(token) < MinTokenLength:
			p.errorf(tokNode, where+".token", "the token has %d characters; use at least %d (for example the output of: openssl rand -base64 32)",
				utf8.RuneCountInString(token), MinTokenLength)
		case strings.IndexFunc(token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 || !utf8.ValidString(token):
			p.errorf(tokNode, where+".token", "the token holds white space or control characters, which cannot be sent in a header")
		default:
			e.sum = sha256.Sum256([]byte(token))
		}
	case hashed.key != nil:
		tokNode = hashed.value
		h := str(fieldTokenSHA256)
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			if hashed.value.Kind == yaml.ScalarNode {
				p.errorf(tokNode, where+".token_sha256", "want the SHA-256 of the token in %d hexadecimal digits, got %d characters%s",
					2*sha256.Size, utf8.RuneCountInString(h), nonHex(h))
			}
		} else {
			copy(e.sum[:], b)
		}
	default:
		p.errorf(n, where, `missing field "token" (or "token_sha256")`)
	}

	for _, pb := range checkPrincipal(pr) {
		if bad[pb.field] {
			continue
		}
		f, present := fs[pb.field]
		switch {
		case pb.missing && present:
			p.errorf(f.value, where+"."+pb.field, "field %q is empty (%s)", pb.field, pb.hint)
		case pb.missing:
			p.errorf(n, where, "missing field %q (%s)", pb.field, pb.hint)
		case present:
			p.errorf(f.value, where+"."+pb.field, "%s", pb.msg)
		default:
			p.errorf(n, where, "%s", pb.msg)
		}
	}
	if pr.Kind == KindCitizen && pr.ApplicantID == "" {
		pr.ApplicantID = pr.Subject
	}
	e.principal = pr
	return e, tokNode, len(p.errs) == errs
}

// nonHex says, for a message, that s holds characters other than
// hexadecimal digits, if it does.
func nonHex(s string) string {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return " (not all hexadecimal digits)"
		}
	}
	return ""
}

// problem is what is wrong with one field of a principal.
type problem struct {
	field   string // name of the field in a tokens file
	missing bool   // the field is missing or empty; hint says what it should hold
	hint    string
	msg     string // what is wrong, when not missing
}

// String describes the problem without a position.
func (pb problem) String() string {
	if pb.missing {
		return fmt.Sprintf("missing field %q (%s)", pb.field, pb.hint)
	}
	return pb.field + ": " + pb.msg
}

// checkPrincipal lists what is wrong with p as an entry of a tokens file.
func checkPrincipal(p Principal) []problem {
	var out []problem
	if p.Subject == "" {
		out = append(out, problem{field: fieldSubject, missing: true, hint: "an account id, or a citizen's identity number"})
	}
	switch {
	case p.Kind == "":
		return append(out, problem{field: fieldKind, missing: true, hint: "citizen, officer, analyst or admin"})
	case !p.Kind.valid():
		msg := fmt.Sprintf("unknown kind %q (want citizen, officer, analyst or admin", string(p.Kind))
		if s := suggest.DidYouMean(string(p.Kind), kinds); s != "" {
			msg += "; " + s
		}
		return append(out, problem{field: fieldKind, msg: msg + ")"})
	}
	if p.Kind == KindOfficer {
		if len(p.Roles) == 0 {
			out = append(out, problem{field: fieldRoles, missing: true, hint: "an officer needs at least one role id of the definitions"})
		}
		if p.Agency == "" {
			out = append(out, problem{field: fieldAgency, missing: true, hint: "an officer needs the agency id of the definitions they work for"})
		}
	} else if len(p.Roles) > 0 {
		out = append(out, problem{field: fieldRoles, msg: fmt.Sprintf("only an officer has roles, not %s", p.Kind.article())})
	}
	if slices.Contains(p.Roles, "") {
		out = append(out, problem{field: fieldRoles, msg: "a role id is empty"})
	}
	if p.Kind == KindCitizen && p.Agency != "" {
		out = append(out, problem{field: fieldAgency, msg: "a citizen has no agency"})
	}
	if p.Kind != KindCitizen && p.ApplicantID != "" {
		out = append(out, problem{field: fieldApplicantID, msg: fmt.Sprintf("only a citizen has an applicant_id, not %s", p.Kind.article())})
	}
	return out
}

// SampleEntry is one principal of a generated tokens file, with its token.
type SampleEntry struct {
	Principal Principal
	Token     string
}

// sampleHeader opens a file WriteSample writes.
const sampleHeader = `# motcua tokens file — FOR DEVELOPMENT ONLY.
#
# Generated with fresh random tokens for a local or test installation.
# Whoever holds one of the tokens below acts as its principal: keep this file
# private, and do not use it in production. There, use OIDC (auth mode
# "oidc"), or a tokens file that holds only token_sha256, the SHA-256 of
# tokens kept elsewhere.

`

// sampleFileEntry is how WriteSample writes one entry.
type sampleFileEntry struct {
	Token       string   `yaml:"token"`
	Subject     string   `yaml:"subject"`
	Name        string   `yaml:"name,omitempty"`
	Kind        Kind     `yaml:"kind"`
	Roles       []string `yaml:"roles,omitempty,flow"`
	Agency      string   `yaml:"agency,omitempty"`
	ApplicantID string   `yaml:"applicant_id,omitempty"`
}

// IsSampleFile reports whether the tokens file at path is a development
// sample written by WriteSample (it starts with the sample's header), which
// a production server must not run with.
func IsSampleFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("auth: reading the tokens file: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sampleHeaderFirstLine))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("auth: reading the tokens file: %w", err)
	}
	return string(head[:n]) == sampleHeaderFirstLine, nil
}

// sampleHeaderFirstLine is the first line of sampleHeader.
var sampleHeaderFirstLine = sampleHeader[:strings.IndexByte(sampleHeader, '\n')+1]

// WriteSample writes a tokens file at path for principals, each with a
// fresh random token (32 bytes from crypto/rand in unpadded base64url),
// under a header saying the file is for development only. It creates the
// file with mode 0600 and refuses to overwrite one: then it returns an
// error wrapping fs.ErrExist. It returns the principals with their tokens,
// in order.
func WriteSample(path string, principals []Principal) ([]SampleEntry, error) {
	if len(principals) == 0 {
		return nil, errors.New("auth: writing sample tokens file: no principals given")
	}
	var doc struct {
		Tokens []sampleFileEntry `yaml:"tokens"`
	}
	entries := make([]SampleEntry, len(principals))
	for i, pr := range principals {
		if pbs := checkPrincipal(pr); len(pbs) > 0 {
			return nil, fmt.Errorf("auth: writing sample tokens file: principal %d (subject %q): %s", i, pr.Subject, pbs[0])
		}
		var raw [32]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, fmt.Errorf("auth: writing sample tokens file: generating a token: %w", err)
		}
		token := base64.RawURLEncoding.EncodeToString(raw[:])
		applicant := pr.ApplicantID
		if applicant == pr.Subject {
			applicant = ""
		}
		doc.Tokens = append(doc.Tokens, sampleFileEntry{
			Token: token, Subject: pr.Subject, Name: pr.Name, Kind: pr.Kind,
			Roles: pr.Roles, Agency: pr.Agency, ApplicantID: applicant,
		})
		pr = pr.clone()
		if pr.Kind == KindCitizen && pr.ApplicantID == "" {
			pr.ApplicantID = pr.Subject
		}
		entries[i] = SampleEntry{Principal: pr, Token: token}
	}
	var buf bytes.Buffer
	buf.WriteString(sampleHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("auth: writing sample tokens file: encoding: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("auth: writing sample tokens file: encoding: %w", err)
	}
	// What we write must load.
	if _, err := ParseTokens(path, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("auth: writing sample tokens file: the generated file does not load: %w", err)
	}

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("auth: %s exists; not overwriting it (remove it to generate new tokens): %w", path, fs.ErrExist)
		}
		return nil, fmt.Errorf("auth: writing sample tokens file: %w", err)
	}
	_, werr := f.Write(buf.Bytes())
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("auth: writing sample tokens file %s: %w", path, werr)
	}
	return entries, nil
}
