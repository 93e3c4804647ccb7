package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/simulate"
	"github.com/motcua/motcua/internal/store"
)

const (
	businessFile = "../../definitions/procedures/1.001612-dang-ky-thanh-lap-ho-kinh-doanh.yaml"
	catalogDir   = "../../definitions"
)

// simulateCLI runs motcua simulate on a few dossiers of the business
// registration with the example calendars.
func simulateCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"simulate", "--definitions", catalogDir, "--dossiers", "20"}, args...)...)
}

func TestSimulateText(t *testing.T) {
	t.Parallel()
	code, out, errOut := simulateCLI(t, businessFile)
	require.Equal(t, 0, code, errOut)
	for _, want := range []string{
		"Mô phỏng thủ tục 1.001612 Đăng ký thành lập hộ kinh doanh\n",
		"Phiên bản 2025.2 (kế hoạch ",
		"hình thức full_online, kênh nộp online, trả kết quả e_result\n",
		"20 hồ sơ đến từ 08:00 12/01/2026 đến ",
		"bình quân 20,0 hồ sơ/ngày làm việc; hạt giống 1\n",
		"Thời gian cán bộ xử lý: trung vị 0,60 × thời gian quy định của bước (phân phối log-chuẩn)\n",
		"Yêu cầu bổ sung khi tiếp nhận: 5,0% hồ sơ\n",
	} {
		require.Contains(t, out, want)
	}
	for _, re := range []string{
		`(?m)^Tỷ lệ đúng hạn +\d+,\d% \(sớm hạn \d+, đúng hạn \d+, trễ hạn \d+\)$`,
		`(?m)^Số hồ sơ/ngày làm việc +\d+,\d \(20 hồ sơ xong trong \d+,\d ngày làm việc\)$`,
		`(?m)^Thời gian xử lý trung bình +\d+,\d\d ngày làm việc \(trung vị \d+,\d\d, P90 \d+,\d\d\)$`,
		`(?m)^Bước tắc nghẽn +\S+ – .+ \(trễ hạn \d+,\d%, dùng \d+,\d% thời gian quy định\)$`,
		`(?m)^Bước +Loại +Số lần +TB \(giờ LV\) +Quy định \(giờ LV\) +Trễ hạn$`,
		`(?m)^nop_le_phi +nộp phí +20 +\d+,\d\d +40 +0,0%$`,
		`(?m)^tham_dinh +xử lý +20 +\d+,\d\d +12 +\d+,\d%$`,
	} {
		require.Regexp(t, re, out)
	}
	require.Regexp(t, `^Đã mô phỏng 20 hồ sơ trong \d+,\d\d giây \(\d+ hồ sơ/giây\)\.\n$`, errOut,
		"no progress line: stderr is not a terminal")
}

func TestSimulateJSONIsReproducible(t *testing.T) {
	t.Parallel()
	var results [2]simulate.Result
	for i := range results {
		code, out, errOut := simulateCLI(t, "--format", "json", "--seed", "3", "--supplement-rate", "0", businessFile)
		require.Equal(t, 0, code, errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &results[i]))
		require.Positive(t, results[i].WallSeconds)
		results[i].WallSeconds = 0
	}
	r := results[0]
	require.Equal(t, results[0], results[1], "the same flags give the same figures")
	require.Equal(t, "1.001612", r.Procedure)
	require.Equal(t, 20, r.Dossiers)
	require.Equal(t, 20, r.Finished)
	require.Equal(t, int64(3), r.Seed)
	require.Zero(t, r.Supplements, "--supplement-rate 0 means never")
	require.Equal(t, 0.0, r.SupplementRate)
}

func TestSimulateProgress(t *testing.T) {
	t.Parallel()
	code, _, errOut := simulateCLI(t, "--progress", "--format", "json", businessFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "\rMô phỏng [")
	require.Contains(t, errOut, "] 20/20 hồ sơ (100%) · ")
}

func TestSimulateOptions(t *testing.T) {
	t.Parallel()
	code, out, errOut := simulateCLI(t, "--mode", "partial_online", "--fraction", "3", "--check-fail-rate", "1",
		"--arrivals", "5", "--format", "json", businessFile)
	require.Equal(t, 0, code, errOut)
	var r simulate.Result
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	require.Equal(t, "partial_online", r.Mode)
	require.Equal(t, "counter", r.Delivery)
	require.Equal(t, 5.0, r.ArrivalsPerDay)
	require.Less(t, r.OnTimeRate, 0.5, "officers three times slower than allotted")
	var keys []string
	for _, s := range r.Steps {
		keys = append(keys, s.Key)
	}
	require.Contains(t, keys, "xu_ly_trung_ten", "the name check fails")
	require.Contains(t, keys, "tra_ket_qua.pickup")
}

func TestSimulateUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "simulate needs exactly one definition file, got 0 arguments"},
		{[]string{businessFile, birthFile}, "got 2 arguments"},
		{[]string{"--dossiers", "0", businessFile}, "--dossiers 0: give a number of dossiers from 1 to 100000"},
		{[]string{"--dossiers", "many", businessFile}, `invalid argument "many" for "--dossiers"`},
		{[]string{"--arrivals", "-3", businessFile}, "--arrivals -3: give a positive number of dossiers per working day, e.g. 20"},
		{[]string{"--arrivals", "NaN", businessFile}, "--arrivals NaN: give a positive number"},
		{[]string{"--fraction", "0", businessFile}, "--fraction 0: give a positive fraction of the allotted time, at most 100, e.g. 0.6"},
		{[]string{"--supplement-rate", "1.5", businessFile}, "--supplement-rate 1.5: give a probability from 0 to 1, e.g. 0.05"},
		{[]string{"--check-fail-rate", "-1", businessFile}, "--check-fail-rate -1: give a probability from 0 to 1"},
		{[]string{"--format", "csv", businessFile}, `unknown --format "csv" (use one of text, json)`},
		{[]string{"--mode", "online", businessFile}, `unknown --mode "online" (use one of full_online, partial_online)`},
		{[]string{"--seed", "x", businessFile}, `invalid argument "x" for "--seed"`},
		{[]string{"--speed", "2", businessFile}, "unknown flag: --speed"},
	} {
		code, out, errOut := runCLI(t, append([]string{"simulate"}, c.args...)...)
		require.Equal(t, 2, code, "%v: %s", c.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, c.want, "%v", c.args)
		require.Contains(t, errOut, "Run 'motcua --help' for usage.")
	}
}

func TestSimulateModeNotOffered(t *testing.T) {
	t.Parallel()
	code, out, errOut := simulateCLI(t, "--mode", "full_online", oldFile)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `procedure 1.001193 does not offer mode "full_online" (it offers partial_online)`)
}

func TestSimulateInvalidDefinition(t *testing.T) {
	t.Parallel()
	code, out, errOut := simulateCLI(t, invalidFile(t))
	require.Equal(t, 1, code)
	require.Empty(t, out, "an invalid definition is not simulated")
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	require.GreaterOrEqual(t, len(lines), 3, errOut)
	for _, l := range lines[:len(lines)-1] {
		require.Regexp(t, diagLine, l)
	}
	require.Contains(t, lines[len(lines)-1], "is not a valid definition")
}

func TestSimulateNeedsTheCalendars(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "simulate", "--definitions", dir, businessFile)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "motcua: no working calendars in "+dir+" (give --definitions, the folder holding calendars/)")
}

func TestSimulateHelp(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "simulate", "--help")
	require.Equal(t, 0, code)
	for _, want := range []string{"motcua simulate FILE", "--dossiers", "--arrivals", "--fraction", "--supplement-rate",
		"--seed", "--history", "--progress", "time-skipping", "Examples:"} {
		require.Contains(t, out, want)
	}
}

// pastDossier is a processed dossier of the business registration as the
// read model holds it: a review that took 20 working hours.
func pastDossier(code string, received time.Time) dossier.Projection {
	at := func(h float64) time.Time { return received.Add(time.Duration(h * float64(time.Hour))) }
	events := []dossier.Event{
		{Kind: dossier.EventSubmitted, At: at(0)},
		{Kind: dossier.EventTaskOpened, Step: "tiep_nhan", Note: "tiep_nhan", At: at(0)},
		{Kind: dossier.EventActed, Step: "tiep_nhan", Outcome: "accept", At: at(1)},
		{Kind: dossier.EventTaskOpened, Step: "tham_dinh", Note: "tham_dinh", At: at(1)},
		// Mon 09:00 to Wed 14:30: 6.5 + 8 + 5.5 = 20 working hours.
		{Kind: dossier.EventActed, Step: "tham_dinh", Outcome: "approve", At: at(54.5), Timeliness: dossier.Late},
		{Kind: dossier.EventProcessed, At: at(54.5), Timeliness: dossier.Early},
	}
	for i := range events {
		events[i].Seq = i + 1
	}
	return dossier.Projection{WorkflowID: code, Code: code, Seq: len(events), Events: events,
		Snapshot: &dossier.State{Code: code, ProcedureCode: "1.001612", Mode: "full_online", Channel: "online",
			Status: dossier.StatusReturned, ReceivedAt: at(0), FinishedAt: at(54.5), Timeliness: dossier.Early}}
}

func TestSimulateHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "read.db")
	st, err := store.Open(ctx, path)
	require.NoError(t, err)
	monday := time.Date(2025, 9, 8, 8, 0, 0, 0, dossier.Vietnam)
	for i := range 3 {
		require.NoError(t, st.ProjectionApply(ctx, pastDossier(fmt.Sprintf("H-%d", i), monday.AddDate(0, 0, 7*i))))
	}
	open := pastDossier("H-open", monday)
	open.Snapshot.Timeliness, open.Snapshot.Status = "", dossier.StatusProcessing
	require.NoError(t, st.ProjectionApply(ctx, open))
	require.NoError(t, st.Close())

	code, out, errOut := simulateCLI(t, "--history", path, businessFile)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Thời gian cán bộ xử lý: lấy mẫu từ 3 hồ sơ đã xử lý trong dữ liệu (2 bước có mẫu); bước khác: trung vị 0,60 × ")
	require.Regexp(t, `(?m)^tham_dinh +xử lý +20 +20,00 +12 +100,0%$`, out, "every review takes the 20 hours of the history")

	code, out, errOut = simulateCLI(t, "--history", filepath.Join(t.TempDir(), "none.db"), businessFile)
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "motcua: --history: stat ")

	empty := filepath.Join(t.TempDir(), "empty.db")
	st, err = store.Open(ctx, empty)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	code, _, errOut = simulateCLI(t, "--history", empty, businessFile)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "motcua: --history: the read model has no processed dossier of procedure 1.001612")
}
