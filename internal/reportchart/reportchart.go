// Package reportchart draws an indicators report (internal/indicators) as
// the pictures of internal/charts: the monthly on-time trend and the mix
// of channels dossiers were received by. It is what `motcua report
// --chart`, GET /v1/reports/chart and the console's indicators page draw.
//
// The values come from the report's figures, looked up by their ids
// (indicators.Group.Figure): the trend plots on_time_rate, the channel mix
// the numerators of received_online_share, received_in_person_share and
// received_postal_share — the dossiers received online, in person and by
// post. Titles and labels are Vietnamese.
package reportchart

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/vnformat"
)

// Kind is a chart of a report.
type Kind string

// Kinds of chart.
const (
	// KindTrend is the on-time rate of each month (Trend); it needs a
	// report grouped by month.
	KindTrend Kind = "trend"
	// KindChannels is the dossiers received by channel, per group
	// (ChannelMix).
	KindChannels Kind = "channels"
)

// Kinds lists the kinds, in the order help texts show them.
var Kinds = []Kind{KindTrend, KindChannels}

// DefaultKind is the chart of a report grouped by: the trend for a report
// by month, the channel mix otherwise.
func DefaultKind(by indicators.Grouping) Kind {
	if by == indicators.ByMonth {
		return KindTrend
	}
	return KindChannels
}

// ParseKind reads a kind: trend or channels.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown chart kind %q (use trend or channels)", s)
}

// Target is the on-time rate, in %, the trend draws as a dashed reference
// line. Decision 766/QĐ-TTg scores the on-time rate but sets no threshold
// to draw; 95 % is a reference chosen here so that a month below it stands
// out. It is not a legal target, and nothing is computed from it.
const Target = 95.0

// Figure ids the charts read (internal/indicators/figures.go).
const (
	figureOnTime   = "on_time_rate"
	figureOnline   = "received_online_share"
	figureInPerson = "received_in_person_share"
	figurePostal   = "received_postal_share"
)

// ErrNotByMonth is returned for a trend of a report that is not grouped by
// month.
var ErrNotByMonth = errors.New("reportchart: the on-time trend needs a report grouped by month (indicators.ByMonth)")

// Draw draws the chart of kind of a report as svg or png.
func Draw(w io.Writer, format string, kind Kind, r *indicators.Report) error {
	switch kind {
	case KindTrend:
		return Trend(w, format, r)
	case KindChannels:
		return ChannelMix(w, format, r)
	}
	_, err := ParseKind(string(kind))
	return err
}

// Trend draws the on-time rate (%) of each month of a report grouped by
// month, labelled "03/2025", with Target as a dashed line. A month whose
// on-time rate has no value (no dossier handled) is left out. It returns
// ErrNotByMonth for a report grouped otherwise, and wraps
// charts.ErrNoData when no month has a rate.
func Trend(w io.Writer, format string, r *indicators.Report) error {
	points, err := TrendPoints(r)
	if err != nil {
		return err
	}
	title := "Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng\n" + subtitle(r)
	if err := charts.OnTimeTrend(w, format, title, points, Target); err != nil {
		return fmt.Errorf("drawing the on-time trend of %s: %w", period(r), err)
	}
	return nil
}

// TrendPoints returns the points Trend draws: for each month of the
// report with an on-time rate, its label (MM/YYYY) and the rate in %.
func TrendPoints(r *indicators.Report) ([]charts.Point, error) {
	if r == nil {
		return nil, fmt.Errorf("reportchart: no report: %w", charts.ErrNoData)
	}
	if r.By != indicators.ByMonth {
		by := string(r.By)
		if by == "" {
			by = "none"
		}
		return nil, fmt.Errorf("%w; this report of %s is grouped by %s", ErrNotByMonth, period(r), by)
	}
	var points []charts.Point
	for i := range r.Groups {
		g := &r.Groups[i]
		f := g.Figure(figureOnTime)
		if f == nil || f.Value == nil {
			continue
		}
		points = append(points, charts.Point{Label: groupLabel(r.By, g), Value: *f.Value * 100})
	}
	if len(points) == 0 {
		return nil, fmt.Errorf("the on-time trend of %s: no month has a dossier handled: %w", period(r), charts.ErrNoData)
	}
	return points, nil
}

// ChannelMix draws the dossiers received in each group of a report by
// channel — online, in person, by post — as stacked bars: one bar per
// month, agency, procedure or version, or one for the whole report. It
// wraps charts.ErrNoData when the report received no dossier.
func ChannelMix(w io.Writer, format string, r *indicators.Report) error {
	labels, series, err := ChannelSeries(r)
	if err != nil {
		return err
	}
	title := "Hồ sơ tiếp nhận theo kênh nộp\n" + subtitle(r)
	if err := charts.Stacked(w, format, title, "Số hồ sơ tiếp nhận", labels, series); err != nil {
		return fmt.Errorf("drawing the channel mix of %s: %w", period(r), err)
	}
	return nil
}

// ChannelSeries returns what ChannelMix draws: a label per group of the
// report (MM/YYYY for a month, the code of a procedure or version, the
// name of an agency shortened, "Toàn bộ" without grouping) and the
// dossiers received online, in person and by post in each.
func ChannelSeries(r *indicators.Report) ([]string, []charts.Series, error) {
	if r == nil {
		return nil, nil, fmt.Errorf("reportchart: no report: %w", charts.ErrNoData)
	}
	channels := []struct{ id, name string }{
		{figureOnline, "Trực tuyến"}, {figureInPerson, "Trực tiếp"}, {figurePostal, "Bưu chính công ích"},
	}
	series := make([]charts.Series, len(channels))
	for i, c := range channels {
		series[i] = charts.Series{Name: c.name, Values: make([]float64, 0, len(r.Groups))}
	}
	labels := make([]string, 0, len(r.Groups))
	total := 0.0
	for i := range r.Groups {
		g := &r.Groups[i]
		labels = append(labels, groupLabel(r.By, g))
		for j, c := range channels {
			f := g.Figure(c.id)
			if f == nil {
				return nil, nil, fmt.Errorf("reportchart: group %q of the report has no figure %s", g.Key, c.id)
			}
			series[j].Values = append(series[j].Values, f.Numerator)
			total += f.Numerator
		}
	}
	if total == 0 {
		return nil, nil, fmt.Errorf("the channel mix of %s: no dossier was received: %w", period(r), charts.ErrNoData)
	}
	return labels, series, nil
}

// maxLabel is the length, in letters, beyond which a group's name is cut
// on a chart's axis: longer labels overlap their neighbours and push the
// bars aside.
const maxLabel = 24

// groupLabel is the label of a group on a chart's axis: the month as
// MM/YYYY, the code of a procedure or version, the name of an agency
// without its parenthesis and cut to maxLabel letters.
func groupLabel(by indicators.Grouping, g *indicators.Group) string {
	switch by {
	case indicators.ByMonth:
		return g.From.In(dossier.Vietnam).Format("01/2006")
	case indicators.ByProcedure, indicators.ByVersion:
		return g.Key
	}
	name := g.Name
	if i := strings.Index(name, " ("); i > 0 {
		name = name[:i]
	}
	if r := []rune(name); len(r) > maxLabel {
		name = strings.TrimSpace(string(r[:maxLabel-1])) + "…"
	}
	return name
}

// subtitle is the period of a report and its filters, in Vietnamese.
func subtitle(r *indicators.Report) string {
	s := "Kỳ báo cáo " + periodVN(r)
	filters := vnformat.Filters(r.Filters)
	if len(filters) > 0 {
		s += " · " + strings.Join(filters, "; ")
	}
	return s
}

// periodVN writes the days a report covers, up to its cut: 01/03/2025 –
// 31/03/2025.
func periodVN(r *indicators.Report) string {
	last := r.AsOf.In(dossier.Vietnam)
	if last.After(r.From) {
		// The cut is the end of its last day, or a time of it.
		last = last.Add(-1)
	}
	return r.From.In(dossier.Vietnam).Format("02/01/2006") + " – " + last.Format("02/01/2006")
}

// period names a report's period in errors: 2025-03-01 to 2025-04-01.
func period(r *indicators.Report) string {
	return r.From.In(dossier.Vietnam).Format(time.DateOnly) + " to " + r.To.In(dossier.Vietnam).Format(time.DateOnly)
}
