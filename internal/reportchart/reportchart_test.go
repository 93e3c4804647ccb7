package reportchart_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/charts"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/reportchart"
	"github.com/motcua/motcua/internal/store"
)

var (
	catalogOnce sync.Once
	catalog     *definitions.Catalog
	catalogErr  error
)

// bundle is the indicators' fixture (indicatorstest: dossiers A–X,
// February to May 2025) in a SQLite read model, and the repository's
// catalog.
type bundle struct {
	store   *store.Store
	catalog *definitions.Catalog
}

func setup(t *testing.T) *bundle {
	t.Helper()
	catalogOnce.Do(func() { catalog, catalogErr = definitions.LoadCatalog("../../definitions") })
	require.NoError(t, catalogErr)
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, indicatorstest.Apply(ctx, s))
	return &bundle{store: s, catalog: catalog}
}

// report computes a report on the fixture, made on 15/05/2025.
func (b *bundle) report(t *testing.T, p indicators.Params) *indicators.Report {
	t.Helper()
	p.Now = indicatorstest.VN(5, 15, 9, 0)
	r, err := indicators.Compute(context.Background(), b.store, b.catalog, p)
	require.NoError(t, err)
	return r
}

// firstQuarter is February to April 2025, by month.
func firstQuarter() indicators.Params {
	return indicators.Params{From: indicatorstest.February[0], To: indicatorstest.VN(5, 1, 0, 0), By: indicators.ByMonth}
}

// draw draws a chart in both formats, checks each is well formed — the
// SVG parses as XML, the PNG decodes — and returns the SVG. With
// MOTCUA_TEST_ARTIFACTS set, the pictures are kept there.
func draw(t *testing.T, name string, f func(w io.Writer, format string) error) string {
	t.Helper()
	var svg bytes.Buffer
	require.NoError(t, f(&svg, "svg"))
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "the SVG parses")
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	require.Equal(t, "svg", root)
	var pic bytes.Buffer
	require.NoError(t, f(&pic, "png"))
	img, err := png.Decode(bytes.NewReader(pic.Bytes()))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 500)
	if dir := os.Getenv("MOTCUA_TEST_ARTIFACTS"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "report-"+name+".svg"), svg.Bytes(), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "report-"+name+".png"), pic.Bytes(), 0o644))
	}
	return svg.String()
}

func TestTrend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.report(t, firstQuarter())

	// The points are the months' on-time rates in %: February 1/2 (O
	// early, N overdue), March 13/21 (the fixture's hand-computed figures).
	points, err := reportchart.TrendPoints(r)
	require.NoError(t, err)
	require.Len(t, points, 3)
	require.Equal(t, []string{"02/2025", "03/2025", "04/2025"}, []string{points[0].Label, points[1].Label, points[2].Label})
	require.InDelta(t, 50, points[0].Value, 1e-9)
	require.InDelta(t, 100*13.0/21, points[1].Value, 1e-9)
	for i, g := range r.Groups {
		require.InDelta(t, *g.Figure("on_time_rate").Value*100, points[i].Value, 1e-9, g.Key)
	}

	svg := draw(t, "trend", func(w io.Writer, f string) error { return reportchart.Trend(w, f, r) })
	for _, want := range []string{"Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng", "Kỳ báo cáo 01/02/2025 – 30/04/2025",
		">02/2025<", ">03/2025<", ">04/2025<", "Mục tiêu 95%"} {
		require.Contains(t, svg, want)
	}

	// Another report draws another picture: the same months of the
	// ubnd_xa agency alone: in March R on time and S within time; in
	// April S, never checked, is carried over and past its limit.
	p := firstQuarter()
	p.Agency = "ubnd_xa"
	other := b.report(t, p)
	points, err = reportchart.TrendPoints(other)
	require.NoError(t, err)
	require.Equal(t, []charts.Point{{Label: "03/2025", Value: 100}, {Label: "04/2025", Value: 0}}, points)
	otherSVG := draw(t, "trend-ubnd-xa", func(w io.Writer, f string) error { return reportchart.Trend(w, f, other) })
	require.NotEqual(t, svg, otherSVG)
	require.Contains(t, otherSVG, "cơ quan ubnd_xa")
	require.NotContains(t, otherSVG, ">02/2025<", "no February label")
	require.Contains(t, otherSVG, ">04/2025<")
}

func TestTrendErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	march := indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1]}
	r := b.report(t, march)
	err := reportchart.Trend(io.Discard, "svg", r)
	require.ErrorIs(t, err, reportchart.ErrNotByMonth)
	require.EqualError(t, err, "reportchart: the on-time trend needs a report grouped by month (indicators.ByMonth); "+
		"this report of 2025-03-01 to 2025-04-01 is grouped by none")
	march.By = indicators.ByAgency
	err = reportchart.Trend(io.Discard, "svg", b.report(t, march))
	require.ErrorContains(t, err, "is grouped by agency")

	// No dossier of the procedure in the period: nothing to draw.
	p := firstQuarter()
	p.Procedure = "9.000001"
	empty := b.report(t, p)
	require.Empty(t, empty.Groups)
	err = reportchart.Trend(io.Discard, "svg", empty)
	require.ErrorIs(t, err, charts.ErrNoData)
	require.EqualError(t, err, "the on-time trend of 2025-02-01 to 2025-05-01: no month has a dossier handled: charts: no data to draw")
	require.ErrorIs(t, reportchart.Trend(io.Discard, "svg", nil), charts.ErrNoData)

	// A format charts does not know.
	err = reportchart.Trend(io.Discard, "gif", b.report(t, firstQuarter()))
	require.EqualError(t, err, `drawing the on-time trend of 2025-02-01 to 2025-05-01: charts: unknown format "gif" (svg or png)`)
}

func TestChannelMix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// March: online A D E F H I K Q R S U V, in person B E2 G J L T, by
	// post C M (received, not handled: N was received in February).
	march := b.report(t, indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1]})
	labels, series, err := reportchart.ChannelSeries(march)
	require.NoError(t, err)
	require.Equal(t, []string{"Toàn bộ"}, labels)
	require.Equal(t, []charts.Series{
		{Name: "Trực tuyến", Values: []float64{12}},
		{Name: "Trực tiếp", Values: []float64{6}},
		{Name: "Bưu chính công ích", Values: []float64{2}},
	}, series)

	// By agency, each group's figures: phong_kinh_te 10/6/2 of 18, so_cu
	// T in person, ubnd_xa R and S online.
	byAgency := b.report(t, indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1], By: indicators.ByAgency})
	labels, series, err = reportchart.ChannelSeries(byAgency)
	require.NoError(t, err)
	require.Len(t, labels, 3)
	require.Equal(t, "so_cu", labels[1], "an agency the catalog does not know keeps its id")
	require.Equal(t, []string{"Phòng Kinh tế", "so_cu", "Ủy ban nhân dân cấp xã"}, labels, "names without their parenthesis")
	for i, g := range byAgency.Groups {
		require.Equal(t, g.Figure("received_online_share").Numerator, series[0].Values[i], g.Key)
		require.Equal(t, g.Figure("received_in_person_share").Numerator, series[1].Values[i], g.Key)
		require.Equal(t, g.Figure("received_postal_share").Numerator, series[2].Values[i], g.Key)
	}
	long := *byAgency
	long.Groups = slices.Clone(byAgency.Groups)
	long.Groups[0].Name = "Văn phòng Đăng ký đất đai tỉnh Tây Ninh"
	longLabels, _, err := reportchart.ChannelSeries(&long)
	require.NoError(t, err)
	require.Equal(t, "Văn phòng Đăng ký đất đ…", longLabels[0], "a long name is cut")
	require.Equal(t, []float64{10, 0, 2}, series[0].Values)
	require.Equal(t, []float64{5, 1, 0}, series[1].Values)

	svg := draw(t, "channels-by-agency", func(w io.Writer, f string) error { return reportchart.ChannelMix(w, f, byAgency) })
	for _, want := range []string{"Hồ sơ tiếp nhận theo kênh nộp", "Trực tuyến", "Trực tiếp", "Bưu chính công ích", "so_cu",
		"Kỳ báo cáo 01/03/2025 – 31/03/2025"} {
		require.Contains(t, svg, want)
	}
	byMonth := b.report(t, firstQuarter())
	monthSVG := draw(t, "channels-by-month", func(w io.Writer, f string) error { return reportchart.ChannelMix(w, f, byMonth) })
	require.Contains(t, monthSVG, "04/2025")
	require.NotEqual(t, svg, monthSVG)
	labels, _, err = reportchart.ChannelSeries(byMonth)
	require.NoError(t, err)
	require.Equal(t, []string{"02/2025", "03/2025", "04/2025"}, labels)

	// By procedure and version, the bars are labelled by code.
	byVersion := b.report(t, indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1], By: indicators.ByVersion})
	labels, _, err = reportchart.ChannelSeries(byVersion)
	require.NoError(t, err)
	require.Equal(t, "1.001612@2025.1", labels[1])
}

func TestChannelMixErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1], Procedure: "9.000001"}
	err := reportchart.ChannelMix(io.Discard, "svg", b.report(t, p))
	require.ErrorIs(t, err, charts.ErrNoData)
	require.EqualError(t, err, "the channel mix of 2025-03-01 to 2025-04-01: no dossier was received: charts: no data to draw")

	// May: W is handled (carried over from April) but nothing is received.
	may := b.report(t, indicators.Params{From: indicatorstest.VN(5, 1, 0, 0), To: indicatorstest.VN(5, 10, 0, 0)})
	require.NotEmpty(t, may.Groups)
	require.ErrorIs(t, reportchart.ChannelMix(io.Discard, "svg", may), charts.ErrNoData)

	// A report whose figures lack a channel (not one Compute gives).
	broken := b.report(t, indicators.Params{From: indicatorstest.March[0], To: indicatorstest.March[1]})
	broken.Groups[0].Figures = broken.Groups[0].Figures[:3]
	err = reportchart.ChannelMix(io.Discard, "svg", broken)
	require.EqualError(t, err, `reportchart: group "" of the report has no figure received_online_share`)
}

func TestDrawAndKinds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.report(t, firstQuarter())
	var viaDraw, direct bytes.Buffer
	require.NoError(t, reportchart.Draw(&viaDraw, "svg", reportchart.KindTrend, r))
	require.NoError(t, reportchart.Trend(&direct, "svg", r))
	require.Equal(t, direct.String(), viaDraw.String())
	viaDraw.Reset()
	require.NoError(t, reportchart.Draw(&viaDraw, "svg", reportchart.KindChannels, r))
	require.True(t, strings.Contains(viaDraw.String(), "Hồ sơ tiếp nhận theo kênh nộp"))
	require.EqualError(t, reportchart.Draw(io.Discard, "svg", "pie", r), `unknown chart kind "pie" (use trend or channels)`)

	require.Equal(t, reportchart.KindTrend, reportchart.DefaultKind(indicators.ByMonth))
	require.Equal(t, reportchart.KindChannels, reportchart.DefaultKind(indicators.ByNone))
	require.Equal(t, reportchart.KindChannels, reportchart.DefaultKind(indicators.ByAgency))
	k, err := reportchart.ParseKind("channels")
	require.NoError(t, err)
	require.Equal(t, reportchart.KindChannels, k)
	_, err = reportchart.ParseKind("")
	require.Error(t, err)
}
