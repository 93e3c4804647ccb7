package console

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
)

func TestNewNamesMissingOptions(t *testing.T) {
	_, err := New(Options{})
	require.EqualError(t, err, "console: missing Service, Store, Auth")
}

func TestLocalPath(t *testing.T) {
	for next, want := range map[string]bool{
		"/console/inbox":                    true,
		"/console/dossiers/X-1?status=5":    true,
		"/console/dossiers/X-1#actions":     true,
		"":                                  false,
		"/":                                 false,
		"/v1/audit":                         false,
		"//evil.example/console/":           false,
		"/\\evil.example":                   false,
		"https://evil.example/console/":     false,
		"/console/../v1/audit":              false,
		"/console/x\r\nSet-Cookie: a=b":     false,
		"javascript:alert(1)//console/":     false,
		"/console/dossiers/X-1/files/../..": false,
	} {
		require.Equal(t, want, localPath(next), "%q", next)
	}
}

func TestSplitItems(t *testing.T) {
	cases := []struct {
		note   string
		items  []string
		reason string
	}{
		{"Giấy chứng sinh bị mờ; Tờ khai thiếu chữ ký — Nộp bản rõ", []string{"Giấy chứng sinh bị mờ", "Tờ khai thiếu chữ ký"}, "Nộp bản rõ"},
		{"Giấy chứng sinh bị mờ", []string{"Giấy chứng sinh bị mờ"}, ""},
		{"", nil, ""},
	}
	for _, tc := range cases {
		items, reason := splitItems(tc.note)
		require.Equal(t, tc.items, items, tc.note)
		require.Equal(t, tc.reason, reason, tc.note)
	}
	require.Equal(t, []string{"a", "b"}, splitLines(" a \r\n\r\n b\n  "))
}

func TestDueBadge(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, dossier.Vietnam)
	for _, tc := range []struct {
		due  time.Time
		want string
	}{
		{time.Time{}, "Không hạn"},
		{now.Add(-time.Second), "Quá hạn"},
		{now, "Sắp đến hạn"},
		{now.Add(24*time.Hour - time.Second), "Sắp đến hạn"},
		{now.Add(24 * time.Hour), "Trong hạn"},
	} {
		require.Equal(t, tc.want, dueBadge(tc.due, now).Text, "due %v", tc.due)
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2025, 7, 1, 1, 5, 0, 0, time.UTC)
	require.Equal(t, "01/07/2025 08:05", fmtTime(at))
	require.Equal(t, "—", fmtTime(time.Time{}))
	require.Equal(t, "ngày 01 tháng 07 năm 2025", fmtDay(at))
	require.Equal(t, "75.000 đồng", fmtVND(75000))
	require.Equal(t, "1.200.000 đồng", fmtVND(1200000))
	require.Equal(t, "0 đồng", fmtVND(0))
	require.Equal(t, "2 giờ 30 phút", fmtDuration(150*time.Minute))
	require.Equal(t, "Có", formValue("true", "boolean"))
	require.Equal(t, "01/07/2025", formValue("2025-07-01", "date"))
	require.Equal(t, "2025-07-01", formValue("2025-07-01", "string"))
	require.Equal(t, "12.5", formValue(12.5, "number"))
}

func TestFlowsBounded(t *testing.T) {
	var f flows
	now := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	for i := range maxFlows {
		f.put(strconv.Itoa(i), flow{state: "s", expires: now.Add(time.Duration(i) * time.Millisecond)}, now)
	}
	// Full: the one expired is dropped first.
	f.put("new", flow{expires: now.Add(flowTTL)}, now.Add(time.Millisecond/2))
	_, ok := f.take("0")
	require.False(t, ok, "the expired flow is dropped")
	require.Len(t, f.m, maxFlows)
	// Full and none expired: the oldest goes.
	f.put("newer", flow{expires: now.Add(flowTTL)}, now)
	_, ok = f.take("1")
	require.False(t, ok, "the oldest flow is dropped")
	fl, ok := f.take("2")
	require.True(t, ok)
	require.Equal(t, "s", fl.state)
	_, ok = f.take("2")
	require.False(t, ok, "a flow is taken once")
}

func TestClip(t *testing.T) {
	require.Equal(t, "abc", clip("abc", 3))
	require.Equal(t, "ab…", clip("abcd", 2))
	require.Equal(t, "Đ…", clip("Đăng", 3), "not inside a rune")
	require.Equal(t, "ab", clip("a\xffb", 5))
}
