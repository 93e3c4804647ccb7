package service

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// Upload is one uploaded component file.
type Upload struct {
	// ID is the component id of the procedure.
	ID string
	// FileName is the name the citizen gave the file; its extension must
	// be one of the component's file types.
	FileName string
	// Data is the content; it is read once.
	Data io.Reader
}

// Defaults of a component's electronic copy.
var DefaultFileTypes = []string{"pdf", "jpg", "png"}

const (
	// DefaultMaxSizeMB is a component file's size limit when the
	// definition sets none.
	DefaultMaxSizeMB = 10
	mb               = 1 << 20
	tmpDir           = ".tmp"
)

// contentTypes are the sniffed content types (net/http.DetectContentType)
// accepted for a file extension. Word and Excel 97 files are not
// recognised by the sniffer, which calls them application/octet-stream;
// their 2007 forms are zip archives.
var contentTypes = map[string][]string{
	"pdf":  {"application/pdf"},
	"jpg":  {"image/jpeg"},
	"jpeg": {"image/jpeg"},
	"png":  {"image/png"},
	"doc":  {"application/octet-stream"},
	"xls":  {"application/octet-stream"},
	"docx": {"application/zip"},
	"xlsx": {"application/zip"},
	"xml":  {"text/xml", "text/plain"},
}

// describe names a file type for messages.
var typeNames = map[string]string{
	"pdf": "a PDF", "jpg": "a JPEG image", "jpeg": "a JPEG image", "png": "a PNG image",
	"doc": "a Word document", "xls": "an Excel workbook", "docx": "a Word document",
	"xlsx": "an Excel workbook", "xml": "an XML document",
}

// fileStore keeps uploaded files content-addressed: <dir>/<sha[:2]>/<sha>.
type fileStore struct{ dir string }

// staged is an upload written to a temporary file and checked.
type staged struct {
	ref  dossier.ComponentRef
	tmp  string // the temporary file; "" once committed or dropped
	made bool   // commit created the stored file (it did not exist)
}

// Path returns where the file of a hash is stored.
func (st *fileStore) Path(sha string) string {
	return filepath.Join(st.dir, sha[:2], sha)
}

// stage reads an upload into a temporary file under the store, hashing it
// and checking its type and size against the component. It returns the
// problem found, if any; the temporary file is removed on a problem.
func (st *fileStore) stage(c definitions.Component, u Upload) (*staged, string, error) {
	types := c.FileTypes
	if len(types) == 0 {
		types = DefaultFileTypes
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(u.FileName), "."))
	accepted := func() string { return strings.Join(types, ", ") }
	switch {
	case ext == "":
		return nil, fmt.Sprintf("file %q has no extension: give a file of type %s", u.FileName, accepted()), nil
	case !acceptsType(types, ext):
		return nil, fmt.Sprintf("file type .%s is not accepted (%s)", ext, accepted()), nil
	}
	if u.Data == nil {
		return nil, fmt.Sprintf("file %q has no content", u.FileName), nil
	}
	limitMB := c.MaxSizeMB
	if limitMB <= 0 {
		limitMB = DefaultMaxSizeMB
	}
	limit := int64(limitMB) * mb

	tmps := filepath.Join(st.dir, tmpDir)
	if err := os.MkdirAll(tmps, 0o750); err != nil {
		return nil, "", fmt.Errorf("storing uploads: %w", err)
	}
	f, err := os.CreateTemp(tmps, "upload-*")
	if err != nil {
		return nil, "", fmt.Errorf("storing uploads: %w", err)
	}
	drop := func() { f.Close(); os.Remove(f.Name()) }
	h := sha256.New()
	head := &headBuffer{max: 512}
	n, err := io.Copy(io.MultiWriter(f, h, head), io.LimitReader(u.Data, limit+1))
	if err != nil {
		drop()
		return nil, "", fmt.Errorf("reading %s: %w", u.FileName, err)
	}
	problem := ""
	switch {
	case n == 0:
		problem = fmt.Sprintf("file %q is empty", u.FileName)
	case n > limit:
		problem = fmt.Sprintf("file %q is larger than the %d MB allowed", u.FileName, limitMB)
	default:
		sniffed := http.DetectContentType(head.b)
		if !matchesType(ext, sniffed) {
			mime, _, _ := strings.Cut(sniffed, ";")
			problem = fmt.Sprintf("file %q is not %s: its content is %s", u.FileName, typeNames[ext], mime)
		}
	}
	if problem != "" {
		drop()
		return nil, problem, nil
	}
	if err := f.Sync(); err != nil {
		drop()
		return nil, "", fmt.Errorf("storing %s: %w", u.FileName, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, "", fmt.Errorf("storing %s: %w", u.FileName, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	return &staged{ref: dossier.ComponentRef{ID: c.ID, SHA256: sum, Name: filepath.Base(u.FileName), Size: n}, tmp: f.Name()}, "", nil
}

func acceptsType(types []string, ext string) bool {
	if slices.Contains(types, ext) {
		return true
	}
	// jpg and jpeg are the same type.
	return (ext == "jpeg" && slices.Contains(types, "jpg")) || (ext == "jpg" && slices.Contains(types, "jpeg"))
}

func matchesType(ext, sniffed string) bool {
	mime, _, _ := strings.Cut(sniffed, ";")
	return slices.Contains(contentTypes[ext], strings.TrimSpace(mime))
}

// commit moves staged files to their content address. A file whose
// content is already stored is dropped (stored once).
func (st *fileStore) commit(files []*staged) error {
	for _, s := range files {
		if s.tmp == "" {
			continue
		}
		dst := st.Path(s.ref.SHA256)
		if _, err := os.Stat(dst); err == nil {
			os.Remove(s.tmp)
			s.tmp = ""
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
			return fmt.Errorf("storing %s: %w", s.ref.Name, err)
		}
		if err := os.Rename(s.tmp, dst); err != nil {
			return fmt.Errorf("storing %s: %w", s.ref.Name, err)
		}
		s.tmp, s.made = "", true
	}
	return nil
}

// discard removes what staging left and, with undo, the stored files that
// commit created: used when the workflow could not be started.
func (st *fileStore) discard(files []*staged, undo bool) {
	for _, s := range files {
		if s.tmp != "" {
			os.Remove(s.tmp)
			s.tmp = ""
		}
		if undo && s.made {
			if err := os.Remove(st.Path(s.ref.SHA256)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				continue
			}
			s.made = false
		}
	}
}

// headBuffer keeps the first bytes written to it, for sniffing.
type headBuffer struct {
	b   []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.b); room > 0 {
		h.b = append(h.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
