package signing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

func birthRequest() activities.SignRequest {
	return activities.SignRequest{
		Code:      "000.00.18.H57-250304-0001",
		N:         1,
		Procedure: "1.001193",
		Result:    definitions.Result{Kind: "document", Name: "Giấy khai sinh"},
		Applicant: dossier.Applicant{ID: "079203001234", Name: "Trần Thị Bích", Contact: "0912345678"},
		SignedBy:  dossier.Actor{ID: "cb-017", Role: "chu_tich", Agency: "ubnd_xa"},
		At:        time.Date(2025, 3, 4, 2, 5, 6, 0, time.UTC),
	}
}

func newIssuer(t *testing.T) (*Issuer, *Signer, string) {
	t.Helper()
	s := testSigner(t, tayNinh)
	dir := filepath.Join(t.TempDir(), "results")
	is, err := NewIssuer(dir, s)
	require.NoError(t, err)
	return is, s, dir
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestIssueResult(t *testing.T) {
	t.Parallel()
	is, s, dir := newIssuer(t)
	r := birthRequest()
	res, err := is.Issue(context.Background(), r)
	require.NoError(t, err)

	code := "000.00.18.H57-250304-0001-KQ1"
	require.Equal(t, code, res.Code)
	require.Equal(t, "document", res.Kind)
	require.Equal(t, "Giấy khai sinh", res.Name)
	require.Equal(t, tayNinh, res.SignedBy)
	require.False(t, res.Refusal)
	require.False(t, res.SignedAt.IsZero())
	require.ElementsMatch(t, []string{code + ".json", code + ".sig.json"}, listDir(t, dir), "no temporary files left")

	docPath, sigPath := folderPaths(is, code)
	require.Equal(t, filepath.Join(dir, code+".json"), docPath)
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	require.Equal(t, hexSum(doc), res.SHA256)

	var got map[string]any
	require.NoError(t, json.Unmarshal(doc, &got))
	require.Equal(t, map[string]any{
		"ma_ket_qua":       code,
		"ma_ho_so":         "000.00.18.H57-250304-0001",
		"ma_thu_tuc":       "1.001193",
		"loai_van_ban":     "ket_qua_giai_quyet",
		"loai_ket_qua":     "document",
		"ten_van_ban":      "Giấy khai sinh",
		"nguoi_nop_ho_so":  map[string]any{"ma_dinh_danh": "079203001234", "ho_ten": "Trần Thị Bích"},
		"ngay_ban_hanh":    "2025-03-04T09:05:06+07:00",
		"nguoi_ky":         map[string]any{"ma_can_bo": "cb-017", "vai_tro": "chu_tich", "co_quan": "ubnd_xa"},
		"co_quan_ban_hanh": tayNinh,
	}, got)
	require.NotContains(t, string(doc), "0912345678", "the contact stays out of the result")

	v, err := VerifyFiles(docPath, sigPath, s.CertPool())
	require.NoError(t, err)
	require.Equal(t, tayNinh, v.Signer)
	require.True(t, v.SignedAt.Equal(res.SignedAt))

	// The result's signature is the value of the stored signature.
	raw, err := os.ReadFile(sigPath)
	require.NoError(t, err)
	sig, err := ParseSignature(raw)
	require.NoError(t, err)
	require.Equal(t, sig.Value, res.Signature)
	_, err = base64.StdEncoding.DecodeString(res.Signature)
	require.NoError(t, err)

	for _, p := range []string{docPath, sigPath} {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o640), fi.Mode().Perm())
	}
}

func TestIssueIsIdempotent(t *testing.T) {
	t.Parallel()
	is, _, dir := newIssuer(t)
	r := birthRequest()
	first, err := is.Issue(context.Background(), r)
	require.NoError(t, err)
	docPath, sigPath := folderPaths(is, first.Code)
	doc1, err := os.ReadFile(docPath)
	require.NoError(t, err)
	sig1, err := os.ReadFile(sigPath)
	require.NoError(t, err)

	// A retry, even from another issuer on the same folder (another
	// worker), returns the stored result: same signature, no new files.
	again, err := NewIssuer(dir, is.signer)
	require.NoError(t, err)
	for _, iss := range []*Issuer{is, again} {
		res, err := iss.Issue(context.Background(), r)
		require.NoError(t, err)
		require.Equal(t, first, res)
	}
	doc2, err := os.ReadFile(docPath)
	require.NoError(t, err)
	sig2, err := os.ReadFile(sigPath)
	require.NoError(t, err)
	require.Equal(t, doc1, doc2)
	require.Equal(t, sig1, sig2)
	require.Len(t, listDir(t, dir), 2)

	// The same number with other content is refused.
	other := r
	other.Result.Name = "Trích lục khai sinh"
	_, err = is.Issue(context.Background(), other)
	require.EqualError(t, err, "result 000.00.18.H57-250304-0001-KQ1 was already issued with a different document ("+docPath+"); issue the new one under another number")

	// The next number is a new result.
	other.N = 2
	res2, err := is.Issue(context.Background(), other)
	require.NoError(t, err)
	require.Equal(t, "000.00.18.H57-250304-0001-KQ2", res2.Code)
	require.Len(t, listDir(t, dir), 4)
}

func TestIssueConcurrentRetries(t *testing.T) {
	t.Parallel()
	is, _, dir := newIssuer(t)
	r := birthRequest()
	results := make([]dossier.Result, 8)
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			res, err := is.Issue(context.Background(), r)
			require.NoError(t, err)
			results[i] = res
		})
	}
	wg.Wait()
	for _, res := range results[1:] {
		require.Equal(t, results[0], res)
	}
	require.Len(t, listDir(t, dir), 2)
}

// A crash after the document but before the signature leaves a document
// alone; the retry signs it.
func TestIssueAfterInterruptedAttempt(t *testing.T) {
	t.Parallel()
	is, s, _ := newIssuer(t)
	r := birthRequest()
	docPath, sigPath := folderPaths(is, ResultCode(r.Code, r.N))
	require.NoError(t, os.WriteFile(docPath, []byte("half"), 0o640))

	res, err := is.Issue(context.Background(), r)
	require.NoError(t, err)
	_, err = VerifyFiles(docPath, sigPath, s.CertPool())
	require.NoError(t, err)
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	require.Equal(t, hexSum(doc), res.SHA256)
}

func TestIssueStoredResultTampered(t *testing.T) {
	t.Parallel()
	is, _, _ := newIssuer(t)
	r := birthRequest()
	res, err := is.Issue(context.Background(), r)
	require.NoError(t, err)
	_, sigPath := folderPaths(is, res.Code)
	raw, err := os.ReadFile(sigPath)
	require.NoError(t, err)
	sig, err := ParseSignature(raw)
	require.NoError(t, err)
	sig.SignedAt = sig.SignedAt.Add(time.Hour)
	enc, err := sig.Encode()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(sigPath, enc, 0o640))

	_, err = is.Issue(context.Background(), r)
	require.ErrorIs(t, err, ErrSignatureInvalid)
	require.ErrorContains(t, err, "stored result "+res.Code+": signature does not match")
}

func TestIssueRefusal(t *testing.T) {
	t.Parallel()
	is, s, _ := newIssuer(t)
	r := birthRequest()
	r.Refusal = "Giấy chứng sinh không hợp lệ.\n\n  Người đi đăng ký không phải cha, mẹ hoặc người thân thích.  \n"
	res, err := is.Issue(context.Background(), r)
	require.NoError(t, err)
	require.True(t, res.Refusal)
	require.Equal(t, RefusalTitle, res.Name)
	require.Equal(t, "Thông báo từ chối giải quyết hồ sơ", res.Name)

	docPath, sigPath := folderPaths(is, res.Code)
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	var got ResultDocument
	require.NoError(t, json.Unmarshal(doc, &got))
	require.Equal(t, DocRefusal, got.LoaiVanBan)
	require.Equal(t, RefusalTitle, got.TenVanBan)
	require.Equal(t, "Giấy khai sinh", got.TenKetQua)
	require.Equal(t, []string{
		"Giấy chứng sinh không hợp lệ.",
		"Người đi đăng ký không phải cha, mẹ hoặc người thân thích.",
	}, got.LyDoTuChoi)
	_, err = VerifyFiles(docPath, sigPath, s.CertPool())
	require.NoError(t, err)
}

func TestIssueRejectsBadRequests(t *testing.T) {
	t.Parallel()
	is, _, dir := newIssuer(t)
	cases := map[string]struct {
		mod  func(*activities.SignRequest)
		want string
	}{
		"no code":       {func(r *activities.SignRequest) { r.Code = "" }, "result: the dossier code is empty"},
		"path in code":  {func(r *activities.SignRequest) { r.Code = "../../etc/passwd" }, `result: dossier code "../../etc/passwd" starts with '.'`},
		"slash in code": {func(r *activities.SignRequest) { r.Code = "H57/0001" }, `result: dossier code "H57/0001" holds '/'; only letters, digits, '.', '-' and '_' are allowed`},
		"number":        {func(r *activities.SignRequest) { r.N = 0 }, "result of 000.00.18.H57-250304-0001: number 0, want 1 or more"},
		"no time":       {func(r *activities.SignRequest) { r.At = time.Time{} }, "result of 000.00.18.H57-250304-0001: no issue time"},
		"no name":       {func(r *activities.SignRequest) { r.Result.Name = " " }, "result 000.00.18.H57-250304-0001-KQ1: the result has no name"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := birthRequest()
			c.mod(&r)
			_, err := is.Issue(context.Background(), r)
			require.EqualError(t, err, c.want)
		})
	}
	t.Cleanup(func() { require.Empty(t, listDir(t, dir)) })
}

func TestVerifyFilesErrors(t *testing.T) {
	t.Parallel()
	is, s, _ := newIssuer(t)
	res, err := is.Issue(context.Background(), birthRequest())
	require.NoError(t, err)
	docPath, sigPath := folderPaths(is, res.Code)

	// A document edited after issue.
	doc, err := os.ReadFile(docPath)
	require.NoError(t, err)
	edited := filepath.Join(t.TempDir(), "edited.json")
	changed := append([]byte(nil), doc...)
	copy(changed[len(changed)-10:], "XXXXXXXXX")
	require.NoError(t, os.WriteFile(edited, changed, 0o644))
	_, err = VerifyFiles(edited, sigPath, s.CertPool())
	require.ErrorIs(t, err, ErrDocumentChanged)
	require.EqualError(t, err, edited+": document was changed after signing: sha256 "+hexSum(changed)+" ≠ "+res.SHA256+" (signed)")

	// A signature file that is not one.
	junk := filepath.Join(t.TempDir(), "junk.sig.json")
	require.NoError(t, os.WriteFile(junk, []byte(`{"format":"x"}`), 0o644))
	_, err = VerifyFiles(docPath, junk, nil)
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorContains(t, err, junk+`: malformed signature: format "x", want "motcua-signature/v1"`)

	_, err = VerifyFiles(filepath.Join(t.TempDir(), "missing.json"), sigPath, nil)
	require.ErrorContains(t, err, "no such file or directory")

	// Another agency's roots.
	_, err = VerifyFiles(docPath, sigPath, testSigner(t, hue).CertPool())
	require.ErrorIs(t, err, ErrUntrusted)
}

func TestIssueCanceledContext(t *testing.T) {
	t.Parallel()
	is, _, dir := newIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := is.Issue(ctx, birthRequest())
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, listDir(t, dir))
}

// folderPaths returns the files of a result of an issuer into a folder.
func folderPaths(is *Issuer, code string) (doc, sig string) {
	return is.Results().(*ResultFolder).Paths(code)
}
