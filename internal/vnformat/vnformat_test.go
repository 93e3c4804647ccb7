package vnformat_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/vnformat"
)

func TestNumber(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0", 7: "7", 1622: "1.622", 1700000: "1.700.000", -1234: "-1.234",
		3.5: "3,50", 45407.17: "45.407,17", -0.25: "-0,25", 999: "999", -999999.5: "-999.999,50"} {
		require.Equal(t, want, vnformat.Number(v), "%v", v)
	}
}

func TestIntegerAndDecimal(t *testing.T) {
	t.Parallel()
	require.Equal(t, "75.000", vnformat.Integer(75000))
	require.Equal(t, "1.200.000", vnformat.Integer(1200000))
	require.Equal(t, "-12.345", vnformat.Integer(-12345))
	require.Equal(t, "0", vnformat.Integer(0))
	require.Equal(t, "3,22", vnformat.Decimal(29.0/9))
	require.Equal(t, "1234,50", vnformat.Decimal(1234.5), "no thousands separator")
	require.Equal(t, "-0,25", vnformat.Decimal(-0.25))
}

func TestPercent(t *testing.T) {
	t.Parallel()
	for v, want := range map[float64]string{0: "0,00%", 1: "100,00%", 2.0 / 3: "66,66%", 10.0 / 12: "83,33%",
		0.5: "50,00%", 1.0 / 3: "33,33%", 0.99999: "99,99%"} {
		require.Equal(t, want, vnformat.Percent(v), "%v", v)
	}
}

func TestFigure(t *testing.T) {
	t.Parallel()
	ptr := func(v float64) *float64 { return &v }
	den := func(n int) *int { return &n }
	for _, tc := range []struct {
		name         string
		fig          indicators.Figure
		value, parts string
	}{
		{"count", indicators.Figure{Unit: indicators.UnitCount, Numerator: 1622, Value: ptr(1622)}, "1.622", ""},
		{"ratio", indicators.Figure{Unit: indicators.UnitRatio, Numerator: 13, Denominator: den(21), Value: ptr(13.0 / 21)}, "61,90%", "13 / 21"},
		{"ratio without value", indicators.Figure{Unit: indicators.UnitRatio, Denominator: den(0)}, "—", "0 / 0"},
		{"average", indicators.Figure{Unit: indicators.UnitWorkingDays, Numerator: 29, Denominator: den(9), Value: ptr(29.0 / 9)}, "3,22 ngày", "29 / 9"},
		{"missing", indicators.Figure{Unit: indicators.UnitRatio, Missing: "not in the read model"}, "chưa có dữ liệu", ""},
		{"large parts", indicators.Figure{Unit: indicators.UnitRatio, Numerator: 324, Denominator: den(1622), Value: ptr(324.0 / 1622)}, "19,97%", "324 / 1.622"},
	} {
		value, parts := vnformat.Figure(tc.fig)
		require.Equal(t, tc.value, value, tc.name)
		require.Equal(t, tc.parts, parts, tc.name)
	}
}
