package main

import (
	"context"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/store"
)

// analysisDB writes the analysis fixture (9.000001 before and after, March
// 2025) to a SQLite read model and returns its path.
func analysisDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := store.Open(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, analysistest.Apply(context.Background(), s))
	require.NoError(t, s.Close())
	return path
}

func analyzeArgs(db string, args ...string) []string {
	return append([]string{"analyze", analysistest.Procedure, "--read-model", db, "--definitions", "../../definitions",
		"--from", "2025-03-01", "--to", "2025-03-31"}, args...)
}

func TestAnalyzeTable(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, analyzeArgs(analysisDB(t))...)
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{
		"Phân tích thủ tục 9.000001 — Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
		"Phiên bản 2025.1 (không có định nghĩa",
		"Tỷ lệ đúng hạn: 66,66% (2 / 3)",
		"trung bình 3,56, trung vị 3,12, phân vị 90 4,00",
		"Hồ sơ phải bổ sung: 33,33% (1/3)",
		"Số lần công dân đến trực tiếp: 5 (1,67 / hồ sơ; nộp 2, bổ sung 1, nộp phí 1, bước trực tiếp 0, nhận kết quả 1)",
		"kiem_tra_thuc_dia ◀ điểm nghẽn",
		"Phiên bản 2025.2\n",
		"So sánh trước (2025.1) và sau (2025.2) tái cấu trúc",
		"Tỷ lệ giải quyết đúng hạn              66,66%",
	} {
		require.Contains(t, out, want)
	}
	// The bottleneck line of 2025.1: 2 tasks, median 10 h of 8, both late,
	// 83,33% of the lateness.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "kiem_tra_thuc_dia ◀") {
			require.Regexp(t, `kiem_tra_thuc_dia ◀ điểm nghẽn\s+2\s+10,00\s+16,00\s+8,00\s+100,00% \(2/2\)\s+83,33%`, line)
		}
	}
}

func TestAnalyzeJSONAndChart(t *testing.T) {
	t.Parallel()
	chart := filepath.Join(t.TempDir(), "buoc.png")
	code, out, errOut := runCLI(t, analyzeArgs(analysisDB(t), "--format", "json", "--chart", chart)...)
	require.Equal(t, 0, code, errOut)
	var a analysis.Analysis
	require.NoError(t, json.Unmarshal([]byte(out), &a))
	require.Len(t, a.Versions, 2)
	require.Equal(t, "ky_giay_phep", a.Version("2025.2").Bottleneck)
	require.NotNil(t, a.Comparison)
	f, err := os.Open(chart)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 100)
}

func TestAnalyzeEarlierPlan(t *testing.T) {
	t.Parallel()
	// The catalog's definition, renamed 2025.1, stands for the earlier one.
	old, err := os.ReadFile("../../definitions/procedures/9.000001-cap-giay-phep-xay-dung-nha-o-rieng-le.yaml")
	require.NoError(t, err)
	plan := filepath.Join(t.TempDir(), "9.000001-2025.1.yaml")
	require.NoError(t, os.WriteFile(plan, []byte(strings.Replace(string(old), `version: "2025.2"`, `version: "2025.1"`, 1)), 0o600))
	code, out, errOut := runCLI(t, analyzeArgs(analysisDB(t), "--plan", plan)...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Số lần công dân đến trực tiếp: 7 (2,33 / hồ sơ; nộp 2, bổ sung 1, nộp phí 1, bước trực tiếp 2, nhận kết quả 1)")
	require.Contains(t, out, "Kiểm tra thực địa cùng chủ đầu tư, lập biên bản kiểm tra hiện trạng ◀ điểm nghẽn")
}

func TestAnalyzeErrors(t *testing.T) {
	t.Parallel()
	db := analysisDB(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("code: 9.000001\nname: [\n"), 0o600))
	other := "../../definitions/procedures/1.001193-dang-ky-khai-sinh.yaml"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no procedure", []string{"analyze", "--read-model", db}, 2, "analyze takes one procedure code"},
		{"bad format", analyzeArgs(db, "--format", "csv"), 2, `unknown --format "csv"`},
		{"bad chart", analyzeArgs(db, "--chart", "out.gif"), 2, "--chart out.gif"},
		{"bad date", analyzeArgs(db, "--from", "01/03/2025"), 2, `--from "01/03/2025"`},
		{"unknown version", analyzeArgs(db, "--before", "2024.1", "--after", "2025.2"), 2, `version "2024.1" of 9.000001 has no dossier in the period (versions with dossiers: 2025.1, 2025.2)`},
		{"plan of another procedure", analyzeArgs(db, "--plan", other), 2, "defines procedure 1.001193, not 9.000001"},
		{"broken plan", analyzeArgs(db, "--plan", bad), 2, "bad.yaml"},
		{"no dossier", []string{"analyze", "1.001193", "--read-model", db, "--definitions", "../../definitions"}, 1, "no dossier of procedure 1.001193"},
		{"no data folder", []string{"analyze", "9.000001", "--data", filepath.Join(t.TempDir(), "none"), "--definitions", "../../definitions"}, 1, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chart := filepath.Join(t.TempDir(), "never.svg")
			args := append(tc.args, "--chart", chart)
			if tc.name == "bad chart" {
				args = tc.args
			}
			code, out, errOut := runCLI(t, args...)
			require.Equal(t, tc.code, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, tc.want)
			_, err := os.Stat(chart)
			require.True(t, os.IsNotExist(err), "a failed analysis wrote its chart")
		})
	}
}
