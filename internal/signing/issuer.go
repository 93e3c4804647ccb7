package signing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
)

// RefusalTitle is the name of a refusal notice.
const RefusalTitle = "Thông báo từ chối giải quyết hồ sơ"

// Document kinds (loai_van_ban).
const (
	DocResult  = "ket_qua_giai_quyet"
	DocRefusal = "thong_bao_tu_choi"
)

// ResultDocument is the electronic result (or refusal notice) as written to
// <result code>.json. Field names are Vietnamese, like the portal's.
type ResultDocument struct {
	MaKetQua      string    `json:"ma_ket_qua"`            // <dossier code>-KQ<n>
	MaHoSo        string    `json:"ma_ho_so"`              // dossier code
	MaThuTuc      string    `json:"ma_thu_tuc"`            // procedure code
	LoaiVanBan    string    `json:"loai_van_ban"`          // DocResult or DocRefusal
	LoaiKetQua    string    `json:"loai_ket_qua"`          // the procedure's result kind: document or none
	TenVanBan     string    `json:"ten_van_ban"`           // the result's name, or RefusalTitle
	TenKetQua     string    `json:"ten_ket_qua,omitempty"` // for a refusal: the result that was refused
	NguoiNop      NguoiNop  `json:"nguoi_nop_ho_so"`
	NgayBanHanh   time.Time `json:"ngay_ban_hanh"` // the request's time, in Vietnam
	NguoiKy       NguoiKy   `json:"nguoi_ky"`
	CoQuanBanHanh string    `json:"co_quan_ban_hanh"`        // the agency of the signing certificate
	LyDoTuChoi    []string  `json:"ly_do_tu_choi,omitempty"` // one reason a line
}

// NguoiNop is the applicant, as named on a result.
type NguoiNop struct {
	MaDinhDanh string `json:"ma_dinh_danh"`
	HoTen      string `json:"ho_ten"`
}

// NguoiKy is the officer who approved the result.
type NguoiKy struct {
	MaCanBo string `json:"ma_can_bo"`
	VaiTro  string `json:"vai_tro,omitempty"`
	CoQuan  string `json:"co_quan,omitempty"`
}

// Issuer issues signed electronic results into a ResultStore; it
// implements activities.ResultIssuer. Issuing a request again returns the
// stored result, whichever issuer (another worker) stored it.
type Issuer struct {
	results ResultStore
	signer  *Signer
}

var _ activities.ResultIssuer = (*Issuer)(nil)

// NewIssuer returns an issuer that writes into the folder dir (a
// ResultFolder; dir is created 0750 if needed) and signs with signer.
func NewIssuer(dir string, signer *Signer) (*Issuer, error) {
	if signer == nil {
		return nil, errors.New("result issuer: no signer")
	}
	if dir == "" {
		return nil, errors.New("result issuer: no folder")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("result issuer: %w", err)
	}
	return NewIssuerWith(NewResultFolder(dir), signer)
}

// NewIssuerWith returns an issuer that keeps its results in results and
// signs with signer.
func NewIssuerWith(results ResultStore, signer *Signer) (*Issuer, error) {
	if signer == nil {
		return nil, errors.New("result issuer: no signer")
	}
	if results == nil {
		return nil, errors.New("result issuer: no result store")
	}
	return &Issuer{results: results, signer: signer}, nil
}

// Results returns the store the issuer keeps its results in.
func (i *Issuer) Results() ResultStore { return i.results }

// ResultCode returns the code of the n-th result of a dossier.
func ResultCode(dossierCode string, n int) string { return fmt.Sprintf("%s-KQ%d", dossierCode, n) }

// Issue builds, signs and stores the result of r, or returns the result
// already stored for it. A stored result of the same code whose document
// differs from what r would produce is an error (ErrResultConflict): a
// new result needs a new number.
func (i *Issuer) Issue(ctx context.Context, r activities.SignRequest) (dossier.Result, error) {
	if err := ctx.Err(); err != nil {
		return dossier.Result{}, err
	}
	doc, meta, err := i.build(r)
	if err != nil {
		return dossier.Result{}, err
	}
	sig, err := i.signer.Sign(doc)
	if err != nil {
		return dossier.Result{}, fmt.Errorf("result %s: %w", meta.Code, err)
	}
	enc, err := sig.Encode()
	if err != nil {
		return dossier.Result{}, err
	}
	stored, err := i.results.Put(ctx, meta.Code, doc, enc)
	if err != nil {
		return dossier.Result{}, err
	}
	if bytes.Equal(stored, enc) {
		return resultOf(meta, sig)
	}
	// Stored before (a retry, or another worker first): its signature.
	if sig, err = ParseSignature(stored); err != nil {
		return dossier.Result{}, fmt.Errorf("stored signature of result %s: %w", meta.Code, err)
	}
	// Integrity only: the agency's certificate may have been renewed since.
	if _, err := Verify(doc, sig, nil); err != nil {
		return dossier.Result{}, fmt.Errorf("stored result %s: %w", meta.Code, err)
	}
	return resultOf(meta, sig)
}

func resultOf(meta dossier.Result, sig Signature) (dossier.Result, error) {
	d, err := sig.decode()
	if err != nil {
		return dossier.Result{}, err
	}
	meta.SHA256 = sig.SHA256
	meta.Signature = base64.StdEncoding.EncodeToString(d.value)
	meta.SignedBy = d.cert.Subject.CommonName
	meta.SignedAt = sig.SignedAt
	return meta, nil
}

// build returns the document of r and the result without its signature.
func (i *Issuer) build(r activities.SignRequest) ([]byte, dossier.Result, error) {
	if err := checkCode(r.Code); err != nil {
		return nil, dossier.Result{}, err
	}
	if r.N < 1 {
		return nil, dossier.Result{}, fmt.Errorf("result of %s: number %d, want 1 or more", r.Code, r.N)
	}
	if r.At.IsZero() {
		return nil, dossier.Result{}, fmt.Errorf("result of %s: no issue time", r.Code)
	}
	code := ResultCode(r.Code, r.N)
	refusal := strings.TrimSpace(r.Refusal) != ""
	kind := r.Result.Kind
	if kind == "" {
		kind = "document"
	}
	d := ResultDocument{
		MaKetQua:      code,
		MaHoSo:        r.Code,
		MaThuTuc:      r.Procedure,
		LoaiVanBan:    DocResult,
		LoaiKetQua:    kind,
		TenVanBan:     r.Result.Name,
		NguoiNop:      NguoiNop{MaDinhDanh: r.Applicant.ID, HoTen: r.Applicant.Name},
		NgayBanHanh:   r.At.In(dossier.Vietnam),
		NguoiKy:       NguoiKy{MaCanBo: r.SignedBy.ID, VaiTro: r.SignedBy.Role, CoQuan: r.SignedBy.Agency},
		CoQuanBanHanh: i.signer.Name(),
	}
	if refusal {
		d.LoaiVanBan, d.TenVanBan, d.TenKetQua = DocRefusal, RefusalTitle, r.Result.Name
		for line := range strings.Lines(r.Refusal) {
			if line = strings.TrimSpace(line); line != "" {
				d.LyDoTuChoi = append(d.LyDoTuChoi, line)
			}
		}
	} else if strings.TrimSpace(r.Result.Name) == "" {
		return nil, dossier.Result{}, fmt.Errorf("result %s: the result has no name", code)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, dossier.Result{}, err
	}
	return buf.Bytes(), dossier.Result{Code: code, Kind: kind, Name: d.TenVanBan, Refusal: refusal}, nil
}

// checkCode accepts dossier codes that are safe as file names: letters,
// digits, '.', '-' and '_', not starting with '.'.
func checkCode(code string) error {
	if code == "" {
		return errors.New("result: the dossier code is empty")
	}
	if len(code) > 100 {
		return fmt.Errorf("result: dossier code of %d characters is too long", len(code))
	}
	if code[0] == '.' {
		return fmt.Errorf("result: dossier code %q starts with '.'", code)
	}
	for _, c := range code {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			return fmt.Errorf("result: dossier code %q holds %q; only letters, digits, '.', '-' and '_' are allowed", code, c)
		}
	}
	return nil
}
