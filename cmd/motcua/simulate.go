package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/simulate"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// Limits of the simulate flags.
const (
	maxSimDossiers = 100_000
	maxSimFraction = 100.0
	// maxHistoryDossiers is how many of the newest finished dossiers
	// --history reads.
	maxHistoryDossiers = 5000
)

type simulateFlags struct {
	mode, format, defs, history string
	dossiers                    int
	arrivals, fraction, suppl   float64
	checkFail                   float64
	seed                        int64
	progress                    bool
}

func newSimulateCmd(s streams) *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate FILE",
		Short: "What-if run of a procedure definition: expected on-time rate and throughput",
		Long: `simulate runs many dossiers of one procedure definition through the real
dossier workflow, in Temporal's time-skipping test environment, and prints
what to expect: the on-time rate (tỷ lệ đúng hạn), the dossiers finished per
working day, the mean handling time and the step most often late.

Dossiers arrive as a Poisson process, --arrivals per working day on average,
from Monday 12 January 2026 08:00, through the office hours of the working
calendars of --definitions. Officers take the outcome that moves the
dossier on; the one-stop officer asks for a supplement at reception with
probability --supplement-rate; applicants supplement and pay; other agencies
answer consultations. Each officer's working time is drawn from a lognormal
distribution whose median is --fraction of the step's allotted time, or,
with --history, resampled from the steps of the dossiers of the procedure
that the read model holds (earlier versions included; steps they lack fall
back to --fraction). Officers have no capacity limit: the figures show what
the definition and the people's pace do to the deadlines, not queues.

The same flags give the same figures (--seed). An invalid definition is not
simulated: its problems are printed as file:line:col lines and simulate exits
1. A progress line is kept on stderr when it is a terminal, or with
--progress.`,
		Example: `  motcua simulate definitions/procedures/1.001612-dang-ky-thanh-lap-ho-kinh-doanh.yaml
  motcua simulate --dossiers 1000 --arrivals 50 --fraction 0.8 birth.yaml
  motcua simulate --history motcua.db --format json new-version.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("simulate needs exactly one definition file, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return runSimulate(cmd.Context(), s, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.mode, "mode", "", "mode to simulate: "+strings.Join(definitions.AllModes, " or ")+" (default: the first the procedure offers)")
	fl.IntVar(&f.dossiers, "dossiers", simulate.DefaultDossiers, "number of dossiers to simulate")
	fl.Float64Var(&f.arrivals, "arrivals", simulate.DefaultArrivalsPerDay, "mean number of dossiers arriving per working day")
	fl.Int64Var(&f.seed, "seed", 1, "seed of the random draws: the same seed gives the same figures")
	fl.Float64Var(&f.fraction, "fraction", simulate.DefaultFraction, "median time officers take, as a fraction of each step's allotted time")
	fl.Float64Var(&f.suppl, "supplement-rate", simulate.DefaultSupplementRate, "probability that reception asks for a supplement")
	fl.Float64Var(&f.checkFail, "check-fail-rate", 0, "probability that an automated check fails (the path after a failed check is then taken)")
	fl.StringVar(&f.history, "history", "", "read model (SQLite path or postgres:// URL) to draw step times from the procedure's past dossiers")
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.BoolVar(&f.progress, "progress", false, "show the progress line on stderr even when it is not a terminal")
	fl.StringVar(&f.defs, "definitions", "definitions", "catalog folder holding calendars/")
	return cmd
}

// check validates the flags that need no file.
func (f simulateFlags) check() error {
	if err := checkFormat(f.format, "text", "json"); err != nil {
		return err
	}
	if f.mode != "" {
		if err := checkChoice("mode", f.mode, definitions.AllModes...); err != nil {
			return err
		}
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case f.dossiers < 1 || f.dossiers > maxSimDossiers:
		return usageError{fmt.Errorf("--dossiers %d: give a number of dossiers from 1 to %d", f.dossiers, maxSimDossiers)}
	case !finite(f.arrivals) || f.arrivals <= 0:
		return usageError{fmt.Errorf("--arrivals %v: give a positive number of dossiers per working day, e.g. 20", f.arrivals)}
	case !finite(f.fraction) || f.fraction <= 0 || f.fraction > maxSimFraction:
		return usageError{fmt.Errorf("--fraction %v: give a positive fraction of the allotted time, at most %v, e.g. 0.6", f.fraction, maxSimFraction)}
	case !finite(f.suppl) || f.suppl < 0 || f.suppl > 1:
		return usageError{fmt.Errorf("--supplement-rate %v: give a probability from 0 to 1, e.g. 0.05", f.suppl)}
	case !finite(f.checkFail) || f.checkFail < 0 || f.checkFail > 1:
		return usageError{fmt.Errorf("--check-fail-rate %v: give a probability from 0 to 1, e.g. 0.1", f.checkFail)}
	}
	return nil
}

func runSimulate(ctx context.Context, s streams, f simulateFlags, path string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	plan, err := loadPlan(s.err, path)
	if err != nil {
		return err
	}
	mode := f.mode
	if mode == "" {
		mode = plan.Modes[0].Mode
	}
	if plan.Mode(mode) == nil {
		return fmt.Errorf("procedure %s does not offer mode %q (it offers %s)", plan.Code, mode, simModes(plan))
	}
	cal, err := simCalendars(s.err, f.defs)
	if err != nil {
		return err
	}
	allotted := simulate.Allotted{Fraction: f.fraction, CheckFailRate: f.checkFail}
	opts := simulate.Options{Plan: plan, Mode: mode, Calendar: cal, Dossiers: f.dossiers, ArrivalsPerDay: f.arrivals,
		Seed: f.seed, Durations: allotted, SupplementRate: f.suppl}
	if f.suppl == 0 {
		opts.SupplementRate = -1 // never
	}
	var hist *simHistory
	if f.history != "" {
		if hist, err = simReadHistory(ctx, f.history, plan, cal); err != nil {
			return err
		}
		hist.model.Fallback = allotted
		opts.Durations = hist.model
	}
	var bar *simProgress
	if f.progress || simIsTerminal(s.err) {
		bar = &simProgress{w: s.err, started: time.Now()}
		opts.Progress = bar.update
	}
	res, err := simulate.Run(ctx, opts)
	if err != nil {
		if bar != nil {
			bar.abandon()
		}
		return fmt.Errorf("simulating %s: %w", path, err)
	}
	if f.format == "json" {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("writing the simulation: %w", err)
		}
	} else if err := simPrint(s.out, res, f, hist); err != nil {
		return fmt.Errorf("writing the simulation: %w", err)
	}
	fmt.Fprintf(s.err, "Đã mô phỏng %d hồ sơ trong %s giây (%s hồ sơ/giây).\n",
		res.Dossiers, simNumber(res.WallSeconds, 2), simNumber(res.DossiersPerSecond(), 0))
	return nil
}

func simModes(p *definitions.Plan) string {
	modes := make([]string, len(p.Modes))
	for i, m := range p.Modes {
		modes[i] = m.Mode
	}
	return strings.Join(modes, ", ")
}

// simCalendars reads the working calendars under dir/calendars. Their
// problems are printed as file:line:col lines and are exit status 1.
func simCalendars(w io.Writer, dir string) (*workcal.Calendar, error) {
	path := filepath.Join(dir, "calendars")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no working calendars in %s (give --definitions, the folder holding calendars/): %w", dir, err)
	}
	res, err := definitions.LintPaths([]string{path})
	if err != nil {
		return nil, fmt.Errorf("reading the working calendars: %w", err)
	}
	if res.Errors > 0 {
		for _, d := range res.Diagnostics {
			fmt.Fprintln(w, d.String())
		}
		return nil, exitError{code: 1}
	}
	cat := res.Catalog()
	if len(cat.Years()) == 0 {
		return nil, fmt.Errorf("no working calendars in %s: add %s/<year>.yaml", dir, path)
	}
	return workcal.FromCatalog(cat)
}

// simHistory is what --history read from the read model.
type simHistory struct {
	dossiers int
	model    *simulate.Empirical
}

// simReadHistory resamples the step times of the procedure's newest finished
// dossiers in the read model, whatever their version.
func simReadHistory(ctx context.Context, dsn string, plan *definitions.Plan, cal *workcal.Calendar) (*simHistory, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		// Opening a SQLite path creates the file: refuse a path that is not there.
		if _, err := os.Stat(strings.TrimPrefix(dsn, "sqlite:")); err != nil {
			return nil, fmt.Errorf("--history: %w", err)
		}
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("--history: opening the read model: %w", err)
	}
	defer st.Close()
	var timelines [][]dossier.Event
	for offset := 0; len(timelines) < maxHistoryDossiers; offset += store.MaxLimit {
		page, err := st.DossierList(ctx, store.DossierListParams{Procedure: plan.Code, Limit: store.MaxLimit, Offset: offset})
		if err != nil {
			return nil, fmt.Errorf("--history: %w", err)
		}
		for _, d := range page {
			if d.Timeliness == "" || len(timelines) == maxHistoryDossiers {
				continue // not processed yet
			}
			full, err := st.DossierGet(ctx, d.Code)
			if err != nil {
				return nil, fmt.Errorf("--history: %w", err)
			}
			timelines = append(timelines, full.Timeline)
		}
		if len(page) < store.MaxLimit {
			break
		}
	}
	if len(timelines) == 0 {
		return nil, fmt.Errorf("--history: the read model has no processed dossier of procedure %s", plan.Code)
	}
	samples, err := simulate.SamplesFromTimelines(cal, timelines...)
	if err != nil {
		return nil, fmt.Errorf("--history: %w", err)
	}
	m := simulate.NewEmpirical(samples)
	m.CheckFailRates = simulate.CheckFailRates(timelines...)
	return &simHistory{dossiers: len(timelines), model: m}, nil
}

// simPrint prints the Vietnamese summary and the table of steps.
func simPrint(w io.Writer, r simulate.Result, f simulateFlags, hist *simHistory) error {
	when := func(t time.Time) string { return t.In(dossier.Vietnam).Format("15:04 02/01/2006") }
	fmt.Fprintf(w, "Mô phỏng thủ tục %s %s\n", r.Procedure, r.Name)
	fmt.Fprintf(w, "Phiên bản %s (kế hoạch %s), hình thức %s, kênh nộp %s, trả kết quả %s\n",
		r.Version, r.PlanHash, r.Mode, r.Channel, r.Delivery)
	fmt.Fprintf(w, "%d hồ sơ đến từ %s đến %s, bình quân %s hồ sơ/ngày làm việc; hạt giống %d\n",
		r.Dossiers, when(r.Start), when(r.LastArrival), simNumber(r.ArrivalsPerDay, 1), r.Seed)
	model := fmt.Sprintf("trung vị %s × thời gian quy định của bước (phân phối log-chuẩn)", simNumber(f.fraction, 2))
	if hist != nil {
		model = fmt.Sprintf("lấy mẫu từ %d hồ sơ đã xử lý trong dữ liệu (%d bước có mẫu); bước khác: %s",
			hist.dossiers, len(hist.model.Keys()), model)
	}
	fmt.Fprintf(w, "Thời gian cán bộ xử lý: %s\n", model)
	fmt.Fprintf(w, "Yêu cầu bổ sung khi tiếp nhận: %s hồ sơ", simPercent(r.SupplementRate))
	if f.checkFail > 0 {
		fmt.Fprintf(w, "; kiểm tra tự động không đạt: %s", simPercent(f.checkFail))
	}
	fmt.Fprint(w, "\n\n")

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Chỉ tiêu\tKết quả\n")
	fmt.Fprintf(tw, "Tỷ lệ đúng hạn\t%s (sớm hạn %d, đúng hạn %d, trễ hạn %d)\n", simPercent(r.OnTimeRate), r.Early, r.OnTime, r.Late)
	fmt.Fprintf(tw, "Số hồ sơ/ngày làm việc\t%s (%d hồ sơ xong trong %s ngày làm việc)\n",
		simNumber(r.Throughput, 1), r.Finished, simNumber(r.SpanDays, 1))
	fmt.Fprintf(tw, "Thời gian xử lý trung bình\t%s ngày làm việc (trung vị %s, P90 %s)\n",
		simNumber(r.HandlingDays.Mean, 2), simNumber(r.HandlingDays.P50, 2), simNumber(r.HandlingDays.P90, 2))
	if r.Refused+r.Stopped > 0 {
		fmt.Fprintf(tw, "Từ chối / dừng xử lý\t%d / %d\n", r.Refused, r.Stopped)
	}
	fmt.Fprintf(tw, "Số lần yêu cầu bổ sung\t%d\n", r.Supplements)
	bottleneck := "không có (không bước nào có thời gian quy định)"
	for _, st := range r.Steps {
		if st.Key == r.Bottleneck {
			bottleneck = fmt.Sprintf("%s – %s (trễ hạn %s, dùng %s thời gian quy định)",
				st.Key, st.Name, simPercent(st.LateShare), simPercent(st.MeanHours/st.AllottedHours))
		}
	}
	fmt.Fprintf(tw, "Bước tắc nghẽn\t%s\n", bottleneck)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Bước\tLoại\tSố lần\tTB (giờ LV)\tQuy định (giờ LV)\tTrễ hạn\n")
	for _, st := range r.Steps {
		allotted := "–"
		if st.AllottedHours > 0 {
			allotted = simNumber(st.AllottedHours, 0)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", st.Key, simStepKind(st.Kind), st.Count,
			simNumber(st.MeanHours, 2), allotted, simPercent(st.LateShare))
	}
	return tw.Flush()
}

// simStepKind is the Vietnamese name of a step or task kind.
func simStepKind(kind string) string {
	switch kind {
	case definitions.KindReception:
		return "tiếp nhận"
	case definitions.KindTask:
		return "xử lý"
	case definitions.KindSign:
		return "ký"
	case definitions.KindPay:
		return "nộp phí"
	case definitions.KindConsult:
		return "liên thông"
	case definitions.KindReturn:
		return "trả kết quả"
	case simulate.KindSupplement:
		return "bổ sung"
	case simulate.KindPickup:
		return "nhận kết quả"
	}
	return kind
}

// simNumber formats x with prec decimals and a decimal comma.
func simNumber(x float64, prec int) string {
	return strings.Replace(strconv.FormatFloat(x, 'f', prec, 64), ".", ",", 1)
}

// simPercent formats a share as a percentage with one decimal.
func simPercent(x float64) string { return simNumber(100*x, 1) + "%" }

// simProgress keeps one progress line on stderr, redrawn at most 10 times
// a second.
type simProgress struct {
	w       io.Writer
	started time.Time
	last    time.Time
	open    bool // a line is drawn and not ended
}

const simProgressWidth = 30

func (p *simProgress) update(done, total int) {
	now := time.Now()
	if done < total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.open = now, true
	filled := done * simProgressWidth / max(total, 1)
	rate := float64(done) / max(now.Sub(p.started).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "\rMô phỏng [%s%s] %d/%d hồ sơ (%d%%) · %s hồ sơ/giây ",
		strings.Repeat("█", filled), strings.Repeat("░", simProgressWidth-filled), done, total, done*100/max(total, 1), simNumber(rate, 0))
	if done == total {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// abandon ends a line left unfinished by a failed run.
func (p *simProgress) abandon() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// simIsTerminal reports whether w is a terminal.
func simIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
