package charts_test

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/charts"
)

var months = []string{"01/2026", "02/2026", "03/2026", "04/2026"}

// render draws one chart in both formats and checks each is well formed;
// with MOTCUA_TEST_ARTIFACTS set, the pictures are kept there.
func render(t *testing.T, name string, draw func(buf *bytes.Buffer, format string) error) string {
	t.Helper()
	var svg bytes.Buffer
	require.NoError(t, draw(&svg, "svg"))
	dec := xml.NewDecoder(bytes.NewReader(svg.Bytes()))
	for {
		_, err := dec.Token()
		if err != nil {
			require.ErrorContains(t, err, "EOF", "the SVG parses")
			break
		}
	}
	var pngBuf bytes.Buffer
	require.NoError(t, draw(&pngBuf, "png"))
	img, err := png.Decode(bytes.NewReader(pngBuf.Bytes()))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 500)
	if dir := os.Getenv("MOTCUA_TEST_ARTIFACTS"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".svg"), svg.Bytes(), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), pngBuf.Bytes(), 0o644))
	}
	return svg.String()
}

func TestOnTimeTrend(t *testing.T) {
	pts := []charts.Point{{"01/2026", 97.5}, {"02/2026", 98.1}, {"03/2026", 99.2}, {"04/2026", 96.4}}
	svg := render(t, "on-time-trend", func(b *bytes.Buffer, f string) error {
		return charts.OnTimeTrend(b, f, "Tỷ lệ giải quyết hồ sơ đúng hạn theo tháng", pts, 95)
	})
	require.Contains(t, svg, "Tỷ lệ giải quyết hồ sơ đúng hạn theo tháng")
	require.Contains(t, svg, "Mục tiêu 95%")
	require.ErrorIs(t, charts.OnTimeTrend(&bytes.Buffer{}, "svg", "x", nil, 0), charts.ErrNoData)
}

func TestStacked(t *testing.T) {
	svg := render(t, "channel-mix", func(b *bytes.Buffer, f string) error {
		return charts.Stacked(b, f, "Hồ sơ tiếp nhận theo kênh", "Hồ sơ", months, []charts.Series{
			{Name: "Trực tuyến", Values: []float64{900, 950, 1010, 980}},
			{Name: "Trực tiếp", Values: []float64{80, 70, 66, 60}},
			{Name: "Bưu chính", Values: []float64{20, 18, 25, 21}},
		})
	})
	for _, s := range []string{"Trực tuyến", "Trực tiếp", "Bưu chính", "03/2026"} {
		require.Contains(t, svg, s)
	}
	err := charts.Stacked(&bytes.Buffer{}, "svg", "x", "y", months, []charts.Series{{Name: "a", Values: []float64{1}}})
	require.EqualError(t, err, `charts: series "a" has 1 values for 4 labels`)
}

func TestBottlenecks(t *testing.T) {
	svg := render(t, "bottlenecks", func(b *bytes.Buffer, f string) error {
		return charts.Bottlenecks(b, f, "Thời gian từng bước", []charts.Bar{
			{Label: "Tiếp nhận", Actual: 0.8, Allotted: 1}, {Label: "Thẩm định", Actual: 6.5, Allotted: 4}, {Label: "Ký duyệt", Actual: 1.5, Allotted: 2},
		})
	})
	require.Contains(t, svg, "Thẩm định")
	require.Contains(t, svg, "Thời gian quy định")
}

func TestFormat(t *testing.T) {
	f, err := charts.Format("out/trend.SVG")
	require.NoError(t, err)
	require.Equal(t, "svg", f)
	f, err = charts.Format("trend.png")
	require.NoError(t, err)
	require.Equal(t, "png", f)
	_, err = charts.Format("trend.jpg")
	require.EqualError(t, err, `chart file "trend.jpg": the name must end in .svg or .png`)
	require.Error(t, charts.OnTimeTrend(&bytes.Buffer{}, "gif", "x", []charts.Point{{"a", 1}}, 0))
}
