package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/motcua/motcua/definitions"
	"github.com/stretchr/testify/require"
)

func TestDiffText(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "diff", oldFile, newFile)
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	for _, want := range []string{
		"Thủ tục 1.001193 Đăng ký khai sinh\nPhiên bản: 2024.1 → 2025.2\n",
		"Mức độ trực tuyến: một phần → toàn trình",
		"+ trực tuyến toàn trình (full_online)",
		"~ số lần công dân đến trực tiếp: 2 → 1",
		"~ thời gian: 4 giờ làm việc → 2 giờ làm việc",
		"- xac_nhan_cu_tru (Giấy xác nhận thông tin về cư trú của cha, mẹ)",
	} {
		require.Contains(t, out, want)
	}
}

func TestDiffJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "diff", "--format", "json", oldFile, newFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, `khi so_ban_sao > 0"`, "no HTML escaping")
	var d definitions.PlanDiff
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	require.Equal(t, "2025.2", d.Version.New)
	require.False(t, d.Unchanged)
	require.Len(t, d.ModesAdded, 1)
	require.Equal(t, "full_online", d.ModesAdded[0].Mode)
	require.Equal(t, "xac_nhan_cu_tru", d.Components.Removed[0].ID)
}

func TestDiffSameFile(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, "diff", birthFile, birthFile)
	require.Equal(t, 0, code, errOut)
	require.True(t, strings.HasSuffix(out, "Không có thay đổi nào về nội dung.\n"), out)
	code, out, _ = runCLI(t, "diff", "--format", "json", birthFile, birthFile)
	require.Equal(t, 0, code)
	require.Contains(t, out, `"unchanged": true`)
}

func TestDiffInvalidDefinition(t *testing.T) {
	t.Parallel()
	path := invalidFile(t)
	for _, args := range [][]string{{"diff", path, newFile}, {"diff", oldFile, path}} {
		code, out, errOut := runCLI(t, args...)
		require.Equal(t, 1, code)
		require.Empty(t, out)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		require.Regexp(t, diagLine, lines[0])
		require.Contains(t, errOut, "is not a valid definition")
	}
}

func TestDiffUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "--format", "yaml", oldFile, newFile}, `unknown --format "yaml"`},
		{[]string{"diff", oldFile}, "diff needs two definition files, OLD and NEW, got 1 arguments"},
		{[]string{"diff"}, "got 0 arguments"},
	} {
		code, out, errOut := runCLI(t, c.args...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, c.want)
	}
}

func TestDiffHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "diff", "--help")
	require.Equal(t, 0, code)
	for _, want := range []string{"motcua diff OLD NEW", "--format", "Examples:", "in-person visits"} {
		require.Contains(t, out, want)
	}
}
