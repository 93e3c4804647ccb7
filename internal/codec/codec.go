// Package codec encrypts every payload motcua hands to Temporal — workflow
// inputs (the applicant, the e-form, the components), activity inputs and
// results, updates, queries, signals, memos — with AES-256-GCM, so that
// identity numbers, names, addresses and form data never rest in plaintext
// in Temporal's history, whatever database holds it.
//
// # Format
//
// An encrypted payload has the metadata
//
//	encoding           binary/encrypted
//	encryption-key-id  the id of the key that sealed it
//	encryption-cipher  AES-256-GCM
//
// and the data nonce (12 bytes) || ciphertext || tag of the original
// payload serialised as protobuf (its metadata included, so the JSON
// encoding of the value is hidden as well). The key id is sealed as
// additional data: a payload whose id was changed does not open.
//
// # Keys and rotation
//
// A KeyRing holds named 256-bit keys and the current one. Encode always
// seals with the current key; Decode opens with the key the payload names,
// so rotating means adding a new key, making it current and keeping the old
// ones for as long as histories sealed with them are kept. A payload that
// is not encrypted (an older history, written before the codec) is decoded
// as it is. Keys are read from a key file (LoadKeyFile) or generated for
// development (WriteKeyFile).
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

// Metadata keys and values of an encrypted payload.
const (
	MetadataEncoding = "encoding"
	MetadataKeyID    = "encryption-key-id"
	MetadataCipher   = "encryption-cipher"

	EncodingEncrypted = "binary/encrypted"
	CipherAESGCM      = "AES-256-GCM"
)

// KeySize is the size of a key in bytes (AES-256).
const KeySize = 32

// ErrUnknownKey is returned for a payload sealed with a key the ring does
// not hold.
var ErrUnknownKey = errors.New("codec: payload sealed with an unknown key")

// KeyRing holds the keys payloads are sealed and opened with.
type KeyRing struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyRing returns a ring of the given keys (id → 32-byte key) whose
// current key is current.
func NewKeyRing(current string, keys map[string][]byte) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: a key ring needs at least one key")
	}
	r := &KeyRing{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, k := range keys {
		if id == "" {
			return nil, errors.New("codec: a key has an empty id")
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("codec: key %q has %d bytes, want %d (AES-256)", id, len(k), KeySize)
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", id, err)
		}
		r.aeads[id] = aead
	}
	if _, ok := r.aeads[current]; !ok {
		return nil, fmt.Errorf("codec: the current key %q is not among the keys (%v)", current, r.IDs())
	}
	return r, nil
}

// Current returns the id of the key payloads are sealed with.
func (r *KeyRing) Current() string { return r.current }

// IDs returns the ids of the keys, sorted.
func (r *KeyRing) IDs() []string {
	ids := make([]string, 0, len(r.aeads))
	for id := range r.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Codec is the Temporal payload codec of a key ring.
type Codec struct{ ring *KeyRing }

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec of a key ring.
func New(ring *KeyRing) *Codec { return &Codec{ring: ring} }

// DataConverter returns Temporal's default data converter with the codec
// of the ring: the data converter of every client and worker of a
// deployment.
func DataConverter(ring *KeyRing) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), New(ring))
}

// Encode seals each payload with the current key.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.ring.current
	aead := c.ring.aeads[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: serialising payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: drawing a nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:    []byte(id),
				MetadataCipher:   []byte(CipherAESGCM),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(id)),
		}
	}
	return out, nil
}

// Decode opens each encrypted payload with the key it names; payloads that
// are not encrypted are returned as they are.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		if cph := string(p.Metadata[MetadataCipher]); cph != CipherAESGCM {
			return nil, fmt.Errorf("codec: payload %d: unknown cipher %q (want %s)", i, cph, CipherAESGCM)
		}
		id := string(p.Metadata[MetadataKeyID])
		aead, ok := c.ring.aeads[id]
		if !ok {
			return nil, fmt.Errorf("%w: payload %d names key %q; the ring holds %v", ErrUnknownKey, i, id, c.ring.IDs())
		}
		if len(p.Data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("codec: payload %d: %d bytes, too short to be sealed", i, len(p.Data))
		}
		nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, []byte(id))
		if err != nil {
			return nil, fmt.Errorf("codec: payload %d does not open with key %q (altered, or sealed with another key of that id): %w", i, id, err)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return nil, fmt.Errorf("codec: payload %d: the opened payload does not parse: %w", i, err)
		}
		out[i] = &orig
	}
	return out, nil
}
