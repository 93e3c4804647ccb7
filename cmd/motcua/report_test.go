package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// reportDB writes the indicators' fixture (indicatorstest: dossiers A–V,
// February to April 2025) to a SQLite read model and returns its path.
func reportDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "read.db")
	s, err := store.Open(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, indicatorstest.Apply(context.Background(), s))
	require.NoError(t, s.Close())
	return path
}

func reportArgs(db string, args ...string) []string {
	return append([]string{"report", "--read-model", db, "--definitions", "../../definitions",
		"--from", "2025-03-01", "--to", "2025-03-31"}, args...)
}

func TestReportTable(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, reportArgs(reportDB(t))...)
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	lines := strings.Split(out, "\n")
	require.Equal(t, "Chỉ số giải quyết thủ tục hành chính", lines[0])
	require.Equal(t, "Kỳ báo cáo: 01/03/2025 – 31/03/2025, số liệu chốt lúc 00:00 01/04/2025", lines[1])
	require.Equal(t, "Toàn bộ", lines[3])
	// The figures the fixture's documentation computes by hand.
	for _, want := range []string{
		"Hồ sơ tiếp nhận trong kỳ ", "  20\n",
		"Tỷ lệ hồ sơ đúng hạn (trước hạn, đúng hạn và đang trong hạn)", "61,90%", "13 / 21",
		"Tỷ lệ hồ sơ trễ hạn", "33,33%", "7 / 21",
		"Thời gian giải quyết trung bình (ngày làm việc)", "3,22 ngày", "29 / 9",
		"Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia", "80,00%", "16 / 20",
		"Tỷ lệ hồ sơ thanh toán trực tuyến", "57,14%", "4 / 7",
		"Danh mục thủ tục (cả kỳ)",
		"Tỷ lệ dịch vụ công trực tuyến phát sinh hồ sơ trực tuyến", "33,33%", "2 / 6",
		"Tỷ lệ hồ sơ bị phản ánh, kiến nghị", "9,52%", "2 / 21",
		"Mức độ hài lòng", "57,14%", "12 / 21",
		"Ghi chú:\n  - timeliness_unknown: ",
		"timeliness_unknown: 1 dossier(s) without appointment date not judged, procedure X.999999 is not in the catalog: T",
	} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "chưa có dữ liệu", "every figure has its data")
	// Columns line up: the value column starts at the same place on every
	// line of the first table.
	header := lines[4]
	require.True(t, strings.HasPrefix(header, "  CHỈ SỐ "), header)
	col := strings.Index(header, "GIÁ TRỊ")
	for _, l := range lines[5:10] {
		require.NotEqual(t, ' ', []rune(l)[len([]rune(header[:col]))], l)
	}
}

func TestReportJSON(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, reportArgs(reportDB(t), "--format", "json", "--by", "agency")...)
	require.Equal(t, 0, code, errOut)
	var r indicators.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.True(t, indicatorstest.March[0].Equal(r.From), r.From)
	require.True(t, indicatorstest.March[1].Equal(r.To), r.To)
	require.Equal(t, indicators.ByAgency, r.By)
	require.Len(t, r.Groups, 3)
	// Every figure states its parts: phong_kinh_te's on-time rate, A I J V
	// G U early, B D on time, E L Q within, of its 18 dossiers.
	f := r.Groups[0].Figure("on_time_rate")
	require.Equal(t, 11.0, f.Numerator)
	require.Equal(t, 18, *f.Denominator)
	require.InDelta(t, 11.0/18, *f.Value, 1e-12)
	require.Equal(t, "on_time_rate = (finished_early + finished_on_time + open_within) / handled", f.Formula)
	require.Contains(t, out, `"denominator": 18,`)
	require.Contains(t, out, `"from": "2025-03-01T00:00:00+07:00"`)
	require.Contains(t, out, `"value": null`) // so_cu's online payment rate: no fees due
	// phong_kinh_te received 17 dossiers in March, all synced but E2 and M.
	sync := r.Groups[0].Figure("sync_rate")
	require.Equal(t, [2]float64{15, 17}, [2]float64{sync.Numerator, float64(*sync.Denominator)})
	require.Empty(t, sync.Missing)
}

func TestReportCSV(t *testing.T) {
	t.Parallel()
	code, out, errOut := runCLI(t, reportArgs(reportDB(t), "--format", "csv", "--by", "month", "--from", "2025-02-01")...)
	require.Equal(t, 0, code, errOut)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"section", "group", "group_name", "from", "to", "as_of", "id", "name",
		"numerator", "denominator", "value", "unit", "formula", "missing", "note"}, recs[0])
	find := func(group, id string) []string {
		for _, r := range recs[1:] {
			if r[1] == group && r[6] == id {
				return r
			}
		}
		t.Fatalf("no %s %s", group, id)
		return nil
	}
	require.Equal(t, []string{"dossiers", "2025-03", "Tháng 03/2025", "2025-03-01T00:00:00+07:00", "2025-04-01T00:00:00+07:00",
		"2025-04-01T00:00:00+07:00", "on_time_rate", "Tỷ lệ hồ sơ đúng hạn (trước hạn, đúng hạn và đang trong hạn)",
		"13", "21", "0.6190476190476191", "ratio", "on_time_rate = (finished_early + finished_on_time + open_within) / handled", "", ""},
		find("2025-03", "on_time_rate"))
	// February: O early, N open and overdue at the cut.
	require.Equal(t, []string{"1", "2", "0.5"}, find("2025-02", "on_time_rate")[8:11])
	require.Equal(t, []string{"2", "", "2", "count"}, find("2025-02", "handled")[8:12])
	require.Equal(t, []string{"16", "20", "0.8", "ratio",
		"sync_rate = received, with a status push accepted by the national portal before the cut / received", "", ""},
		find("2025-03", "sync_rate")[8:])
	// February: N and O, both synced.
	require.Equal(t, []string{"2", "2", "1"}, find("2025-02", "sync_rate")[8:11])
	catalog := 0
	for _, r := range recs[1:] {
		if r[0] == "catalog" {
			catalog++
		}
	}
	require.Equal(t, 7, catalog)
}

func TestReportUsageErrors(t *testing.T) {
	t.Parallel()
	db := reportDB(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--by", "week"}, `unknown --by "week" (use one of month, agency, procedure, version)`},
		{[]string{"--format", "xml"}, `unknown --format "xml" (use one of table, json, csv)`},
		{[]string{"--from", "2025/03/01"}, `--from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`},
		{[]string{"--to", "31-03-2025"}, `--to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`},
		{[]string{"--from", "2025-04-01"}, "--to 2025-03-31 is before --from 2025-04-01"},
		{[]string{"--from", "2999-01-01", "--to", "2999-01-31"}, "invalid report parameters: the period starts at 2999-01-01 00:00, after the time of the report"},
		{[]string{"--sector", "Hộ tich"}, `invalid report parameters: no procedure of the catalog is in sector "Hộ tich" (its sectors: `},
		{[]string{"--colour"}, "unknown flag: --colour"},
		{[]string{"1.001193"}, `report takes no arguments (got "1.001193"); filter with --agency, --procedure or --sector`},
		{[]string{"--chart", "chart.jpg"}, `--chart: chart file "chart.jpg": the name must end in .svg or .png`},
		{[]string{"--chart", "chart"}, `--chart: chart file "chart": the name must end in .svg or .png`},
		{[]string{"--chart", "chart.svg", "--chart-kind", "pie"}, `unknown --chart-kind "pie" (use one of trend, channels)`},
		{[]string{"--chart", "chart.svg", "--chart-kind", "trend"}, "--chart-kind trend draws the on-time rate of each month: add --by month"},
		{[]string{"--chart", "chart.svg", "--chart-kind", "trend", "--by", "agency"}, "--chart-kind trend draws the on-time rate of each month: add --by month"},
		{[]string{"--chart-kind", "channels"}, "--chart-kind channels needs --chart FILE.svg or FILE.png to draw into"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, reportArgs(db, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		require.Empty(t, out)
		require.True(t, strings.HasPrefix(errOut, "motcua: "), errOut)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
		require.Contains(t, errOut, "Run 'motcua --help' for usage.")
	}
}

func TestReportNeedsItsInputs(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	code, _, errOut := runCLI(t, "report", "--data", missing, "--definitions", "../../definitions")
	require.Equal(t, 1, code)
	require.Equal(t, "motcua: data folder "+missing+" does not exist: start the engine with 'motcua dev --data "+missing+
		"', or give --data or --read-model\n", errOut)

	code, _, errOut = runCLI(t, "report", "--read-model", reportDB(t), "--definitions", missing)
	require.Equal(t, 1, code)
	require.Equal(t, "motcua: loading the catalog from "+missing+" (give --definitions): loading catalog: "+missing+
		" has neither procedures/ nor calendars/\n", errOut)

	// An empty data folder gets an empty read model: no dossier.
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	code, out, errOut := runCLI(t, "report", "--data", dir, "--definitions", "../../definitions", "--from", "2025-03-01", "--to", "2025-03-31")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Không có hồ sơ nào trong kỳ.")
}

// svgRoot parses an SVG document as XML and returns its root element's
// name.
func svgRoot(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return root
		}
		require.NoError(t, err, "the SVG parses")
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}

// files lists the names in a folder.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestReportChart(t *testing.T) {
	t.Parallel()
	db := reportDB(t)
	dir := t.TempDir()

	// By month: the trend, besides the table.
	trend := filepath.Join(dir, "dung-han.svg")
	code, out, errOut := runCLI(t, reportArgs(db, "--from", "2025-02-01", "--to", "2025-04-30", "--by", "month", "--chart", trend)...)
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	require.Contains(t, out, "Tháng 03/2025 (01/03/2025 – 31/03/2025)", "the normal output")
	data, err := os.ReadFile(trend)
	require.NoError(t, err)
	require.Equal(t, "svg", svgRoot(t, data))
	for _, want := range []string{"Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng", ">02/2025<", ">03/2025<", ">04/2025<", "Mục tiêu 95%"} {
		require.Contains(t, string(data), want)
	}

	// Otherwise the channel mix, here as PNG next to the JSON output, one
	// bar per agency.
	mix := filepath.Join(dir, "kenh-nop.png")
	code, out, errOut = runCLI(t, reportArgs(db, "--by", "agency", "--format", "json", "--chart", mix)...)
	require.Equal(t, 0, code, errOut)
	var r indicators.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), "the JSON output is untouched")
	require.Len(t, r.Groups, 3)
	data, err = os.ReadFile(mix)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 500)
	info, err := os.Stat(mix)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o644), info.Mode().Perm())

	// --chart-kind chooses: the channel mix of each month; the figures
	// drawn are the report's, so another period draws another picture.
	channels := filepath.Join(dir, "kenh-theo-thang.svg")
	code, _, errOut = runCLI(t, reportArgs(db, "--from", "2025-02-01", "--to", "2025-04-30", "--by", "month",
		"--chart-kind", "channels", "--chart", channels)...)
	require.Equal(t, 0, code, errOut)
	byMonth, err := os.ReadFile(channels)
	require.NoError(t, err)
	require.Contains(t, string(byMonth), "Hồ sơ tiếp nhận theo kênh nộp")
	require.Contains(t, string(byMonth), ">04/2025<")
	code, _, errOut = runCLI(t, reportArgs(db, "--by", "month", "--chart-kind", "channels", "--chart", channels)...)
	require.Equal(t, 0, code, errOut)
	march, err := os.ReadFile(channels)
	require.NoError(t, err)
	require.NotContains(t, string(march), ">04/2025<")
	require.NotEqual(t, string(byMonth), string(march))

	require.ElementsMatch(t, []string{"dung-han.svg", "kenh-nop.png", "kenh-theo-thang.svg"}, files(t, dir),
		"no temporary file is left behind")
}

func TestReportChartFailuresLeaveNoFile(t *testing.T) {
	t.Parallel()
	db := reportDB(t)
	dir := t.TempDir()

	// Nothing to draw: no dossier of 9.000001 in March. The file is
	// neither written nor replaced, and nothing is printed.
	path := filepath.Join(dir, "trend.svg")
	code, out, errOut := runCLI(t, reportArgs(db, "--procedure", "9.000001", "--by", "month", "--chart", path)...)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "motcua: --chart "+path+": nothing to draw, no file written: the on-time trend of 2025-03-01 to 2025-04-01: "+
		"no month has a dossier handled: charts: no data to draw\n", errOut)
	require.Empty(t, files(t, dir))

	require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
	code, _, _ = runCLI(t, reportArgs(db, "--procedure", "9.000001", "--by", "month", "--chart", path)...)
	require.Equal(t, 1, code)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "old", string(data), "the file as it was")
	require.Equal(t, []string{"trend.svg"}, files(t, dir))

	// A folder that does not exist.
	missing := filepath.Join(dir, "khong-co", "trend.svg")
	code, out, errOut = runCLI(t, reportArgs(db, "--by", "month", "--chart", missing)...)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.True(t, strings.HasPrefix(errOut, "motcua: --chart: writing "+missing+": "), errOut)
	require.Contains(t, errOut, "no such file or directory")
}
