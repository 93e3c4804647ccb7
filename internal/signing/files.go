package signing

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// writeFileAtomic writes data to path through a temporary file in the same
// folder, synced before it takes the final name, so that readers see either
// no file or the whole file. With noClobber it fails with fs.ErrExist
// rather than replace an existing file.
func writeFileAtomic(path string, data []byte, perm fs.FileMode, noClobber bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if noClobber {
		// A hard link never replaces its target; the temporary name goes
		// afterwards.
		if err = os.Link(name, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", path, fs.ErrExist)
			}
			return err
		}
		os.Remove(name)
	} else if err = os.Rename(name, path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
