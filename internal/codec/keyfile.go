package codec

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/motcua/motcua/internal/atomicfile"
)

// A key file holds the keys of a deployment, base64-encoded:
//
//	# motcua payload keys
//	current: k20261125
//	keys:
//	  k20261125: 8mZ1…=
//	  k20250101: Qe0c…=
//
// Every worker, API node and codec endpoint of a deployment reads the same
// file. It must stay secret (mode 0600) and be backed up: a lost key loses
// the histories it sealed.

// keyFile is the YAML of a key file.
type keyFile struct {
	Current string            `yaml:"current"`
	Keys    map[string]string `yaml:"keys"`
}

const keyFileHeader = `# motcua payload keys (internal/codec): AES-256 keys, base64, by id.
# Keep this file secret (mode 0600) and backed up: a lost key loses the
# Temporal histories it sealed. Rotate with 'motcua keys rotate'.
`

// LoadKeyFile reads a key file into a key ring. Its errors name the file
// and, for a bad entry, its line and column.
func LoadKeyFile(path string) (*KeyRing, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("codec: reading the key file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("codec: %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("codec: %s: want a mapping with current and keys", path)
	}
	root := doc.Content[0]
	var current string
	var currentAt *yaml.Node
	keys := map[string][]byte{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		at := func(n *yaml.Node) string { return fmt.Sprintf("%s:%d:%d", path, n.Line, n.Column) }
		switch k.Value {
		case "current":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, fmt.Errorf("codec: %s: current must name a key", at(v))
			}
			current, currentAt = v.Value, v
		case "keys":
			if v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("codec: %s: keys must map ids to base64 keys", at(v))
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				id, val := v.Content[j], v.Content[j+1]
				if _, dup := keys[id.Value]; dup {
					return nil, fmt.Errorf("codec: %s: key %q is listed twice", at(id), id.Value)
				}
				raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val.Value))
				if err != nil {
					return nil, fmt.Errorf("codec: %s: key %q is not base64: %w", at(val), id.Value, err)
				}
				if len(raw) != KeySize {
					return nil, fmt.Errorf("codec: %s: key %q has %d bytes, want %d (AES-256)", at(val), id.Value, len(raw), KeySize)
				}
				keys[id.Value] = raw
			}
		default:
			return nil, fmt.Errorf("codec: %s: unknown field %q (want current and keys)", at(k), k.Value)
		}
	}
	switch {
	case len(keys) == 0:
		return nil, fmt.Errorf("codec: %s: no keys", path)
	case currentAt == nil:
		return nil, fmt.Errorf("codec: %s: no current key", path)
	case keys[current] == nil:
		return nil, fmt.Errorf("codec: %s:%d:%d: current key %q is not among the keys", path, currentAt.Line, currentAt.Column, current)
	}
	return NewKeyRing(current, keys)
}

// NewKey returns a random 256-bit key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("codec: drawing a key: %w", err)
	}
	return k, nil
}

// keyID names a key made at t: k and the date, with a suffix when the date
// is taken.
func keyID(t time.Time, taken map[string]string) string {
	id := "k" + t.UTC().Format("20060102")
	for n := 2; taken[id] != ""; n++ {
		id = fmt.Sprintf("k%s-%d", t.UTC().Format("20060102"), n)
	}
	return id
}

// WriteKeyFile creates a key file with one new key; it refuses to replace
// an existing file. It returns the key's id.
func WriteKeyFile(path string) (string, error) {
	k, err := NewKey()
	if err != nil {
		return "", err
	}
	id := keyID(time.Now(), nil)
	data, err := marshalKeyFile(keyFile{Current: id, Keys: map[string]string{id: base64.StdEncoding.EncodeToString(k)}})
	if err != nil {
		return "", err
	}
	if err := atomicfile.Create(path, data, 0o600); err != nil {
		return "", fmt.Errorf("codec: creating the key file: %w", err)
	}
	return id, nil
}

// RotateKeyFile adds a new key to a key file and makes it current; the old
// keys stay, to open the histories they sealed. The file is replaced
// atomically, its mode kept. It returns the new key's id.
func RotateKeyFile(path string) (string, error) {
	if _, err := LoadKeyFile(path); err != nil {
		return "", err
	}
	var kf keyFile
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("codec: reading the key file: %w", err)
	}
	if err := yaml.Unmarshal(data, &kf); err != nil {
		return "", fmt.Errorf("codec: %s: %w", path, err)
	}
	k, err := NewKey()
	if err != nil {
		return "", err
	}
	id := keyID(time.Now(), kf.Keys)
	kf.Keys[id] = base64.StdEncoding.EncodeToString(k)
	kf.Current = id
	out, err := marshalKeyFile(kf)
	if err != nil {
		return "", err
	}
	mode := fs.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	if err := atomicfile.Write(path, out, mode); err != nil {
		return "", fmt.Errorf("codec: rotating the key file: %w", err)
	}
	return id, nil
}

// marshalKeyFile writes a key file: the header, the current key, then the
// keys newest id first.
func marshalKeyFile(kf keyFile) ([]byte, error) {
	ids := make([]string, 0, len(kf.Keys))
	for id := range kf.Keys {
		ids = append(ids, id)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(ids)))
	keys := &yaml.Node{Kind: yaml.MappingNode}
	for _, id := range ids {
		keys.Content = append(keys.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: id},
			&yaml.Node{Kind: yaml.ScalarNode, Value: kf.Keys[id]})
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "current"}, {Kind: yaml.ScalarNode, Value: kf.Current},
		{Kind: yaml.ScalarNode, Value: "keys"}, keys,
	}}
	var b bytes.Buffer
	b.WriteString(keyFileHeader)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("codec: writing the key file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, errors.Join(fmt.Errorf("codec: writing the key file"), err)
	}
	return b.Bytes(), nil
}
