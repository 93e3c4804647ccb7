package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

func TestDemoDataUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--dossiers is required: how many dossiers to generate, e.g. --dossiers 100000"},
		{[]string{"--dossiers", "0"}, "--dossiers 0: generate at least 1 dossier"},
		{[]string{"--dossiers", "many"}, `invalid argument "many" for "--dossiers"`},
		{[]string{"--dossiers", "10", "--from", "1/7/2025"}, `--from "1/7/2025": write a date YYYY-MM-DD, e.g. 2025-07-01`},
		{[]string{"--dossiers", "10", "--to", "2026-13-01"}, `--to "2026-13-01": write a date YYYY-MM-DD`},
		{[]string{"--dossiers", "10", "--from", "2025-09-01", "--to", "2025-08-31"}, "--to 2025-08-31 is before --from 2025-09-01"},
		{[]string{"--dossiers", "10", "--data", "x", "--read-model", "y.db"}, "give --data or --read-model, not both"},
		{[]string{"--dossiers", "10", "--seeds", "3"}, "unknown flag: --seeds"},
		{[]string{"--dossiers", "10", "extra"}, `demo-data takes no arguments, got "extra" (give the number with --dossiers)`},
	} {
		code, out, errOut := runCLI(t, append([]string{"demo-data"}, tc.args...)...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}
}

// TestDemoData fills a SQLite read model, refuses to mix without
// --append, then appends with numbering going on.
func TestDemoData(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "demo") // created by the command
	args := []string{"demo-data", "--dossiers", "300", "--seed", "5", "--from", "2025-09-01", "--to", "2025-09-05",
		"--data", data, "--definitions", "../../definitions"}
	code, out, errOut := runCLI(t, args...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Đã tạo dữ liệu mẫu: 300 hồ sơ, ")
	require.Contains(t, out, "Tiếp nhận từ 01/09/2025 đến 05/09/2025, hạt giống (seed) 5.")
	require.Regexp(t, `Đúng hạn: \d+,\d% số hồ sơ đã giải quyết xong`, out)
	require.Regexp(t, `Trực tuyến: \d+,\d% \(trực tiếp \d+,\d%, bưu chính \d+,\d%\)`, out)
	require.Contains(t, out, "Đã ghi vào "+filepath.Join(data, "read.db")+" trong ")
	require.Contains(t, errOut, "300 / 300 hồ sơ (100%)", "progress on stderr")

	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "read.db"))
	require.NoError(t, err)
	defer st.Close()
	n, err := st.DossierCount(ctx, store.DossierListParams{})
	require.NoError(t, err)
	require.Equal(t, 300, n)
	events := regexp.MustCompile(`300 hồ sơ, ([\d.]+) sự kiện`).FindStringSubmatch(out)
	require.NotNil(t, events)

	// The portal syncs reached the read model: the report counts as many
	// as the summary.
	m := regexp.MustCompile(`Đồng bộ lên Cổng Dịch vụ công quốc gia: (\d+),(\d)%; phản ánh, kiến nghị: (\d+)\.`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	from := time.Date(2025, 9, 1, 0, 0, 0, 0, dossier.Vietnam)
	rows, err := st.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{{From: from, To: from.AddDate(0, 0, 5)}}})
	require.NoError(t, err)
	require.Len(t, rows, 1)
	require.Equal(t, 300, rows[0].Received)
	require.Greater(t, rows[0].Synced, 200)
	require.Equal(t, m[1]+","+m[2], strings.Replace(strconv.FormatFloat(100*float64(rows[0].Synced)/300, 'f', 1, 64), ".", ",", 1))
	complaints, err := strconv.Atoi(m[3])
	require.NoError(t, err)
	require.LessOrEqual(t, rows[0].Complained, complaints, "dossiers complained about, complaints")
	require.Equal(t, complaints > 0, rows[0].Complained > 0)

	// The sequences are past every code written.
	seqs, err := st.SequenceList(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, seqs)
	total := 0
	for _, q := range seqs {
		total += q.N
	}
	require.Equal(t, 300, total, "one number per dossier, numbered from 1 each day")
	codes := codesOf(t, st)
	for _, q := range seqs {
		day := strings.ReplaceAll(q.Day[2:], "-", "")
		require.Contains(t, codes, q.Agency+"-"+day+"-"+pad4(q.N))
		require.NotContains(t, codes, q.Agency+"-"+day+"-"+pad4(q.N+1))
	}

	code, out, errOut = runCLI(t, args...)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "motcua: the read model at "+filepath.Join(data, "read.db")+
		" already holds 300 dossiers: demo data would mix with them; give --append to add to them, or an empty read model (--data, --read-model)")

	code, out, errOut = runCLI(t, append(args, "--append")...)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Đã tạo dữ liệu mẫu: 300 hồ sơ, "+events[1]+" sự kiện", "the same seed gives the same history")
	n, err = st.DossierCount(ctx, store.DossierListParams{})
	require.NoError(t, err)
	require.Equal(t, 600, n, "appended under new numbers")
	again, err := st.SequenceList(ctx)
	require.NoError(t, err)
	for i, q := range again {
		require.Equal(t, 2*seqs[i].N, q.N, "%s %s", q.Agency, q.Day)
	}
}

// TestDemoDataSameSeed: two read models filled with the same seed hold
// the same dossiers.
func TestDemoDataSameSeed(t *testing.T) {
	t.Parallel()
	var all [2][]string
	for i := range all {
		dsn := filepath.Join(t.TempDir(), "read.db")
		code, _, errOut := runCLI(t, "demo-data", "--dossiers", "120", "--seed", "9", "--from", "2025-10-01", "--to", "2025-10-03",
			"--read-model", dsn, "--definitions", "../../definitions", "--batch", "7")
		require.Equal(t, 0, code, errOut)
		st, err := store.Open(context.Background(), dsn)
		require.NoError(t, err)
		for _, c := range codesOf(t, st) {
			d, err := st.DossierGet(context.Background(), c)
			require.NoError(t, err)
			all[i] = append(all[i], c+" "+d.Status.String()+" "+strconv.Itoa(len(d.Timeline))+" "+d.Applicant.Name)
		}
		require.NoError(t, st.Close())
	}
	require.Len(t, all[0], 120)
	require.Equal(t, all[0], all[1])
}

func TestDemoDataNeedsTheCatalog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "demo-data", "--dossiers", "5", "--data", dir, "--definitions", filepath.Join(dir, "none"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "motcua: loading the catalog from "+filepath.Join(dir, "none")+" (give --definitions)")
}

func codesOf(t *testing.T, st *store.Store) []string {
	t.Helper()
	var codes []string
	for off := 0; ; off += store.MaxLimit {
		page, err := st.DossierList(context.Background(), store.DossierListParams{Limit: store.MaxLimit, Offset: off})
		require.NoError(t, err)
		for _, d := range page {
			codes = append(codes, d.Code)
		}
		if len(page) < store.MaxLimit {
			return codes
		}
	}
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}
