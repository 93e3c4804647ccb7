// Package signing gives electronic results the agency's digital signature
// (Decree 45/2020/NĐ-CP: an electronic result carries the agency's digital
// signature and has the same legal value as paper).
//
// # Keys and certificates
//
// EnsureAgencyCertificate keeps one key pair per agency in a folder:
//
//	<dir>/agency-cert.pem  CERTIFICATE, self-signed, subject CN=O=<agency name>, C=VN
//	<dir>/agency-key.pem   PRIVATE KEY (PKCS #8), mode 0600
//
// The first call creates an ECDSA P-256 key and a ten-year self-signed
// certificate; later calls load them. A key loaded from the folder may also
// be RSA (2048 bits or more), for agencies that bring a key of their own.
//
// # Signature format
//
// A signature is detached: a small JSON document next to the signed one
// (see Signature):
//
//	{
//	  "format": "motcua-signature/v1",
//	  "algorithm": "ecdsa-p256-sha256",          // or "rsa-pkcs1v15-sha256"
//	  "certificate": "<base64 of the signer certificate, DER>",
//	  "sha256": "<hex SHA-256 of the document>",
//	  "signed_at": "2025-03-04T02:05:06Z",
//	  "value": "<base64 of the signature, ASN.1 DER for ECDSA>"
//	}
//
// The signature is not made over the document alone but over these bytes,
// so that the signing time and the certificate cannot be swapped either:
//
//	motcua-signature/v1\n
//	algorithm: <algorithm>\n
//	sha256: <hex SHA-256 of the document>\n
//	signed-at: <signed_at in UTC, RFC 3339 with nanoseconds, trailing zeros trimmed>\n
//	certificate-sha256: <hex SHA-256 of the certificate DER>\n
//
// The signing time is the signer's clock: there is no time-stamping
// authority, so the chain is checked as of that time.
package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/atomicfile"
)

// File names inside the folder given to EnsureAgencyCertificate.
const (
	CertFile = "agency-cert.pem"
	KeyFile  = "agency-key.pem"
)

// certValidity is how long a created agency certificate is valid.
const certValidity = 10 * 365 * 24 * time.Hour

// oidDocumentSigning is id-kp-documentSigning (RFC 9336).
var oidDocumentSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 36}

// Signer signs documents with an agency's key.
type Signer struct {
	cert      *x509.Certificate
	key       crypto.Signer
	algorithm string
	// now is the clock of signing times; tests replace it.
	now func() time.Time
}

// EnsureAgencyCertificate returns the signer of an agency whose key and
// certificate live in dir. When dir holds neither, it creates dir (0700), an
// ECDSA P-256 key and a self-signed certificate naming the agency. When it
// holds both, it loads them and checks that the key belongs to the
// certificate and that the certificate names agencyName. A key without a
// certificate, or the reverse, is an error: a private key is never
// overwritten.
func EnsureAgencyCertificate(dir, agencyName string) (*Signer, error) {
	agencyName = strings.TrimSpace(agencyName)
	if agencyName == "" {
		return nil, errors.New("agency certificate: the agency name is empty")
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certOK, err := exists(certPath)
	if err != nil {
		return nil, err
	}
	keyOK, err := exists(keyPath)
	if err != nil {
		return nil, err
	}
	switch {
	case certOK && keyOK:
		return loadSigner(certPath, keyPath, agencyName)
	case keyOK:
		return nil, fmt.Errorf("agency certificate: %s exists but %s does not; restore the certificate, or remove the key to create a new pair", keyPath, certPath)
	case certOK:
		return nil, fmt.Errorf("agency certificate: %s exists but its key %s does not", certPath, keyPath)
	}
	return createSigner(dir, certPath, keyPath, agencyName)
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("agency certificate: %w", err)
	}
}

func createSigner(dir, certPath, keyPath, agencyName string) (*Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agency certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: generating key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("agency certificate: serial number: %w", err)
	}
	now := time.Now()
	subject := pkix.Name{CommonName: agencyName, Organization: []string{agencyName}, Country: []string{"VN"}}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		Issuer:                subject,
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(certValidity).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageCertSign,
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidDocumentSigning},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: creating certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: encoding key: %w", err)
	}
	// The key first, the certificate last: the certificate marks a
	// complete pair. Neither replaces an existing file.
	if err := atomicfile.Create(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		return nil, fmt.Errorf("agency certificate: writing key: %w", err)
	}
	if err := atomicfile.Create(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, fmt.Errorf("agency certificate: writing certificate: %w", err)
	}
	return newSigner(cert, key)
}

func loadSigner(certPath, keyPath, agencyName string) (*Signer, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: %w", err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("agency certificate %s: %w", certPath, err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(keyPath)
		if err != nil {
			return nil, fmt.Errorf("agency certificate: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("agency key %s is accessible by others (mode %04o); run chmod 600 on it", keyPath, fi.Mode().Perm())
		}
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("agency certificate: %w", err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("agency key %s: no PEM block of type PRIVATE KEY (PKCS #8)", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("agency key %s: %w", keyPath, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("agency key %s: a %T cannot sign", keyPath, k)
	}
	if got := cert.Subject.CommonName; got != agencyName {
		return nil, fmt.Errorf("agency certificate %s names %q, not %q", certPath, got, agencyName)
	}
	s, err := newSigner(cert, key)
	if err != nil {
		return nil, fmt.Errorf("agency certificate %s: %w", certPath, err)
	}
	return s, nil
}

func newSigner(cert *x509.Certificate, key crypto.Signer) (*Signer, error) {
	alg, err := algorithmOf(cert)
	if err != nil {
		return nil, err
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, errors.New("the key does not belong to the certificate")
	}
	if rk, ok := key.(*rsa.PrivateKey); ok && rk.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA key of %d bits is too short (want 2048 or more)", rk.N.BitLen())
	}
	return &Signer{cert: cert, key: key, algorithm: alg, now: time.Now}, nil
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM block of type CERTIFICATE")
	}
	return x509.ParseCertificate(block.Bytes)
}

// Certificate returns the agency's certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// Name returns the agency named by the certificate.
func (s *Signer) Name() string { return s.cert.Subject.CommonName }

// Algorithm returns the signature algorithm of the signer's key.
func (s *Signer) Algorithm() string { return s.algorithm }

// CertPool returns a pool holding the signer's own certificate, to use as
// roots when verifying its signatures.
func (s *Signer) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.cert)
	return p
}

// Sign makes a detached signature of doc, timed by the signer's clock
// (whole seconds, UTC).
func (s *Signer) Sign(doc []byte) (Signature, error) {
	sum := sha256.Sum256(doc)
	sig := Signature{
		Format:      FormatV1,
		Algorithm:   s.algorithm,
		Certificate: base64.StdEncoding.EncodeToString(s.cert.Raw),
		SHA256:      hex.EncodeToString(sum[:]),
		SignedAt:    s.now().UTC().Truncate(time.Second),
	}
	if sig.SignedAt.Before(s.cert.NotBefore) || sig.SignedAt.After(s.cert.NotAfter) {
		return Signature{}, fmt.Errorf("signing: the certificate of %q is valid from %s to %s, not at %s",
			s.Name(), s.cert.NotBefore.Format(time.RFC3339), s.cert.NotAfter.Format(time.RFC3339), sig.SignedAt.Format(time.RFC3339))
	}
	digest := sha256.Sum256(signedData(sig.Algorithm, sum[:], sig.SignedAt, s.cert.Raw))
	value, err := s.key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return Signature{}, fmt.Errorf("signing: %w", err)
	}
	sig.Value = base64.StdEncoding.EncodeToString(value)
	return sig, nil
}

// LoadRoots reads a pool of trusted certificates from PEM files, each of
// which may hold several certificates.
func LoadRoots(paths ...string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("roots: %w", err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return nil, fmt.Errorf("roots: %s holds no PEM certificate", p)
		}
	}
	return pool, nil
}
