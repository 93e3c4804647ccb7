package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/blobstore"
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

// upload is an uploaded file staged in the file store and checked.
type upload struct {
	ref  dossier.ComponentRef
	blob *blobstore.Staged
}

// stage reads an upload into the file store, staged, and checks its type
// and size against the component. It returns the problem found, if any;
// nothing is kept on a problem.
func (s *Service) stage(ctx context.Context, c definitions.Component, u Upload) (*upload, string, error) {
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

	src := &uploadReader{r: u.Data}
	b, err := s.files.Stage(ctx, src, int64(limitMB)*mb)
	var tooLarge *blobstore.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Sprintf("file %q is larger than the %d MB allowed", u.FileName, limitMB), nil
	case src.err != nil:
		return nil, "", fmt.Errorf("reading %s: %w", u.FileName, src.err)
	case err != nil:
		return nil, "", fmt.Errorf("storing %s: %w", u.FileName, err)
	}
	problem := ""
	if b.Size == 0 {
		problem = fmt.Sprintf("file %q is empty", u.FileName)
	} else if sniffed := http.DetectContentType(b.Head); !matchesType(ext, sniffed) {
		mime, _, _ := strings.Cut(sniffed, ";")
		problem = fmt.Sprintf("file %q is not %s: its content is %s", u.FileName, typeNames[ext], mime)
	}
	if problem != "" {
		s.files.Discard(ctx, false, b)
		return nil, problem, nil
	}
	return &upload{ref: dossier.ComponentRef{ID: c.ID, SHA256: b.SHA256, Name: filepath.Base(u.FileName), Size: b.Size}, blob: b}, "", nil
}

// uploadReader remembers the error of an upload's reader, to tell it from
// the store's.
type uploadReader struct {
	r   io.Reader
	err error
}

func (u *uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && err != io.EOF {
		u.err = err
	}
	return n, err
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

// commit makes staged files visible under their hash; a content already
// stored is stored once.
func (s *Service) commit(ctx context.Context, files []*upload) error {
	if s.files == nil || len(files) == 0 {
		return nil
	}
	if err := s.files.Commit(ctx, blobs(files)...); err != nil {
		names := make([]string, len(files))
		for i, f := range files {
			names[i] = f.ref.Name
		}
		return fmt.Errorf("storing %s: %w", strings.Join(names, ", "), err)
	}
	return nil
}

// discard drops what staging left and, with undo, the stored files that
// commit created: used when the workflow could not be started. Without
// undo, committed files stay for good.
func (s *Service) discard(ctx context.Context, files []*upload, undo bool) {
	if s.files != nil && len(files) > 0 {
		s.files.Discard(context.WithoutCancel(ctx), undo, blobs(files)...)
	}
}

func blobs(files []*upload) []*blobstore.Staged {
	out := make([]*blobstore.Staged, len(files))
	for i, f := range files {
		out[i] = f.blob
	}
	return out
}
