package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

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
// (<dossier code>-KQ<n>), and its detached signature, from the store of
// results (Options.Results or ResultsDir). ErrNotFound when it holds no
// such result or when the code cannot be a result's (as VerifyResult
// checks). The signature is not verified here: VerifyResult does that.
// The caller closes doc.
func (s *Service) OpenResult(ctx context.Context, resultCode string) (doc io.ReadSeekCloser, sig []byte, err error) {
	_, data, sig, err := s.result(ctx, resultCode)
	if err != nil {
		return nil, nil, err
	}
	return nopCloser{bytes.NewReader(data)}, sig, nil
}

// result checks a result code and reads the result from the store of
// results. A code that cannot be a result's, like one the store does not
// hold, is ErrNotFound.
func (s *Service) result(ctx context.Context, resultCode string) (code string, doc, sig []byte, err error) {
	if s.results == nil {
		return "", nil, nil, errors.New("service: no store of signed results (Options.Results or Options.ResultsDir)")
	}
	code = strings.TrimSpace(resultCode)
	if code == "" || strings.ContainsAny(code, `/\`) || strings.HasPrefix(code, ".") ||
		strings.ContainsFunc(code, unicode.IsControl) {
		return "", nil, nil, fmt.Errorf("%q is not a result code (<dossier code>-KQ<n>): %w", code, ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return "", nil, nil, err
	}
	doc, sig, err = s.results.Get(ctx, code)
	switch {
	case errors.Is(err, signing.ErrResultNotFound):
		return "", nil, nil, fmt.Errorf("result %s: %w", code, ErrNotFound)
	case err != nil:
		return "", nil, nil, fmt.Errorf("reading result %s: %w", code, err)
	}
	return code, doc, sig, nil
}

// nopCloser is a bytes.Reader with a Close that does nothing.
type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
