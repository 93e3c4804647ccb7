package signing

import (
	"crypto/x509"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseSignature feeds the signature decoder what may come from
// outside (a .sig.json handed to `motcua verify`): it must never panic,
// must fail only with ErrMalformed, and what it accepts must encode and
// decode to the same signature and go through Verify without panicking.
//
//	go test -run=^$ -fuzz=FuzzParseSignature -fuzzminimizetime=3s ./internal/signing/
//
// Interesting inputs are about a kilobyte (a certificate) and each run
// verifies ECDSA, so minimising one at the default -fuzzminimizetime=60s
// looks like a stall; a few seconds is enough.
func FuzzParseSignature(f *testing.F) {
	s, err := EnsureAgencyCertificate(filepath.Join(f.TempDir(), "pki"), tayNinh)
	require.NoError(f, err)
	doc := []byte(`{"ma_ket_qua":"H57-0001-KQ1"}`)
	sig, err := s.Sign(doc)
	require.NoError(f, err)
	good, err := sig.Encode()
	require.NoError(f, err)

	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Add([]byte(`{"format":"motcua-signature/v1","algorithm":"ecdsa-p256-sha256","certificate":"","sha256":"","signed_at":"2025-01-01T00:00:00Z","value":""}`))
	f.Add([]byte(`{"signed_at":"0000-01-01T00:00:00+23:59"}`))
	roots := s.CertPool()

	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := ParseSignature(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		enc, err := sig.Encode()
		require.NoError(t, err)
		again, err := ParseSignature(enc)
		require.NoError(t, err)
		require.Equal(t, sig.Format, again.Format)
		require.Equal(t, sig.Algorithm, again.Algorithm)
		require.Equal(t, sig.Certificate, again.Certificate)
		require.Equal(t, sig.SHA256, again.SHA256)
		require.Equal(t, sig.Value, again.Value)
		require.True(t, sig.SignedAt.Equal(again.SignedAt))

		for _, r := range []*x509.CertPool{nil, roots} {
			v, err := Verify(doc, sig, r)
			if err == nil {
				require.Equal(t, sig.SHA256, v.SHA256)
			}
		}
	})
}
