package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/store"
)

func newReportCmd(s streams) *cobra.Command {
	var (
		data, readModel, defs string
		from, to, by, format  string
		timeout               time.Duration
		p                     indicators.Params
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
model cannot give yet (the sync rate) are shown without a value, with why.`,
		Example: `  motcua report --from 2025-01-01 --to 2025-12-31
  motcua report --from 2025-03-01 --to 2025-03-31 --by agency
  motcua report --sector "Hộ tịch" --by month --format csv > ho-tich.csv
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
			if by != "" {
				choices := make([]string, len(indicators.Groupings))
				for i, g := range indicators.Groupings {
					choices[i] = string(g)
				}
				if err := checkChoice("by", by, choices...); err != nil {
					return err
				}
			}
			now := time.Now()
			var err error
			if p.From, p.To, err = reportPeriod(from, to, now); err != nil {
				return err
			}
			p.Now, p.By = now, indicators.Grouping(by)

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
			dsn := readModel
			if dsn == "" {
				if fi, err := os.Stat(data); err != nil || !fi.IsDir() {
					return fmt.Errorf("data folder %s does not exist: start the engine with 'motcua dev --data %s', or give --data or --read-model", data, data)
				}
				dsn = filepath.Join(data, "read.db")
			}
			st, err := store.Open(ctx, dsn)
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
	fl.StringVar(&from, "from", "", "first day of the period, YYYY-MM-DD (default: 1 January of this year)")
	fl.StringVar(&to, "to", "", "last day of the period, YYYY-MM-DD, included (default: today)")
	fl.StringVar(&p.Agency, "agency", "", "only the dossiers and procedures of this competent agency (its id, e.g. ubnd_xa)")
	fl.StringVar(&p.Procedure, "procedure", "", "only this procedure (its code, e.g. 1.001193)")
	fl.StringVar(&p.Sector, "sector", "", "only the procedures of this sector of the catalog (e.g. \"Hộ tịch\")")
	fl.StringVar(&by, "by", "", "group the dossier figures by month, agency, procedure or version (default: no grouping)")
	fl.StringVar(&format, "format", "table", "output format: table, json or csv")
	fl.StringVar(&data, "data", ".motcua", "data folder of the engine: the read model is DATA/read.db")
	fl.StringVar(&readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file); default DATA/read.db")
	fl.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	fl.DurationVar(&timeout, "timeout", 5*time.Minute, "how long the report may take")
	return cmd
}

// reportPeriod reads --from and --to (Vietnamese dates, both included)
// into the half-open period [from, to).
func reportPeriod(fromFlag, toFlag string, now time.Time) (time.Time, time.Time, error) {
	today := now.In(dossier.Vietnam)
	from := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, dossier.Vietnam)
	to := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, dossier.Vietnam)
	var err error
	if fromFlag != "" {
		if from, err = time.ParseInLocation(time.DateOnly, fromFlag, dossier.Vietnam); err != nil {
			return time.Time{}, time.Time{}, usageError{fmt.Errorf("--from %q: write YYYY-MM-DD, e.g. 2025-01-01", fromFlag)}
		}
	}
	if toFlag != "" {
		if to, err = time.ParseInLocation(time.DateOnly, toFlag, dossier.Vietnam); err != nil {
			return time.Time{}, time.Time{}, usageError{fmt.Errorf("--to %q: write YYYY-MM-DD, e.g. 2025-12-31", toFlag)}
		}
	}
	if to.Before(from) {
		return time.Time{}, time.Time{}, usageError{fmt.Errorf("--to %s is before --from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))}
	}
	return from, to.AddDate(0, 0, 1), nil
}

// printReport writes the report as tables for people, in Vietnamese.
func printReport(w io.Writer, r *indicators.Report) {
	fmt.Fprintln(w, "Chỉ số giải quyết thủ tục hành chính")
	fmt.Fprintf(w, "Kỳ báo cáo: %s, số liệu chốt lúc %s\n", periodVN(r.From, r.To), timeVN(r.AsOf))
	var filters []string
	if r.Filters.Agency != "" {
		filters = append(filters, "cơ quan "+r.Filters.Agency)
	}
	if r.Filters.Procedure != "" {
		filters = append(filters, "thủ tục "+r.Filters.Procedure)
	}
	if r.Filters.Sector != "" {
		filters = append(filters, "lĩnh vực "+r.Filters.Sector)
	}
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
		value, parts := "—", ""
		switch {
		case f.Missing != "":
			value = "chưa có dữ liệu"
		case f.Unit == indicators.UnitCount:
			value = numberVN(f.Numerator)
		case f.Value == nil:
			parts = numberVN(f.Numerator) + " / " + numberVN(float64(*f.Denominator))
		case f.Unit == indicators.UnitRatio:
			value, _ = f.Percent()
			parts = numberVN(f.Numerator) + " / " + numberVN(float64(*f.Denominator))
		default:
			value = decimalVN(*f.Value) + " ngày"
			parts = numberVN(f.Numerator) + " / " + numberVN(float64(*f.Denominator))
		}
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

// numberVN writes a number the Vietnamese way: 1.622, 45.407,17.
func numberVN(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if v == float64(int64(v)) {
		s = strconv.FormatInt(int64(v), 10)
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("," + frac)
	}
	return sign + b.String()
}

// decimalVN writes a number with two decimals and a decimal comma.
func decimalVN(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", ",", 1)
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
