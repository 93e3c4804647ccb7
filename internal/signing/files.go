package signing

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
)

// MaxDocumentSize bounds a document VerifyFiles reads.
const MaxDocumentSize = 64 << 20

// VerifyFiles verifies the detached signature in sigPath of the document in
// docPath; see Verify.
func VerifyFiles(docPath, sigPath string, roots *x509.CertPool) (VerifiedSignature, error) {
	doc, err := readBounded(docPath, MaxDocumentSize)
	if err != nil {
		return VerifiedSignature{}, err
	}
	raw, err := readBounded(sigPath, MaxSignatureSize)
	if err != nil {
		return VerifiedSignature{}, err
	}
	sig, err := ParseSignature(raw)
	if err != nil {
		return VerifiedSignature{}, fmt.Errorf("%s: %w", sigPath, err)
	}
	v, err := Verify(doc, sig, roots)
	if err != nil {
		return VerifiedSignature{}, fmt.Errorf("%s: %w", docPath, err)
	}
	return v, nil
}

// VerifyEncoded verifies a document against its detached signature as
// Signature.Encode wrote it (what a ResultStore keeps); see Verify.
func VerifyEncoded(doc, sig []byte, roots *x509.CertPool) (VerifiedSignature, error) {
	s, err := ParseSignature(sig)
	if err != nil {
		return VerifiedSignature{}, err
	}
	return Verify(doc, s, roots)
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
