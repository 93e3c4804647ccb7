package signing

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// FormatV1 is the format of the signatures this package makes.
const FormatV1 = "motcua-signature/v1"

// Signature algorithms.
const (
	AlgECDSAP256SHA256 = "ecdsa-p256-sha256"   // ECDSA on P-256 over SHA-256, ASN.1 DER value
	AlgRSAPKCS1SHA256  = "rsa-pkcs1v15-sha256" // RSASSA-PKCS1-v1_5 over SHA-256
)

// MaxSignatureSize bounds an encoded signature; ParseSignature refuses
// larger input.
const MaxSignatureSize = 64 << 10

// Errors of Verify and ParseSignature; test for them with errors.Is.
var (
	ErrMalformed        = errors.New("malformed signature")
	ErrDocumentChanged  = errors.New("document was changed after signing")
	ErrSignatureInvalid = errors.New("signature does not match")
	ErrCertificate      = errors.New("signer certificate not valid at signing time")
	ErrUntrusted        = errors.New("signer certificate is not trusted")
)

// Signature is a detached signature of a document; its JSON form is the
// .sig.json file (see the package documentation).
type Signature struct {
	Format      string    `json:"format"`
	Algorithm   string    `json:"algorithm"`
	Certificate string    `json:"certificate"` // base64 (standard) of the DER certificate
	SHA256      string    `json:"sha256"`      // hex, lower case
	SignedAt    time.Time `json:"signed_at"`
	Value       string    `json:"value"` // base64 (standard) of the signature
}

// VerifiedSignature is what Verify learned from a good signature.
type VerifiedSignature struct {
	Signer      string            `json:"signer"` // the certificate's common name: the agency
	Algorithm   string            `json:"algorithm"`
	SHA256      string            `json:"sha256"`
	SignedAt    time.Time         `json:"signed_at"`
	Certificate *x509.Certificate `json:"-"`
	// Trusted is set when roots were given and the certificate chains to
	// one of them; Chain is then the chain found, leaf first.
	Trusted bool                `json:"trusted"`
	Chain   []*x509.Certificate `json:"-"`
}

// decoded is a Signature with its fields checked and decoded.
type decoded struct {
	cert   *x509.Certificate
	sha256 []byte
	value  []byte
}

// Encode returns the signature as indented JSON with a final newline.
func (s Signature) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ParseSignature decodes and checks an encoded signature: one JSON object
// with exactly the known fields, each well formed. It does not verify it.
func ParseSignature(data []byte) (Signature, error) {
	if len(data) > MaxSignatureSize {
		return Signature{}, fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrMalformed, len(data), MaxSignatureSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Signature
	if err := dec.Decode(&s); err != nil {
		return Signature{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Signature{}, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if _, err := s.decode(); err != nil {
		return Signature{}, err
	}
	return s, nil
}

func (s Signature) decode() (decoded, error) {
	bad := func(format string, args ...any) (decoded, error) {
		return decoded{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if s.Format != FormatV1 {
		return bad("format %q, want %q", s.Format, FormatV1)
	}
	if s.Algorithm != AlgECDSAP256SHA256 && s.Algorithm != AlgRSAPKCS1SHA256 {
		return bad("unknown algorithm %q (want %s or %s)", s.Algorithm, AlgECDSAP256SHA256, AlgRSAPKCS1SHA256)
	}
	der, err := base64.StdEncoding.Strict().DecodeString(s.Certificate)
	if err != nil {
		return bad("certificate is not base64: %v", err)
	}
	if len(der) == 0 {
		return bad("no certificate")
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return bad("certificate: %v", err)
	}
	alg, err := algorithmOf(cert)
	if err != nil {
		return bad("certificate: %v", err)
	}
	if alg != s.Algorithm {
		return bad("algorithm %q does not fit the certificate's key (%s)", s.Algorithm, alg)
	}
	sum, err := hex.DecodeString(s.SHA256)
	if err != nil || len(sum) != sha256.Size || hex.EncodeToString(sum) != s.SHA256 {
		return bad("sha256 %q is not 64 lower-case hex digits", excerpt(s.SHA256))
	}
	if s.SignedAt.IsZero() {
		return bad("no signing time")
	}
	value, err := base64.StdEncoding.Strict().DecodeString(s.Value)
	if err != nil {
		return bad("value is not base64: %v", err)
	}
	if len(value) == 0 || len(value) > 1024 {
		return bad("value of %d bytes", len(value))
	}
	return decoded{cert: cert, sha256: sum, value: value}, nil
}

func excerpt(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// algorithmOf names the signature algorithm for a certificate's key.
func algorithmOf(cert *x509.Certificate) (string, error) {
	switch k := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("ECDSA key on %s, want P-256", k.Curve.Params().Name)
		}
		return AlgECDSAP256SHA256, nil
	case *rsa.PublicKey:
		return AlgRSAPKCS1SHA256, nil
	default:
		return "", fmt.Errorf("unsupported key type %T (want ECDSA P-256 or RSA)", cert.PublicKey)
	}
}

func x509Algorithm(alg string) x509.SignatureAlgorithm {
	if alg == AlgRSAPKCS1SHA256 {
		return x509.SHA256WithRSA
	}
	return x509.ECDSAWithSHA256
}

// signedData is what the signature value is made over.
func signedData(alg string, docSHA256 []byte, signedAt time.Time, certDER []byte) []byte {
	certSum := sha256.Sum256(certDER)
	return fmt.Appendf(nil, "%s\nalgorithm: %s\nsha256: %x\nsigned-at: %s\ncertificate-sha256: %x\n",
		FormatV1, alg, docSHA256, signedAt.UTC().Format(time.RFC3339Nano), certSum)
}

// Verify checks a detached signature of doc: that doc is the document that
// was signed, that the signature was made by the key of the certificate it
// carries over that document, signing time and certificate, that the
// certificate was valid at the signing time and, when roots is not nil,
// that the certificate chains to one of roots as of the signing time. The
// error wraps one of ErrMalformed, ErrDocumentChanged, ErrSignatureInvalid,
// ErrCertificate or ErrUntrusted.
func Verify(doc []byte, sig Signature, roots *x509.CertPool) (VerifiedSignature, error) {
	d, err := sig.decode()
	if err != nil {
		return VerifiedSignature{}, err
	}
	sum := sha256.Sum256(doc)
	if !bytes.Equal(sum[:], d.sha256) {
		return VerifiedSignature{}, fmt.Errorf("%w: sha256 %x ≠ %s (signed)", ErrDocumentChanged, sum, sig.SHA256)
	}
	name := d.cert.Subject.CommonName
	if err := d.cert.CheckSignature(x509Algorithm(sig.Algorithm), signedData(sig.Algorithm, d.sha256, sig.SignedAt, d.cert.Raw), d.value); err != nil {
		return VerifiedSignature{}, fmt.Errorf("%w: it was not made with the key of %q's certificate over sha256 %s signed at %s; the signature was altered or made with another key (%v)",
			ErrSignatureInvalid, name, sig.SHA256, sig.SignedAt.UTC().Format(time.RFC3339), err)
	}
	at := sig.SignedAt
	if at.Before(d.cert.NotBefore) || at.After(d.cert.NotAfter) {
		return VerifiedSignature{}, fmt.Errorf("%w: signed at %s, but the certificate of %q is valid from %s to %s",
			ErrCertificate, at.UTC().Format(time.RFC3339), name, d.cert.NotBefore.UTC().Format(time.RFC3339), d.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	v := VerifiedSignature{
		Signer:      name,
		Algorithm:   sig.Algorithm,
		SHA256:      sig.SHA256,
		SignedAt:    sig.SignedAt,
		Certificate: d.cert,
	}
	if roots != nil {
		chains, err := d.cert.Verify(x509.VerifyOptions{
			Roots:       roots,
			CurrentTime: at,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
		})
		if err != nil {
			return VerifiedSignature{}, fmt.Errorf("%w: certificate of %q (issued by %q) does not chain to the given roots: %v",
				ErrUntrusted, name, d.cert.Issuer.CommonName, err)
		}
		v.Trusted, v.Chain = true, chains[0]
	}
	return v, nil
}
