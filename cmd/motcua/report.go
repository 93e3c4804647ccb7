package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/atomicfile"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/reportchart"
	"github.com/motcua/motcua/internal/reportquery"
	"github.com/motcua/motcua/internal/vnformat"
)

func newReportCmd(s streams) *cobra.Command {
	var (
		data, readModel, defs string
		format                string
		chart, chartKind      string
		timeout               time.Duration
		q                     reportquery.Query
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compute the indicators of a period: on-time rate, online rates, catalog figures",
		Long: `report computes the indicators the province reports (Decision 766/QĐ-TTg) from
the read model and the catalog: dossiers received by channel, early / on time
/ late (per dossier and per step) with the on-time rate, open dossiers and
end states, average handling time in working days, online, payment, e-result,
digitisation and re-use rates, satisfaction, and the catalog figures (online
services, those with dossiers, the full-online share).

The period runs from --from to --to, both included (Vietnamese dates); it is
judged at the end of --to, or now while --to has not ended. Grouped --by
month, each month is judged as a report on that month alone.

Each figure states its numerator and denominator; --format json adds the
formula of each, --format csv gives one figure per line. Percentages are
truncated to two decimals, as the province publishes them. Figures the read
model cannot give yet (the sync rate) are shown without a value, with why.

--chart FILE also draws the report, as SVG or PNG by the file's extension,
besides the normal output: with --by month the on-time rate of each month
against a dashed 95 % reference line (the trend), otherwise the dossiers
received online, in person and by post in each group (the channel mix);
--chart-kind trend|channels chooses explicitly (the trend needs --by month).
The file is written whole or not at all: a report with nothing to draw is an
error and leaves no file.`,
		Example: `  motcua report --from 2025-01-01 --to 2025-12-31
  motcua report --from 2025-03-01 --to 2025-03-31 --by agency
  motcua report --sector "Hộ tịch" --by month --format csv > ho-tich.csv
  motcua report --from 2025-01-01 --to 2025-06-30 --by month --chart dung-han.svg
  motcua report --by agency --chart-kind channels --chart kenh-nop.png
  motcua report --read-model postgres://motcua@db/motcua --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("report takes no arguments (got %q); filter with --agency, --procedure or --sector", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			p, err := q.Params(time.Now())
			var qe *reportquery.Error
			if errors.As(err, &qe) {
				return usageError{errors.New(qe.Flag())}
			}
			if err != nil {
				return err
			}
			var plan chartPlan
			if plan, err = newChartPlan(chart, chartKind, p.By); err != nil {
				return err
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
			st, err := openReadModel(ctx, data, readModel)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := indicators.Compute(ctx, st, cat, p)
			if errors.Is(err, indicators.ErrInvalid) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if err := plan.write(r); err != nil {
				return err
			}
			switch format {
			case "json":
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			case "csv":
				return writeReportCSV(s.out, r)
			}
			printReport(s.out, r)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&q.From, "from", "", "first day of the period, YYYY-MM-DD (default: 1 January of this year)")
	fl.StringVar(&q.To, "to", "", "last day of the period, YYYY-MM-DD, included (default: today)")
	fl.StringVar(&q.Agency, "agency", "", "only the dossiers and procedures of this competent agency (its id, e.g. ubnd_xa)")
	fl.StringVar(&q.Procedure, "procedure", "", "only this procedure (its code, e.g. 1.001193)")
	fl.StringVar(&q.Sector, "sector", "", "only the procedures of this sector of the catalog (e.g. \"Hộ tịch\")")
	fl.StringVar(&q.By, "by", "", "group the dossier figures by month, agency, procedure or version (default: no grouping)")
	fl.StringVar(&format, "format", "table", "output format: table, json or csv")
	fl.StringVar(&chart, "chart", "", "also draw the report into this file, .svg or .png (the trend with --by month, else the channel mix)")
	fl.StringVar(&chartKind, "chart-kind", "", "the chart --chart draws: trend (needs --by month) or channels (default: trend with --by month, else channels)")
	fl.StringVar(&data, "data", ".motcua", "data folder of the engine: the read model is DATA/read.db")
	fl.StringVar(&readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file); default DATA/read.db")
	fl.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	fl.DurationVar(&timeout, "timeout", 5*time.Minute, "how long the report may take")
	return cmd
}

// chartPlan is the chart `report --chart` draws, checked before the
// report is computed.
type chartPlan struct {
	path, format string // path "": no chart
	kind         reportchart.Kind
}

// newChartPlan checks --chart and --chart-kind against the grouping: the
// file's extension gives the format; the kind defaults to the trend for a
// report by month and the channel mix otherwise.
func newChartPlan(path, kind string, by indicators.Grouping) (chartPlan, error) {
	if path == "" {
		if kind != "" {
			return chartPlan{}, usageError{fmt.Errorf("--chart-kind %s needs --chart FILE.svg or FILE.png to draw into", kind)}
		}
		return chartPlan{}, nil
	}
	format, err := charts.Format(path)
	if err != nil {
		return chartPlan{}, usageError{fmt.Errorf("--chart: %w", err)}
	}
	c := chartPlan{path: path, format: format, kind: reportchart.DefaultKind(by)}
	if kind != "" {
		kinds := make([]string, len(reportchart.Kinds))
		for i, k := range reportchart.Kinds {
			kinds[i] = string(k)
		}
		if err := checkChoice("chart-kind", kind, kinds...); err != nil {
			return chartPlan{}, err
		}
		c.kind = reportchart.Kind(kind)
	}
	if c.kind == reportchart.KindTrend && by != indicators.ByMonth {
		return chartPlan{}, usageError{errors.New("--chart-kind trend draws the on-time rate of each month: add --by month")}
	}
	return c, nil
}

// write draws the chart of the report and writes it to its file
// atomically; a report with nothing to draw leaves no file.
func (c chartPlan) write(r *indicators.Report) error {
	if c.path == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := reportchart.Draw(&buf, c.format, c.kind, r); err != nil {
		if errors.Is(err, charts.ErrNoData) {
			return fmt.Errorf("--chart %s: nothing to draw, no file written: %w", c.path, err)
		}
		return fmt.Errorf("--chart %s: %w", c.path, err)
	}
	if err := atomicfile.Write(c.path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--chart: writing %s: %w", c.path, err)
	}
	return nil
}

// printReport writes the report as tables for people, in Vietnamese.
func printReport(w io.Writer, r *indicators.Report) {
	fmt.Fprintln(w, "Chỉ số giải quyết thủ tục hành chính")
	fmt.Fprintf(w, "Kỳ báo cáo: %s, số liệu chốt lúc %s\n", periodVN(r.From, r.To), timeVN(r.AsOf))
	filters := vnformat.Filters(r.Filters)
	if len(filters) > 0 {
		fmt.Fprintf(w, "Lọc: %s\n", strings.Join(filters, "; "))
	}
	if len(r.Groups) == 0 {
		fmt.Fprintln(w, "\nKhông có hồ sơ nào trong kỳ.")
	}
	for _, g := range r.Groups {
		fmt.Fprintln(w)
		title := g.Name
		switch {
		case r.By == indicators.ByMonth:
			title += " (" + periodVN(g.From, g.To) + ")"
		case g.Key != "" && g.Key != g.Name:
			title = g.Key + " — " + g.Name
		}
		fmt.Fprintln(w, title)
		printFigures(w, g.Figures)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Danh mục thủ tục (cả kỳ)")
	printFigures(w, r.Catalog)
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Ghi chú:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  - "+n)
		}
	}
}

func printFigures(w io.Writer, figs []indicators.Figure) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CHỈ SỐ\tGIÁ TRỊ\tTỬ SỐ / MẪU SỐ")
	for _, f := range figs {
		value, parts := vnformat.Figure(f)
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.Name, value, parts)
	}
	tw.Flush()
	for _, line := range strings.SplitAfter(buf.String(), "\n") {
		// A figure without numerator and denominator leaves its last
		// column blank.
		if trimmed := strings.TrimRight(line, " \n"); trimmed != "" {
			fmt.Fprintln(w, trimmed)
		}
	}
}

// periodVN writes [from, to) as the days it covers, both included, or with
// its end time when to is not a midnight (a period cut now).
func periodVN(from, to time.Time) string {
	from, to = from.In(dossier.Vietnam), to.In(dossier.Vietnam)
	last := to.Add(-time.Nanosecond)
	if to.Hour() != 0 || to.Minute() != 0 || to.Second() != 0 || to.Nanosecond() != 0 {
		return from.Format("02/01/2006") + " – " + timeVN(to)
	}
	return from.Format("02/01/2006") + " – " + last.Format("02/01/2006")
}

// writeReportCSV writes one figure per line, machine-readable: dots for
// decimals, times in RFC 3339.
func writeReportCSV(w io.Writer, r *indicators.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"section", "group", "group_name", "from", "to", "as_of", "id", "name", //nolint:errcheck // cw.Error below
		"numerator", "denominator", "value", "unit", "formula", "missing", "note"})
	row := func(section, group, name string, from, to time.Time, f indicators.Figure) {
		den, value := "", ""
		if f.Denominator != nil {
			den = strconv.Itoa(*f.Denominator)
		}
		if f.Value != nil {
			value = strconv.FormatFloat(*f.Value, 'f', -1, 64)
		}
		cw.Write([]string{section, group, name, from.Format(time.RFC3339), to.Format(time.RFC3339), r.AsOf.Format(time.RFC3339), //nolint:errcheck // cw.Error below
			f.ID, f.Name, strconv.FormatFloat(f.Numerator, 'f', -1, 64), den, value, string(f.Unit), f.Formula, f.Missing, f.Note})
	}
	for _, g := range r.Groups {
		for _, f := range g.Figures {
			row("dossiers", g.Key, g.Name, g.From, g.To, f)
		}
	}
	for _, f := range r.Catalog {
		row("catalog", "", "", r.From, r.AsOf, f)
	}
	cw.Flush()
	return cw.Error()
}
