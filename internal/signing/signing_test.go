package signing

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	tayNinh = "Ủy ban nhân dân tỉnh Tây Ninh"
	hue     = "Ủy ban nhân dân thành phố Huế"
)

func testSigner(t *testing.T, agency string) *Signer {
	t.Helper()
	s, err := EnsureAgencyCertificate(filepath.Join(t.TempDir(), "pki"), agency)
	require.NoError(t, err)
	return s
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestSignVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	s := testSigner(t, tayNinh)
	require.Equal(t, tayNinh, s.Certificate().Subject.CommonName)
	require.Equal(t, []string{tayNinh}, s.Certificate().Subject.Organization)
	require.Equal(t, AlgECDSAP256SHA256, s.Algorithm())

	doc := []byte(`{"ten_van_ban":"Giấy khai sinh"}`)
	before := time.Now().UTC().Truncate(time.Second)
	sig, err := s.Sign(doc)
	require.NoError(t, err)
	require.Equal(t, FormatV1, sig.Format)
	require.Equal(t, hexSum(doc), sig.SHA256)
	require.False(t, sig.SignedAt.Before(before))
	require.Equal(t, time.UTC, sig.SignedAt.Location())

	// Through its file form and back.
	enc, err := sig.Encode()
	require.NoError(t, err)
	parsed, err := ParseSignature(enc)
	require.NoError(t, err)
	require.Equal(t, sig, parsed)

	v, err := Verify(doc, parsed, s.CertPool())
	require.NoError(t, err)
	require.Equal(t, tayNinh, v.Signer)
	require.Equal(t, hexSum(doc), v.SHA256)
	require.True(t, v.SignedAt.Equal(sig.SignedAt))
	require.True(t, v.Trusted)
	require.Len(t, v.Chain, 1)
	require.Equal(t, s.Certificate().Raw, v.Certificate.Raw)

	// Without roots the signature is checked, the chain is not.
	v, err = Verify(doc, parsed, nil)
	require.NoError(t, err)
	require.False(t, v.Trusted)

	// Two signatures of the same document are both good (ECDSA is
	// randomised).
	sig2, err := s.Sign(doc)
	require.NoError(t, err)
	_, err = Verify(doc, sig2, s.CertPool())
	require.NoError(t, err)
}

func TestCertificateCreatedOnceThenReused(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki", "tay-ninh")
	first, err := EnsureAgencyCertificate(dir, tayNinh)
	require.NoError(t, err)

	keyInfo, err := os.Stat(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), keyInfo.Mode().Perm())
	certPEM, err := os.ReadFile(filepath.Join(dir, CertFile))
	require.NoError(t, err)
	keyPEM, err := os.ReadFile(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	require.Contains(t, string(certPEM), "-----BEGIN CERTIFICATE-----")
	require.Contains(t, string(keyPEM), "-----BEGIN PRIVATE KEY-----")

	second, err := EnsureAgencyCertificate(dir, "  "+tayNinh+" ")
	require.NoError(t, err)
	require.Equal(t, first.Certificate().Raw, second.Certificate().Raw)
	certAfter, err := os.ReadFile(filepath.Join(dir, CertFile))
	require.NoError(t, err)
	require.Equal(t, certPEM, certAfter)

	// What the first signer signed, the reloaded one's roots accept, and
	// the other way round.
	doc := []byte("kết quả")
	sig, err := second.Sign(doc)
	require.NoError(t, err)
	_, err = Verify(doc, sig, first.CertPool())
	require.NoError(t, err)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.ElementsMatch(t, []string{CertFile, KeyFile}, names, "no temporary files left")
}

func TestEnsureAgencyCertificateRefuses(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pki")
	_, err := EnsureAgencyCertificate(dir, tayNinh)
	require.NoError(t, err)

	t.Run("another agency's folder", func(t *testing.T) {
		t.Parallel()
		_, err := EnsureAgencyCertificate(dir, hue)
		require.EqualError(t, err, fmt.Sprintf("agency certificate %s names %q, not %q", filepath.Join(dir, CertFile), tayNinh, hue))
	})
	t.Run("empty name", func(t *testing.T) {
		t.Parallel()
		_, err := EnsureAgencyCertificate(t.TempDir(), " ")
		require.EqualError(t, err, "agency certificate: the agency name is empty")
	})
	t.Run("key without certificate", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		key, err := os.ReadFile(filepath.Join(dir, KeyFile))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(d, KeyFile), key, 0o600))
		_, err = EnsureAgencyCertificate(d, tayNinh)
		require.ErrorContains(t, err, "agency-key.pem exists but "+filepath.Join(d, CertFile)+" does not")
		// The key is left alone.
		after, err := os.ReadFile(filepath.Join(d, KeyFile))
		require.NoError(t, err)
		require.Equal(t, key, after)
	})
	t.Run("certificate without key", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		cert, err := os.ReadFile(filepath.Join(dir, CertFile))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(d, CertFile), cert, 0o644))
		_, err = EnsureAgencyCertificate(d, tayNinh)
		require.ErrorContains(t, err, "agency-cert.pem exists but its key")
	})
	t.Run("key readable by others", func(t *testing.T) {
		t.Parallel()
		d := t.TempDir()
		for _, f := range []string{CertFile, KeyFile} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(d, f), b, 0o600))
		}
		require.NoError(t, os.Chmod(filepath.Join(d, KeyFile), 0o644))
		_, err := EnsureAgencyCertificate(d, tayNinh)
		require.EqualError(t, err, fmt.Sprintf("agency key %s is accessible by others (mode 0644); run chmod 600 on it", filepath.Join(d, KeyFile)))
	})
	t.Run("key of another certificate", func(t *testing.T) {
		t.Parallel()
		other := filepath.Join(t.TempDir(), "other")
		_, err := EnsureAgencyCertificate(other, tayNinh)
		require.NoError(t, err)
		d := t.TempDir()
		cert, err := os.ReadFile(filepath.Join(dir, CertFile))
		require.NoError(t, err)
		key, err := os.ReadFile(filepath.Join(other, KeyFile))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(d, CertFile), cert, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(d, KeyFile), key, 0o600))
		_, err = EnsureAgencyCertificate(d, tayNinh)
		require.ErrorContains(t, err, "the key does not belong to the certificate")
	})
}

func TestTamperedDocument(t *testing.T) {
	t.Parallel()
	s := testSigner(t, tayNinh)
	doc := []byte(`{"ho_ten":"Nguyễn Văn A"}`)
	sig, err := s.Sign(doc)
	require.NoError(t, err)

	changed := []byte(`{"ho_ten":"Nguyễn Văn B"}`)
	_, err = Verify(changed, sig, s.CertPool())
	require.ErrorIs(t, err, ErrDocumentChanged)
	require.EqualError(t, err, fmt.Sprintf("document was changed after signing: sha256 %s ≠ %s (signed)", hexSum(changed), hexSum(doc)))
}

func TestTamperedSignature(t *testing.T) {
	t.Parallel()
	s := testSigner(t, tayNinh)
	other := testSigner(t, tayNinh) // same name, another key
	doc := []byte("Giấy chứng nhận")
	sig, err := s.Sign(doc)
	require.NoError(t, err)

	flip := func(b64 string) string {
		raw, err := base64.StdEncoding.DecodeString(b64)
		require.NoError(t, err)
		raw[len(raw)-1] ^= 0x01
		return base64.StdEncoding.EncodeToString(raw)
	}
	changedDoc := []byte("Giấy chứng nhận giả")

	cases := map[string]struct {
		doc    []byte
		modify func(*Signature)
	}{
		"value altered":     {doc, func(s *Signature) { s.Value = flip(s.Value) }},
		"signing time":      {doc, func(s *Signature) { s.SignedAt = s.SignedAt.Add(-24 * time.Hour) }},
		"hash and document": {changedDoc, func(s *Signature) { s.SHA256 = hexSum(changedDoc) }},
		"certificate swapped": {doc, func(s *Signature) {
			s.Certificate = base64.StdEncoding.EncodeToString(other.Certificate().Raw)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bad := sig
			c.modify(&bad)
			_, err := Verify(c.doc, bad, nil)
			require.ErrorIs(t, err, ErrSignatureInvalid)
			require.ErrorContains(t, err, "signature does not match: it was not made with the key of \""+tayNinh+"\"'s certificate over sha256 "+bad.SHA256)
			require.ErrorContains(t, err, "the signature was altered or made with another key")
		})
	}
}

func TestCertificateOfAnotherAgency(t *testing.T) {
	t.Parallel()
	tn := testSigner(t, tayNinh)
	h := testSigner(t, hue)
	doc := []byte("Quyết định")
	sig, err := h.Sign(doc)
	require.NoError(t, err)

	// The signature itself is good ...
	v, err := Verify(doc, sig, nil)
	require.NoError(t, err)
	require.Equal(t, hue, v.Signer)

	// ... but Huế is not among Tây Ninh's roots.
	_, err = Verify(doc, sig, tn.CertPool())
	require.ErrorIs(t, err, ErrUntrusted)
	require.ErrorContains(t, err, `signer certificate is not trusted: certificate of "`+hue+`" (issued by "`+hue+`") does not chain to the given roots: x509: certificate signed by unknown authority`)

	// Trusting both agencies accepts it.
	roots := tn.CertPool()
	roots.AddCert(h.Certificate())
	v, err = Verify(doc, sig, roots)
	require.NoError(t, err)
	require.True(t, v.Trusted)
}

func TestSignOutsideValidity(t *testing.T) {
	t.Parallel()
	s := testSigner(t, tayNinh)
	s.now = func() time.Time { return s.cert.NotAfter.Add(time.Hour) }
	_, err := s.Sign([]byte("x"))
	require.ErrorContains(t, err, "signing: the certificate of \""+tayNinh+"\" is valid from ")

	// A signature claiming a time outside the certificate's validity is
	// refused even when its value is good.
	doc := []byte("x")
	sum := sha256.Sum256(doc)
	at := s.cert.NotBefore.Add(-48 * time.Hour).UTC()
	digest := sha256.Sum256(signedData(s.algorithm, sum[:], at, s.cert.Raw))
	value, err := s.key.Sign(rand.Reader, digest[:], nil)
	require.NoError(t, err)
	sig := Signature{
		Format: FormatV1, Algorithm: s.algorithm, SHA256: hex.EncodeToString(sum[:]), SignedAt: at,
		Certificate: base64.StdEncoding.EncodeToString(s.cert.Raw), Value: base64.StdEncoding.EncodeToString(value),
	}
	_, err = Verify(doc, sig, nil)
	require.ErrorIs(t, err, ErrCertificate)
	require.ErrorContains(t, err, "signer certificate not valid at signing time: signed at "+at.Format(time.RFC3339))
}

func TestParseSignatureMalformed(t *testing.T) {
	t.Parallel()
	s := testSigner(t, tayNinh)
	good, err := s.Sign([]byte("doc"))
	require.NoError(t, err)
	enc := func(mod func(*Signature)) string {
		sig := good
		mod(&sig)
		b, err := sig.Encode()
		require.NoError(t, err)
		return string(b)
	}
	cases := map[string]struct{ in, want string }{
		"not json":        {"hello", "malformed signature: invalid character 'h' looking for beginning of value"},
		"unknown field":   {`{"format":"motcua-signature/v1","extra":1}`, `malformed signature: json: unknown field "extra"`},
		"trailing data":   {enc(func(*Signature) {}) + "{}", "malformed signature: data after the JSON object"},
		"format":          {enc(func(s *Signature) { s.Format = "pkcs7" }), `malformed signature: format "pkcs7", want "motcua-signature/v1"`},
		"algorithm":       {enc(func(s *Signature) { s.Algorithm = "md5" }), `malformed signature: unknown algorithm "md5"`},
		"algorithm mixup": {enc(func(s *Signature) { s.Algorithm = AlgRSAPKCS1SHA256 }), `malformed signature: algorithm "rsa-pkcs1v15-sha256" does not fit the certificate's key (ecdsa-p256-sha256)`},
		"certificate b64": {enc(func(s *Signature) { s.Certificate = "!!" }), "malformed signature: certificate is not base64"},
		"certificate der": {enc(func(s *Signature) { s.Certificate = "AAAA" }), "malformed signature: certificate: x509: malformed certificate"},
		"no certificate":  {enc(func(s *Signature) { s.Certificate = "" }), "malformed signature: no certificate"},
		"sha256 short":    {enc(func(s *Signature) { s.SHA256 = "abcd" }), `malformed signature: sha256 "abcd" is not 64 lower-case hex digits`},
		"sha256 upper":    {enc(func(s *Signature) { s.SHA256 = strings.ToUpper(s.SHA256) }), "is not 64 lower-case hex digits"},
		"no time":         {enc(func(s *Signature) { s.SignedAt = time.Time{} }), "malformed signature: no signing time"},
		"value b64":       {enc(func(s *Signature) { s.Value = "a b" }), "malformed signature: value is not base64"},
		"empty value":     {enc(func(s *Signature) { s.Value = "" }), "malformed signature: value of 0 bytes"},
		"too large":       {strings.Repeat(" ", MaxSignatureSize+1), "malformed signature: 65537 bytes, more than the 65536 allowed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseSignature([]byte(c.in))
			require.ErrorIs(t, err, ErrMalformed)
			require.ErrorContains(t, err, c.want)
		})
	}
}

// An agency may bring an RSA key of its own.
func TestRSAKeyFromFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: hue},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600))

	s, err := EnsureAgencyCertificate(dir, hue)
	require.NoError(t, err)
	require.Equal(t, AlgRSAPKCS1SHA256, s.Algorithm())
	sig, err := s.Sign([]byte("doc"))
	require.NoError(t, err)
	roots, err := LoadRoots(filepath.Join(dir, CertFile))
	require.NoError(t, err)
	v, err := Verify([]byte("doc"), sig, roots)
	require.NoError(t, err)
	require.True(t, v.Trusted)
	_, err = Verify([]byte("doc!"), sig, roots)
	require.ErrorIs(t, err, ErrDocumentChanged)
}

func TestLoadRoots(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "roots.pem")
	require.NoError(t, os.WriteFile(p, []byte("not pem"), 0o644))
	_, err := LoadRoots(p)
	require.EqualError(t, err, "roots: "+p+" holds no PEM certificate")
}
