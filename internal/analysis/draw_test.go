package analysis_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/charts"
)

// TestDrawSteps checks which version the steps chart draws and that a
// version without a step to draw is charts.ErrNoData naming it.
func TestDrawSteps(t *testing.T) {
	st := openFixture(t, filepath.Join(t.TempDir(), "read.db"))
	analyze := func(p analysis.Params) *analysis.Analysis {
		t.Helper()
		p.Procedure, p.Now = procedure, asOf
		a, err := analysis.Analyze(context.Background(), st, catalog(t), p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	a := analyze(analysis.Params{})
	if v := analysis.StepsVersion(a); v == nil || v.Version != "2025.2" {
		t.Fatalf("StepsVersion = %+v, want the later version compared, 2025.2", v)
	}
	var buf bytes.Buffer
	if err := analysis.DrawSteps(&buf, "svg", a); err != nil {
		t.Fatal(err)
	}
	svg := buf.String()
	for _, want := range []string{"Thủ tục 9.000001, phiên bản 2025.2: thời gian từng bước", ">doi_chieu_hien_trang<", ">ky_giay_phep<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the SVG lacks %q", want)
		}
	}
	if strings.Contains(svg, ">kiem_tra_thuc_dia<") {
		t.Error("the SVG draws a step of 2025.1")
	}

	// The comparison the other way round draws 2025.1.
	a = analyze(analysis.Params{Before: "2025.2", After: "2025.1"})
	if v := analysis.StepsVersion(a); v.Version != "2025.1" {
		t.Errorf("StepsVersion = %s, want the version after, 2025.1", v.Version)
	}
	buf.Reset()
	if err := analysis.DrawSteps(&buf, "png", a); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(&buf); err != nil {
		t.Errorf("the PNG does not decode: %v", err)
	}

	// One version only: it is drawn.
	a = analyze(analysis.Params{From: vn(3, 24, 0, 0)})
	if a.Comparison != nil || analysis.StepsVersion(a).Version != "2025.2" {
		t.Errorf("from 24/03: comparison %+v, StepsVersion %s", a.Comparison, analysis.StepsVersion(a).Version)
	}

	// On 17/03, 2025.1 received OA3 only, its inspection still open.
	a = analyze(analysis.Params{From: vn(3, 17, 0, 0), To: vn(3, 18, 0, 0), Before: "2025.2", After: "2025.1"})
	err := analysis.DrawSteps(&bytes.Buffer{}, "svg", a)
	if !errors.Is(err, charts.ErrNoData) || !strings.Contains(err.Error(), "version 2025.1 of 9.000001 has no step with an allotted time") {
		t.Errorf("DrawSteps of a version without steps: %v", err)
	}
	if analysis.StepsVersion(&analysis.Analysis{}) != nil {
		t.Error("StepsVersion of an empty analysis")
	}
	if err := analysis.DrawSteps(&bytes.Buffer{}, "svg", &analysis.Analysis{Procedure: "x"}); !errors.Is(err, charts.ErrNoData) {
		t.Errorf("DrawSteps of an empty analysis: %v", err)
	}
}
