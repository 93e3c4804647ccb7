package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/atomicfile"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/vnformat"
)

func newAnalyzeCmd(s streams) *cobra.Command {
	var (
		data, readModel, defs string
		from, to, format      string
		chart                 string
		planFiles             []string
		timeout               time.Duration
		p                     analysis.Params
	)
	cmd := &cobra.Command{
		Use:   "analyze PROCEDURE",
		Short: "Compare the versions of a procedure: on-time rate, handling time, bottleneck steps, supplements, visits",
		Long: `analyze reads the dossiers of one procedure from the read model and measures
each version of its definition they ran under: dossiers, on-time rate (the
indicators' formula), median and 90th percentile of the handling time in
working days, per step the working time taken against the time allotted
and its share of the lateness (the bottleneck), the share of dossiers that
had to supplement each component, and how often citizens came in person.
It then sets two versions side by side: by default the last two that
received dossiers, or --before and --after.

The catalog holds only the version in force; give the YAML of earlier
versions with --plan to name their steps and count their in-person steps.

--chart FILE.svg|.png draws, for the later version compared (or the only
one), each step's median working time next to its allotted time.`,
		Example: `  motcua analyze 9.000001
  motcua analyze 9.000001 --before 2025.1 --after 2025.2 --plan old/9.000001.yaml
  motcua analyze 1.001612 --from 2025-01-01 --to 2025-06-30 --format json
  motcua analyze 1.001612 --chart buoc-xu-ly.svg`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("analyze takes one procedure code, e.g. 'motcua analyze 1.001612' (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			chartFormat := ""
			if chart != "" {
				var err error
				if chartFormat, err = charts.Format(chart); err != nil {
					return usageError{fmt.Errorf("--chart %s: %w", chart, err)}
				}
			}
			p.Procedure, p.Now = args[0], time.Now()
			if from != "" {
				f, err := parseDay("from", from)
				if err != nil {
					return err
				}
				p.From = f
			}
			if to != "" {
				t, err := parseDay("to", to)
				if err != nil {
					return err
				}
				p.To = t.AddDate(0, 0, 1)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			cat, err := definitions.LoadCatalog(defs)
			if err != nil {
				return fmt.Errorf("loading the catalog from %s (give --definitions): %w", defs, err)
			}
			for _, f := range planFiles {
				plan, err := loadPlanFile(f)
				if err != nil {
					return err
				}
				if plan.Code != p.Procedure {
					return usageError{fmt.Errorf("--plan %s defines procedure %s, not %s", f, plan.Code, p.Procedure)}
				}
				p.Plans = append(p.Plans, plan)
			}
			st, err := openReadModel(ctx, data, readModel)
			if err != nil {
				return err
			}
			defer st.Close()
			a, err := analysis.Analyze(ctx, st, cat, p)
			if errors.Is(err, analysis.ErrInvalid) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if chart != "" {
				if err := writeStepChart(chart, chartFormat, a); err != nil {
					return err
				}
			}
			if format == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(a)
			}
			printAnalysis(s.out, a)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "", "first day of reception, YYYY-MM-DD (default: the first dossier's)")
	fl.StringVar(&to, "to", "", "last day of reception, YYYY-MM-DD, included (default: now)")
	fl.StringVar(&p.Before, "before", "", "version before the re-engineering (default: the second latest with dossiers)")
	fl.StringVar(&p.After, "after", "", "version after the re-engineering (default: the latest with dossiers)")
	fl.StringArrayVar(&planFiles, "plan", nil, "YAML definition of an earlier version of the procedure (repeatable)")
	fl.StringVar(&format, "format", "table", "output format: table or json")
	fl.StringVar(&chart, "chart", "", "also draw the steps' actual against allotted time into FILE.svg or FILE.png")
	fl.StringVar(&data, "data", ".motcua", "data folder of the engine: the read model is DATA/read.db")
	fl.StringVar(&readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file); default DATA/read.db")
	fl.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	fl.DurationVar(&timeout, "timeout", 10*time.Minute, "how long the analysis may take")
	return cmd
}

// openReadModel opens the read model named by --read-model, else the one
// of the --data folder, which must exist.
func openReadModel(ctx context.Context, data, readModel string) (*store.Store, error) {
	dsn := readModel
	if dsn == "" {
		if fi, err := os.Stat(data); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("data folder %s does not exist: start the engine with 'motcua dev --data %s', or give --data or --read-model", data, data)
		}
		dsn = filepath.Join(data, "read.db")
	}
	return store.Open(ctx, dsn)
}

// loadPlanFile compiles one definition file, refusing one with errors.
func loadPlanFile(path string) (*definitions.Plan, error) {
	plan, diags, err := definitions.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--plan %s: %w", path, err)
	}
	if diags.HasErrors() {
		var b strings.Builder
		for _, d := range diags {
			b.WriteString("\n  " + d.String())
		}
		return nil, usageError{fmt.Errorf("--plan %s has errors (run 'motcua lint %s'):%s", path, path, b.String())}
	}
	return plan, nil
}

// writeStepChart draws the steps of the later version compared, or of the
// only version, into path (analysis.DrawSteps).
func writeStepChart(path, format string, a *analysis.Analysis) error {
	var buf bytes.Buffer
	if err := analysis.DrawSteps(&buf, format, a); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			return fmt.Errorf("--chart %s: %w; no file written", path, err)
		}
		return fmt.Errorf("--chart %s: %w", path, err)
	}
	if err := atomicfile.Write(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--chart: writing %s: %w", path, err)
	}
	return nil
}

// printAnalysis writes the analysis as tables for people, in Vietnamese.
func printAnalysis(w io.Writer, a *analysis.Analysis) {
	title := "Phân tích thủ tục " + a.Procedure
	if a.Name != "" {
		title += " — " + a.Name
	}
	fmt.Fprintln(w, title)
	fmt.Fprintf(w, "Hồ sơ tiếp nhận: %s, số liệu chốt lúc %s\n", periodVN(a.From, a.To), timeVN(a.AsOf))
	for i := range a.Versions {
		v := &a.Versions[i]
		fmt.Fprintln(w)
		head := "Phiên bản " + v.Version
		if !v.Known {
			head += " (không có định nghĩa: tên bước theo mã, chưa đếm bước trực tiếp; dùng --plan)"
		}
		fmt.Fprintln(w, head)
		printVersion(w, v)
	}
	if c := a.Comparison; c != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "So sánh trước (%s) và sau (%s) tái cấu trúc\n", c.Before, c.After)
		var buf bytes.Buffer
		tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  CHỈ SỐ\tTRƯỚC\tSAU\tĐÁNH GIÁ")
		for _, r := range c.Rows {
			verdict := ""
			if r.Better != nil {
				verdict = map[bool]string{true: "tốt hơn", false: "kém hơn"}[*r.Better]
			} else if r.Before != nil && r.After != nil && *r.Before == *r.After && r.ID != "dossiers" {
				verdict = "không đổi"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Name, changeValue(r.Unit, r.Before), changeValue(r.Unit, r.After), verdict)
		}
		tw.Flush()
		io.Copy(w, &buf) //nolint:errcheck // a bytes.Buffer
		buf.Reset()
		tw = tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  BƯỚC\tTRƯỚC (giờ, trung vị / quy định)\tSAU (giờ, trung vị / quy định)")
		for _, s := range c.Steps {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Name, stepSide(s.BeforeP50, s.BeforeAllotted), stepSide(s.AfterP50, s.AfterAllotted))
		}
		tw.Flush()
		fmt.Fprintln(w)
		io.Copy(w, &buf) //nolint:errcheck // a bytes.Buffer
	}
}

func printVersion(w io.Writer, v *analysis.Version) {
	fmt.Fprintf(w, "  Hồ sơ: %s (trực tuyến %s), đã xử lý xong: %s; nhận từ %s đến %s\n",
		vnformat.Number(float64(v.Dossiers)), ratioVN(v.Online), vnformat.Number(float64(v.Processed)),
		v.FirstReceived.In(dossier.Vietnam).Format("02/01/2006"), v.LastReceived.In(dossier.Vietnam).Format("02/01/2006"))
	if v.OnTime.Value != nil {
		pct, _ := v.OnTime.Percent()
		fmt.Fprintf(w, "  Tỷ lệ đúng hạn: %s (%s / %s)\n", pct, vnformat.Number(v.OnTime.Numerator), vnformat.Number(float64(*v.OnTime.Denominator)))
	}
	switch {
	case v.HandlingMissing != "":
		fmt.Fprintf(w, "  Thời gian giải quyết: chưa tính được (%s)\n", v.HandlingMissing)
	case v.Processed > 0:
		fmt.Fprintf(w, "  Thời gian giải quyết (ngày làm việc): trung bình %s, trung vị %s, phân vị 90 %s\n",
			vnformat.Decimal(v.HandlingDays.Mean), vnformat.Decimal(v.HandlingDays.P50), vnformat.Decimal(v.HandlingDays.P90))
	}
	fmt.Fprintf(w, "  Hồ sơ phải bổ sung: %s\n", ratioVN(v.Supplemented))
	for _, c := range v.Components {
		fmt.Fprintf(w, "    %s: %s\n", c.Name, ratioVN(c.Supplemented))
	}
	visits := fmt.Sprintf("  Số lần công dân đến trực tiếp: %s (%s / hồ sơ; nộp %d, bổ sung %d, nộp phí %d, bước trực tiếp %d, nhận kết quả %d)",
		vnformat.Number(float64(v.Visits.Total)), vnformat.Decimal(v.Visits.PerDossier), v.Visits.Submission, v.Visits.Supplement,
		v.Visits.Payment, v.Visits.InPerson, v.Visits.Pickup)
	fmt.Fprintln(w, visits)
	if len(v.Steps) == 0 {
		return
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  BƯỚC\tSỐ LẦN\tTRUNG VỊ (giờ)\tP90 (giờ)\tQUY ĐỊNH (giờ)\tTRỄ HẠN\tPHẦN TRỄ")
	for _, s := range v.Steps {
		share, allotted := "", "—"
		if !s.Applicant {
			share = vnformat.Percent(s.LatenessShare)
		}
		if s.Allotted > 0 {
			allotted = vnformat.Decimal(s.Allotted)
		}
		name := s.Name
		if s.Key == v.Bottleneck {
			name += " ◀ điểm nghẽn"
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", name, s.Count, vnformat.Decimal(s.Actual.P50), vnformat.Decimal(s.Actual.P90),
			allotted, ratioVN(s.Late), share)
	}
	tw.Flush()
	io.Copy(w, &buf) //nolint:errcheck // a bytes.Buffer
}

func ratioVN(r analysis.Ratio) string {
	if r.Value == nil {
		return "—"
	}
	return vnformat.Percent(*r.Value) + " (" + vnformat.Number(float64(r.Numerator)) + "/" + vnformat.Number(float64(r.Denominator)) + ")"
}

func changeValue(unit string, v *float64) string {
	if v == nil {
		return "—"
	}
	switch unit {
	case "ratio":
		return vnformat.Percent(*v)
	case "count":
		return vnformat.Number(*v)
	case "working_days":
		return vnformat.Decimal(*v) + " ngày"
	}
	return vnformat.Decimal(*v)
}

func stepSide(p50, allotted *float64) string {
	if p50 == nil {
		return "(không có)"
	}
	out := vnformat.Decimal(*p50)
	if allotted != nil {
		out += " / " + vnformat.Decimal(*allotted)
	}
	return out
}
