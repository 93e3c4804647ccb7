package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// TmpDir is the folder of staged blobs inside an FS's folder.
const TmpDir = ".tmp"

// FS is a Store in a folder of the local file system: a blob is the file
// <dir>/<sha[:2]>/<sha>, a staged blob a temporary file in <dir>/.tmp,
// synced before Commit gives it its name (a hard link, or a rename where
// the file system has none), so that a blob is either absent or whole.
//
// Commits of one FS are serialised, which lets Discard with undo know
// whether another commit has relied on a blob it would remove. Two FS
// values, or two processes, sharing a folder do not know of each other's
// commits: an undo in one may remove a blob the other has just found.
// Use one FS per folder.
type FS struct {
	dir  string
	tmp  string
	link func(oldname, newname string) error // os.Link; tests take it away

	mu sync.Mutex
	// claims are the blobs created by commits that could still be undone,
	// by hash.
	claims map[string]*claim
}

// claim tracks a blob created by a commit that could still be undone: the
// blob goes with an undo only when its creator and every commit that has
// found it meanwhile are undone.
type claim struct {
	owner     *Staged
	ownerDone bool                 // the creator was discarded
	reliers   map[*Staged]struct{} // commits that found the blob, not yet discarded
	kept      bool                 // a creator or relier was discarded without undo
}

var _ Store = (*FS)(nil)

// NewFS returns the store in dir, creating dir and its .tmp folder (mode
// 0o750) when they do not exist.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blobstore: no folder given")
	}
	f := &FS{dir: dir, tmp: filepath.Join(dir, TmpDir), link: os.Link, claims: map[string]*claim{}}
	if err := os.MkdirAll(f.tmp, 0o750); err != nil {
		return nil, fmt.Errorf("blobstore: %w", err)
	}
	return f, nil
}

// Dir returns the store's folder.
func (f *FS) Dir() string { return f.dir }

// path returns where the blob of a valid hash is stored.
func (f *FS) path(sha string) string { return filepath.Join(f.dir, sha[:2], sha) }

// Stage implements Store.
func (f *FS) Stage(ctx context.Context, r io.Reader, limit int64) (*Staged, error) {
	b, err := stage(ctx, f.tmp, r, limit, true)
	if err != nil {
		return nil, err
	}
	b.owner = f
	return b, nil
}

// placed is what Commit did with one blob, to undo it on an error.
type placed struct {
	b       *Staged
	created bool
	renamed bool // the staged file was renamed (no hard links): undo renames it back
}

// Commit implements Store.
func (f *FS) Commit(ctx context.Context, blobs ...*Staged) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, b := range blobs {
		switch {
		case b == nil:
			return errors.New("blobstore: commit of a nil blob")
		case b.owner != f:
			return fmt.Errorf("blobstore: blob %s was not staged by this store", b.SHA256)
		case b.done && !b.committed:
			return fmt.Errorf("blobstore: blob %s was discarded: stage it again", b.SHA256)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()

	var done []placed
	dirs := map[string]bool{}
	undo := func() {
		for i := len(done) - 1; i >= 0; i-- {
			p := done[i]
			if !p.created {
				continue
			}
			if p.renamed {
				os.Rename(f.path(p.b.SHA256), p.b.tmp)
			} else {
				os.Remove(f.path(p.b.SHA256))
			}
		}
	}
	for _, b := range blobs {
		if b.committed || containsPlaced(done, b) {
			continue
		}
		p, err := f.place(b, dirs)
		if err != nil {
			undo()
			return err
		}
		done = append(done, p)
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			undo()
			return fmt.Errorf("blobstore: committing: %w", err)
		}
	}
	for _, p := range done {
		b := p.b
		if !p.renamed {
			os.Remove(b.tmp)
		}
		b.tmp, b.committed, b.created = "", true, p.created
		if p.created {
			b.claim = &claim{owner: b, reliers: map[*Staged]struct{}{}}
			f.claims[b.SHA256] = b.claim
		} else if c := f.claims[b.SHA256]; c != nil {
			c.reliers[b] = struct{}{}
			b.claim = c
		}
	}
	return nil
}

// place gives a staged blob its name, unless a blob of that hash exists.
// It adds the folders to sync to dirs.
func (f *FS) place(b *Staged, dirs map[string]bool) (placed, error) {
	dst := f.path(b.SHA256)
	shard := filepath.Dir(dst)
	if _, err := os.Stat(shard); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(shard, 0o750); err != nil {
			return placed{}, fmt.Errorf("blobstore: committing %s: %w", b.SHA256, err)
		}
		dirs[f.dir] = true
	}
	// A hard link never replaces an existing blob.
	err := f.link(b.tmp, dst)
	switch {
	case err == nil:
		dirs[shard] = true
		return placed{b: b, created: true}, nil
	case errors.Is(err, fs.ErrExist):
		return placed{b: b}, nil
	}
	// No hard links here (or another failure, which the rename meets too).
	if _, serr := os.Lstat(dst); serr == nil {
		return placed{b: b}, nil
	}
	if rerr := os.Rename(b.tmp, dst); rerr != nil {
		return placed{}, fmt.Errorf("blobstore: committing %s: %w", b.SHA256, errors.Join(err, rerr))
	}
	dirs[shard] = true
	dirs[f.tmp] = true
	return placed{b: b, created: true, renamed: true}, nil
}

func containsPlaced(done []placed, b *Staged) bool {
	for _, p := range done {
		if p.b == b {
			return true
		}
	}
	return false
}

// Discard implements Store.
func (f *FS) Discard(_ context.Context, undo bool, blobs ...*Staged) {
	for _, b := range blobs {
		if b == nil || b.owner != f || b.done {
			continue
		}
		b.done = true
		if b.tmp != "" {
			os.Remove(b.tmp)
			b.tmp = ""
		}
		c := b.claim
		if c == nil {
			continue
		}
		b.claim = nil
		f.mu.Lock()
		if c.owner == b {
			c.ownerDone = true
		} else {
			delete(c.reliers, b)
		}
		if !undo {
			c.kept = true
		}
		if c.ownerDone && len(c.reliers) == 0 {
			if f.claims[b.SHA256] == c {
				delete(f.claims, b.SHA256)
			}
			if !c.kept {
				dst := f.path(b.SHA256)
				if err := os.Remove(dst); err == nil {
					_ = syncDir(filepath.Dir(dst))
				}
			}
		}
		f.mu.Unlock()
	}
}

// Open implements Store.
func (f *FS) Open(ctx context.Context, sha string) (io.ReadSeekCloser, int64, error) {
	if !ValidHash(sha) {
		return nil, 0, fmt.Errorf("blob %s: not a SHA-256 in lowercase hex: %w", quoteHash(sha), ErrNotFound)
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	file, err := os.Open(f.path(sha))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, fmt.Errorf("blob %s: %w", sha, ErrNotFound)
		}
		return nil, 0, fmt.Errorf("blobstore: %w", err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, 0, fmt.Errorf("blobstore: %w", err)
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, 0, fmt.Errorf("blob %s: not a regular file: %w", sha, ErrNotFound)
	}
	return file, fi.Size(), nil
}

// syncDir makes the names in a folder durable where the system allows it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some file systems cannot sync a folder (EINVAL): their names are
	// as durable as they get.
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
