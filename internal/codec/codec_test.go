package codec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

func ring(t *testing.T, current string, ids ...string) *KeyRing {
	t.Helper()
	keys := map[string][]byte{}
	for i, id := range ids {
		keys[id] = bytes.Repeat([]byte{byte(i + 1)}, KeySize)
	}
	r, err := NewKeyRing(current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// applicant is the kind of value the codec must hide.
type applicant struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
}

var citizen = applicant{ID: "079203001234", Name: "Nguyễn Thị Hoa", Address: "12 Trần Hưng Đạo, Tây Ninh"}

func TestRoundTripHidesPlaintext(t *testing.T) {
	dc := DataConverter(ring(t, "k1", "k1"))
	p, err := dc.ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data, []byte(citizen.ID)) || bytes.Contains(p.Data, []byte("Hoa")) {
		t.Fatal("the encoded payload holds the plaintext")
	}
	for k, v := range p.Metadata {
		if bytes.Contains(v, []byte(citizen.ID)) || k == "json" {
			t.Fatalf("metadata %q=%q leaks", k, v)
		}
	}
	if string(p.Metadata[MetadataEncoding]) != EncodingEncrypted || string(p.Metadata[MetadataKeyID]) != "k1" {
		t.Fatalf("metadata %v", p.Metadata)
	}
	var back applicant
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back != citizen {
		t.Fatalf("got %+v", back)
	}
	// Two encodings of the same value differ (a fresh nonce each time).
	q, err := dc.ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(p.Data, q.Data) {
		t.Fatal("two seals of the same value are equal: the nonce is not fresh")
	}
}

// TestRotation seals with k1, rotates to k2: old payloads still open, new
// ones are sealed with k2, and a ring without k1 refuses the old ones.
func TestRotation(t *testing.T) {
	old := DataConverter(ring(t, "k1", "k1"))
	p, err := old.ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	rotated := DataConverter(ring(t, "k2", "k1", "k2"))
	var back applicant
	if err := rotated.FromPayload(p, &back); err != nil || back != citizen {
		t.Fatalf("the rotated ring does not open an old payload: %v %+v", err, back)
	}
	q, err := rotated.ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	if string(q.Metadata[MetadataKeyID]) != "k2" {
		t.Fatalf("sealed with %q, want k2", q.Metadata[MetadataKeyID])
	}
	withoutK1 := New(ring(t, "k2", "k2"))
	if _, err := withoutK1.Decode([]*commonpb.Payload{p}); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func TestTamperingIsRefused(t *testing.T) {
	c := New(ring(t, "k1", "k1", "k2"))
	plain, err := converter.GetDefaultDataConverter().ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	flip := func(f func(p *commonpb.Payload)) *commonpb.Payload {
		p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: bytes.Clone(enc[0].Data)}
		for k, v := range enc[0].Metadata {
			p.Metadata[k] = bytes.Clone(v)
		}
		f(p)
		return p
	}
	for name, p := range map[string]*commonpb.Payload{
		"a flipped bit":   flip(func(p *commonpb.Payload) { p.Data[len(p.Data)-1] ^= 1 }),
		"another key id":  flip(func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k2") }),
		"too short":       flip(func(p *commonpb.Payload) { p.Data = p.Data[:10] }),
		"unknown cipher":  flip(func(p *commonpb.Payload) { p.Metadata[MetadataCipher] = []byte("ROT13") }),
		"unknown key":     flip(func(p *commonpb.Payload) { p.Metadata[MetadataKeyID] = []byte("k9") }),
		"truncated nonce": flip(func(p *commonpb.Payload) { p.Data = p.Data[:12] }),
	} {
		if _, err := c.Decode([]*commonpb.Payload{p}); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

func TestPlainPayloadsPassThrough(t *testing.T) {
	c := New(ring(t, "k1", "k1"))
	plain, err := converter.GetDefaultDataConverter().ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Decode([]*commonpb.Payload{plain})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != plain {
		t.Fatal("a history written before the codec must decode as it is")
	}
}

func TestNewKeyRingErrors(t *testing.T) {
	k := bytes.Repeat([]byte{1}, KeySize)
	for name, tc := range map[string]struct {
		current string
		keys    map[string][]byte
		want    string
	}{
		"no keys":         {"k1", nil, "at least one key"},
		"short key":       {"k1", map[string][]byte{"k1": k[:16]}, "16 bytes"},
		"missing current": {"k2", map[string][]byte{"k1": k}, `current key "k2"`},
		"empty id":        {"", map[string][]byte{"": k}, "empty id"},
	} {
		if _, err := NewKeyRing(tc.current, tc.keys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

func TestKeyFileWriteRotateLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.yaml")
	id1, err := WriteKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := WriteKeyFile(path); err == nil {
		t.Fatal("WriteKeyFile replaced an existing key file")
	}
	r1, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DataConverter(r1).ToPayload(citizen)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := RotateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if id2 == id1 {
		t.Fatalf("rotation kept the id %q", id1)
	}
	r2, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Current() != id2 || len(r2.IDs()) != 2 {
		t.Fatalf("after rotation: current %q, ids %v", r2.Current(), r2.IDs())
	}
	var back applicant
	if err := DataConverter(r2).FromPayload(p, &back); err != nil || back != citizen {
		t.Fatalf("after rotation the old payload does not open: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("rotation changed the mode to %v", fi.Mode().Perm())
	}
}

func TestLoadKeyFileErrors(t *testing.T) {
	good := "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=" // 32 bytes of 1
	for name, tc := range map[string]struct{ text, want string }{
		"not yaml":      {"current: [", "keys.yaml"},
		"a list":        {"- a\n", "want a mapping"},
		"no keys":       {"current: k1\n", "no keys"},
		"no current":    {"keys:\n  k1: " + good + "\n", "no current key"},
		"bad base64":    {"current: k1\nkeys:\n  k1: not-base64!\n", "keys.yaml:3:7: key \"k1\" is not base64"},
		"short key":     {"current: k1\nkeys:\n  k1: AQEB\n", "keys.yaml:3:7: key \"k1\" has 3 bytes"},
		"unknown field": {"current: k1\nkey:\n  k1: " + good + "\n", "keys.yaml:2:1: unknown field \"key\""},
		"duplicate":     {"current: k1\nkeys:\n  k1: " + good + "\n  k1: " + good + "\n", "keys.yaml:4:3: key \"k1\" is listed twice"},
		"wrong current": {"current: k2\nkeys:\n  k1: " + good + "\n", "keys.yaml:1:10: current key \"k2\" is not among the keys"},
	} {
		path := filepath.Join(t.TempDir(), "keys.yaml")
		if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.want)
		}
	}
}

// FuzzDecode feeds the codec arbitrary payloads claiming to be encrypted:
// it must refuse them with an error, never panic, never return a payload
// it could not authenticate.
func FuzzDecode(f *testing.F) {
	r, err := NewKeyRing("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, KeySize)})
	if err != nil {
		f.Fatal(err)
	}
	c := New(r)
	enc, err := c.Encode([]*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc[0].Data, "k1", CipherAESGCM)
	f.Add([]byte{}, "k1", CipherAESGCM)
	f.Add([]byte("short"), "k2", "x")
	f.Fuzz(func(t *testing.T, data []byte, keyID, cph string) {
		p := &commonpb.Payload{Metadata: map[string][]byte{
			MetadataEncoding: []byte(EncodingEncrypted), MetadataKeyID: []byte(keyID), MetadataCipher: []byte(cph)}, Data: data}
		out, err := c.Decode([]*commonpb.Payload{p})
		if err == nil && (keyID != "k1" || cph != CipherAESGCM || len(out) != 1) {
			t.Fatalf("decoded a payload of key %q, cipher %q", keyID, cph)
		}
	})
}
