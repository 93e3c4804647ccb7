// Package vnformat writes numbers the Vietnamese way — dots between
// thousands, a decimal comma: 1.622, 45.407,17 — and the indicators'
// figures as the report's table and the console's page show them, so the
// command line and the console print the same text.
package vnformat

import (
	"strconv"
	"strings"

	"github.com/motcua/motcua/internal/indicators"
)

// Number writes a number with dots between thousands and, when it is not
// whole, a decimal comma and two decimals: 1.622, 45.407,17, -0,25.
func Number(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if v == float64(int64(v)) {
		s = strconv.FormatInt(int64(v), 10)
	}
	return group(s)
}

// Integer writes a whole number with dots between thousands: 1.200.000.
func Integer(v int64) string {
	return group(strconv.FormatInt(v, 10))
}

// Decimal writes a number with two decimals and a decimal comma, without
// thousands separators: 3,22.
func Decimal(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', 2, 64), ".", ",", 1)
}

// Percent writes a share (0.25 for a quarter) as a percentage truncated,
// not rounded, to two decimals with a decimal comma, as the indicators'
// ratios are (indicators.Figure.Percent): 2/3 is 66,66%.
func Percent(v float64) string {
	return Decimal(float64(int64(v*10000))/100) + "%"
}

// group puts dots between the thousands of a number written with an
// optional minus sign and an optional decimal point, which becomes a comma.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("," + frac)
	}
	return b.String()
}

// Unavailable is the value written for a figure the read model cannot
// give yet (indicators.Figure.Missing).
const Unavailable = "chưa có dữ liệu"

// Figure writes a figure's value and its parts ("numerator / denominator")
// for people: a count as a number; a ratio as its truncated percentage
// (indicators.Figure.Percent); an average in working days with two
// decimals ("3,22 ngày"). A figure without a value (a zero denominator)
// is "—" with its parts; one the read model cannot give is Unavailable,
// without parts. A count has no parts.
func Figure(f indicators.Figure) (value, parts string) {
	if f.Missing != "" {
		return Unavailable, ""
	}
	if f.Unit == indicators.UnitCount {
		return Number(f.Numerator), ""
	}
	if f.Denominator == nil {
		return "—", ""
	}
	parts = Number(f.Numerator) + " / " + Number(float64(*f.Denominator))
	switch {
	case f.Value == nil:
		return "—", parts
	case f.Unit == indicators.UnitRatio:
		if p, ok := f.Percent(); ok {
			return p, parts
		}
		return "—", parts
	}
	return Decimal(*f.Value) + " ngày", parts
}

// Filters writes a report's filters in Vietnamese, one phrase each: "cơ
// quan ubnd_xa", "thủ tục 1.001193", "lĩnh vực Hộ tịch"; none without
// filters.
func Filters(f indicators.Filters) []string {
	var out []string
	if f.Agency != "" {
		out = append(out, "cơ quan "+f.Agency)
	}
	if f.Procedure != "" {
		out = append(out, "thủ tục "+f.Procedure)
	}
	if f.Sector != "" {
		out = append(out, "lĩnh vực "+f.Sector)
	}
	return out
}
