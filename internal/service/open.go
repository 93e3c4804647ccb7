package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/motcua/motcua/internal/blobstore"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/signing"
)

// OpenFile returns a stored component file of a dossier by its hash, with
// the component (its name and size, e.g. for a Content-Disposition), only
// when the dossier's components as now held (live state or read model)
// include it: ErrNotFound otherwise, also for a malformed hash. The
// caller closes the file.
func (s *Service) OpenFile(ctx context.Context, code, sha256 string) (io.ReadSeekCloser, dossier.ComponentRef, error) {
	if s.files == nil {
		return nil, dossier.ComponentRef{}, errors.New("service: no store for uploaded files (Options.Files or Options.FilesDir)")
	}
	if !blobstore.ValidHash(sha256) {
		return nil, dossier.ComponentRef{}, fmt.Errorf("%.80q is not a file hash (64 lowercase hex digits): %w", sha256, ErrNotFound)
	}
	st, err := s.Status(ctx, code)
	if err != nil {
		return nil, dossier.ComponentRef{}, err
	}
	var ref dossier.ComponentRef
	found := false
	for _, c := range st.Components {
		if !c.Reused && c.SHA256 == sha256 {
			ref, found = c, true
			break
		}
	}
	if !found {
		return nil, dossier.ComponentRef{}, fmt.Errorf("dossier %s holds no file %s: %w", st.Code, sha256, ErrNotFound)
	}
	f, size, err := s.files.Open(ctx, sha256)
	if err != nil {
		if errors.Is(err, blobstore.ErrNotFound) {
			return nil, dossier.ComponentRef{}, fmt.Errorf("file %s of dossier %s is not stored: %w", sha256, st.Code, ErrNotFound)
		}
		return nil, dossier.ComponentRef{}, fmt.Errorf("opening file %s of dossier %s: %w", sha256, st.Code, err)
	}
	if ref.Size == 0 {
		ref.Size = size
	}
	return f, ref, nil
}

// OpenResult returns the signed document of a result, by its code
// (<dossier code>-KQ<n>), and its detached signature, as ResultPaths names
// them in ResultsDir. ErrNotFound when either is absent or when the code
// cannot be a result's (as VerifyResult checks). The signature is not
// verified here: VerifyResult does that. The caller closes doc.
func (s *Service) OpenResult(ctx context.Context, resultCode string) (doc io.ReadSeekCloser, sig []byte, err error) {
	if s.results == "" {
		return nil, nil, errors.New("service: no results folder (Options.ResultsDir)")
	}
	code, docPath, sigPath, err := s.resultPaths(resultCode)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	sig, err = readRegular(sigPath, signing.MaxSignatureSize)
	if err != nil {
		return nil, nil, resultError(code, err)
	}
	f, err := openRegular(docPath)
	if err != nil {
		return nil, nil, resultError(code, err)
	}
	return f, sig, nil
}

// resultError wraps an error of a result's files: ErrNotFound when a file
// is absent.
func resultError(code string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("result %s: %w", code, ErrNotFound)
	}
	return fmt.Errorf("result %s: %w", code, err)
}

// openRegular opens a regular file; anything else (a folder, a device) is
// fs.ErrNotExist.
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file: %w", path, fs.ErrNotExist)
	}
	return f, nil
}

// readRegular reads a regular file of at most limit bytes.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}
