// Package charts draws the indicators' pictures — the monthly on-time
// trend, the channel mix, the step bottlenecks — as SVG or PNG with
// gonum.org/v1/plot, for `motcua report --chart`, `motcua analyze --chart`
// and the console. It knows nothing of the read model: callers give it
// labelled numbers. Titles and labels are Vietnamese; the embedded
// Liberation fonts carry every Vietnamese letter.
package charts

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Point is one labelled value, e.g. a month and its on-time rate in %.
type Point struct {
	Label string
	Value float64
}

// Series is a named row of values over the same labels, e.g. the online
// dossiers of each month.
type Series struct {
	Name   string
	Values []float64
}

// Bar compares a step's actual time with its allotted time, in hours.
type Bar struct {
	Label    string
	Actual   float64
	Allotted float64
}

// Size of every chart.
const (
	Width  = 20 * vg.Centimeter
	Height = 11 * vg.Centimeter
)

// palette is a colour-blind-safe set (Okabe–Ito).
var palette = []color.Color{
	color.RGBA{0, 114, 178, 255}, color.RGBA{230, 159, 0, 255}, color.RGBA{0, 158, 115, 255},
	color.RGBA{204, 121, 167, 255}, color.RGBA{86, 180, 233, 255}, color.RGBA{213, 94, 0, 255},
}

// ErrNoData is returned for a chart with nothing to draw.
var ErrNoData = errors.New("charts: no data to draw")

// Format is the image format of a file name: "svg" or "png".
func Format(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".svg":
		return "svg", nil
	case ".png":
		return "png", nil
	default:
		return "", fmt.Errorf("chart file %q: the name must end in .svg or .png", path)
	}
}

// OnTimeTrend draws the on-time rate (%) of each period as a line, with
// the national target as a dashed line when target > 0.
func OnTimeTrend(w io.Writer, format, title string, points []Point, target float64) error {
	if len(points) == 0 {
		return ErrNoData
	}
	p := newPlot(title, "Tỷ lệ đúng hạn (%)")
	xy := make(plotter.XYs, len(points))
	labels := make([]string, len(points))
	lo := 100.0
	for i, pt := range points {
		xy[i] = plotter.XY{X: float64(i), Y: pt.Value}
		labels[i] = pt.Label
		lo = min(lo, pt.Value)
	}
	line, dots, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	line.Color, line.Width = palette[0], vg.Points(2)
	dots.Color, dots.Shape = palette[0], draw.CircleGlyph{}
	p.Add(line, dots)
	p.Legend.Add("Đúng hạn và sớm hạn", line, dots)
	if target > 0 {
		tl, err := plotter.NewLine(plotter.XYs{{X: 0, Y: target}, {X: float64(len(points) - 1), Y: target}})
		if err != nil {
			return err
		}
		tl.Color, tl.Dashes = palette[5], []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(tl)
		p.Legend.Add(fmt.Sprintf("Mục tiêu %.0f%%", target), tl)
		lo = min(lo, target)
	}
	p.Y.Min, p.Y.Max = max(0, lo-5), 100
	p.X.Min, p.X.Max = -0.5, float64(len(points))-0.5
	p.NominalX(labels...)
	p.Legend.Top, p.Legend.Left = false, true
	return save(p, w, format)
}

// Stacked draws series stacked as bars over labels, e.g. the dossiers of
// each month by channel.
func Stacked(w io.Writer, format, title, yLabel string, labels []string, series []Series) error {
	if len(labels) == 0 || len(series) == 0 {
		return ErrNoData
	}
	p := newPlot(title, yLabel)
	var below *plotter.BarChart
	totals := make([]float64, len(labels))
	width := vg.Length(float64(Width) * 0.7 / float64(len(labels)))
	for i, s := range series {
		if len(s.Values) != len(labels) {
			return fmt.Errorf("charts: series %q has %d values for %d labels", s.Name, len(s.Values), len(labels))
		}
		bars, err := plotter.NewBarChart(plotter.Values(s.Values), width)
		if err != nil {
			return err
		}
		bars.Color, bars.LineStyle.Width = palette[i%len(palette)], 0
		for j, v := range s.Values {
			totals[j] += v
		}
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	p.NominalX(labels...)
	slantLabels(p, labels)
	// Half a bar of margin on both sides keeps the outer bars inside.
	p.X.Min, p.X.Max = -0.5, float64(len(labels))-0.5
	p.Legend.Top = true
	headroom(p, slices.Max(totals))
	return save(p, w, format)
}

// Bottlenecks draws, per step, the actual time next to the allotted time.
func Bottlenecks(w io.Writer, format, title string, bars []Bar) error {
	if len(bars) == 0 {
		return ErrNoData
	}
	p := newPlot(title, "Giờ làm việc")
	actual, allotted := make(plotter.Values, len(bars)), make(plotter.Values, len(bars))
	labels := make([]string, len(bars))
	for i, b := range bars {
		actual[i], allotted[i], labels[i] = b.Actual, b.Allotted, b.Label
	}
	width := vg.Length(float64(Width) * 0.3 / float64(len(bars)))
	ba, err := plotter.NewBarChart(allotted, width)
	if err != nil {
		return err
	}
	ba.Color, ba.LineStyle.Width, ba.Offset = palette[4], 0, -width/2
	bb, err := plotter.NewBarChart(actual, width)
	if err != nil {
		return err
	}
	bb.Color, bb.LineStyle.Width, bb.Offset = palette[5], 0, width/2
	p.Add(ba, bb)
	p.Legend.Add("Thời gian quy định", ba)
	p.Legend.Add("Thời gian thực tế (trung vị)", bb)
	p.Legend.Top = true
	p.NominalX(labels...)
	slantLabels(p, labels)
	headroom(p, max(slices.Max(actual), slices.Max(allotted)))
	return save(p, w, format)
}

// slantLabels slants the labels of the x axis when they would not fit
// side by side (step ids, procedure codes, many months), so that
// neighbours do not overlap.
func slantLabels(p *plot.Plot, labels []string) {
	room := float64(Width) / float64(len(labels))
	widest := 0.0
	for _, l := range labels {
		widest = max(widest, float64(p.X.Tick.Label.Width(l)))
	}
	if widest < room*0.9 {
		return
	}
	p.X.Tick.Label.Rotation = math.Pi / 9
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YTop
}

func init() {
	// Sans-serif reads better on screens; Liberation Sans has every
	// Vietnamese letter.
	plot.DefaultFont.Variant = "Sans"
	plotter.DefaultFont.Variant = "Sans"
}

// headroom leaves space above the highest bar for the legend.
func headroom(p *plot.Plot, highest float64) {
	p.Y.Min, p.Y.Max = 0, highest*1.3
}

func newPlot(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	return p
}

// save writes the plot as svg or png.
func save(p *plot.Plot, w io.Writer, format string) error {
	if format != "svg" && format != "png" {
		return fmt.Errorf("charts: unknown format %q (svg or png)", format)
	}
	wt, err := p.WriterTo(Width, Height, format)
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}
