package signing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/motcua/motcua/internal/atomicfile"
)

// ErrResultNotFound is returned, wrapped, by ResultStore.Get when no
// result has the code, or when the code cannot be a result's. Test for it
// with errors.Is.
var ErrResultNotFound = errors.New("result not found")

// ErrResultConflict is returned, wrapped, by ResultStore.Put when another
// document is stored under the code: a new result needs a new number.
// Test for it with errors.Is.
var ErrResultConflict = errors.New("another document is stored under this result code")

// ResultStore keeps signed results — a document and its detached
// signature, as Signature.Encode writes it — by result code
// (<dossier code>-KQ<n>, see ResultCode). A stored result is never
// replaced. Its methods are safe for concurrent use.
type ResultStore interface {
	// Put stores doc and sig under code and returns sig, unless a result
	// of that code is stored: when its document is doc, Put keeps it and
	// returns its signature (a retry, or another worker that got there
	// first); when it is another document, Put fails with
	// ErrResultConflict. A code that cannot be a result's is an error.
	Put(ctx context.Context, code string, doc, sig []byte) (stored []byte, err error)
	// Get returns the document and signature stored under code, or
	// ErrResultNotFound (wrapped).
	Get(ctx context.Context, code string) (doc, sig []byte, err error)
}

// conflictError is ErrResultConflict, saying where the stored result is.
type conflictError struct{ code, where string }

func (e *conflictError) Error() string {
	return fmt.Sprintf("result %s was already issued with a different document (%s); issue the new one under another number", e.code, e.where)
}

func (e *conflictError) Is(target error) bool { return target == ErrResultConflict }

// checkResultCode accepts <dossier code>-KQ<n>, the dossier code as
// checkCode accepts it (so that the result code is safe as a file name).
func checkResultCode(code string) error {
	dossierCode, n, ok := cutLast(code, "-KQ")
	if !ok || n == "" || strings.Trim(n, "0123456789") != "" || n[0] == '0' || len(n) > 9 {
		return fmt.Errorf("%.120q is not a result code (<dossier code>-KQ<n>)", code)
	}
	if err := checkCode(dossierCode); err != nil {
		return fmt.Errorf("%.120q is not a result code: %w", code, err)
	}
	return nil
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// ResultFolder is a ResultStore in a folder: result C is the document
// C.json and the signature C.sig.json, each written atomically; the
// signature is written last and marks the result as stored, so a
// document left alone by an interrupted Put is replaced by the next one.
// Put is serialised within a ResultFolder; two processes sharing the
// folder race only when they store different documents under one code.
type ResultFolder struct {
	dir string
	mu  sync.Mutex
}

var _ ResultStore = (*ResultFolder)(nil)

// NewResultFolder returns the store in dir. The folder is created (mode
// 0o750) by the first Put; Get on a missing folder finds nothing.
func NewResultFolder(dir string) *ResultFolder { return &ResultFolder{dir: dir} }

// Dir returns the store's folder.
func (f *ResultFolder) Dir() string { return f.dir }

// Paths returns the document and signature files of a result code.
func (f *ResultFolder) Paths(code string) (doc, sig string) {
	return ResultPaths(f.dir, code)
}

// ResultPaths returns the document and signature files of a result code
// in a results folder, as ResultFolder writes them.
func ResultPaths(dir, code string) (doc, sig string) {
	return filepath.Join(dir, code+".json"), filepath.Join(dir, code+".sig.json")
}

// Put implements ResultStore.
func (f *ResultFolder) Put(ctx context.Context, code string, doc, sig []byte) ([]byte, error) {
	if err := checkResultCode(code); err != nil {
		return nil, fmt.Errorf("storing result: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	docPath, sigPath := f.Paths(code)
	f.mu.Lock()
	defer f.mu.Unlock()
	if stored, ok, err := f.stored(code, doc); ok || err != nil {
		return stored, err
	}
	if err := os.MkdirAll(f.dir, 0o750); err != nil {
		return nil, fmt.Errorf("storing result %s: %w", code, err)
	}
	// No signature yet: a document left by an interrupted attempt was
	// never returned to anyone and may be replaced.
	if err := atomicfile.Write(docPath, doc, 0o640); err != nil {
		return nil, fmt.Errorf("writing %s: %w", docPath, err)
	}
	if err := atomicfile.Create(sigPath, sig, 0o640); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process on the same folder got there first.
			if stored, ok, err := f.stored(code, doc); ok || err != nil {
				return stored, err
			}
		}
		return nil, fmt.Errorf("writing %s: %w", sigPath, err)
	}
	return sig, nil
}

// stored returns the signature of the result stored under code, if any,
// after checking that its document is doc.
func (f *ResultFolder) stored(code string, doc []byte) ([]byte, bool, error) {
	docPath, sigPath := f.Paths(code)
	sig, err := readRegular(sigPath, MaxSignatureSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	old, err := readRegular(docPath, MaxDocumentSize)
	if err != nil {
		return nil, false, fmt.Errorf("result %s has a signature but its document cannot be read: %w", code, err)
	}
	if !bytes.Equal(old, doc) {
		return nil, false, &conflictError{code: code, where: docPath}
	}
	return sig, true, nil
}

// Get implements ResultStore. A result is found when both its files are
// regular files; anything else (one file alone, a folder) is
// ErrResultNotFound.
func (f *ResultFolder) Get(ctx context.Context, code string) (doc, sig []byte, err error) {
	if err := checkResultCode(code); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", err, ErrResultNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	docPath, sigPath := f.Paths(code)
	if sig, err = readRegular(sigPath, MaxSignatureSize); err == nil {
		doc, err = readRegular(docPath, MaxDocumentSize)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("result %s: %w", code, ErrResultNotFound)
	case err != nil:
		return nil, nil, fmt.Errorf("result %s: %w", code, err)
	}
	return doc, sig, nil
}

// readRegular reads a regular file of at most limit bytes; anything else
// than a regular file (a folder, a device) is fs.ErrNotExist.
func readRegular(path string, limit int64) ([]byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", path, fs.ErrNotExist)
	}
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// ResultTable is where a ResultDB keeps results: the read model's results
// table (*store.Store implements it; see Store.ResultAdd there).
type ResultTable interface {
	// ResultAdd stores a result unless one of that code is stored; added
	// reports whether it did. A stored result is never replaced.
	ResultAdd(ctx context.Context, code string, doc, sig []byte) (added bool, err error)
	// ResultGet returns a stored result; ok is false when none has the
	// code.
	ResultGet(ctx context.Context, code string) (doc, sig []byte, ok bool, err error)
}

// ResultDB is a ResultStore in a database table shared by every process
// that reaches the database — the workers and API nodes of a cluster.
// The table's primary key settles races: of two workers storing a result
// at once, one adds it and the other finds it.
type ResultDB struct {
	t ResultTable
}

var _ ResultStore = (*ResultDB)(nil)

// NewResultDB returns the store over table t.
func NewResultDB(t ResultTable) *ResultDB { return &ResultDB{t: t} }

// Put implements ResultStore.
func (d *ResultDB) Put(ctx context.Context, code string, doc, sig []byte) ([]byte, error) {
	if err := checkResultCode(code); err != nil {
		return nil, fmt.Errorf("storing result: %w", err)
	}
	added, err := d.t.ResultAdd(ctx, code, doc, sig)
	if err != nil {
		return nil, err
	}
	if added {
		return sig, nil
	}
	old, stored, ok, err := d.t.ResultGet(ctx, code)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, fmt.Errorf("result %s: stored, then not found in the read model", code)
	case !bytes.Equal(old, doc):
		return nil, &conflictError{code: code, where: "read model, table results"}
	}
	return stored, nil
}

// Get implements ResultStore.
func (d *ResultDB) Get(ctx context.Context, code string) (doc, sig []byte, err error) {
	if err := checkResultCode(code); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", err, ErrResultNotFound)
	}
	doc, sig, ok, err := d.t.ResultGet(ctx, code)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("result %s: %w", code, ErrResultNotFound)
	}
	return doc, sig, nil
}
