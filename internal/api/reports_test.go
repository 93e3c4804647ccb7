package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// svgRoot parses an SVG answer as XML and returns its root element.
func svgRoot(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return root
		}
		require.NoError(t, err, "the SVG parses")
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
}

// TestReports reads the indicators of the indicators' fixture
// (indicatorstest: dossiers A–X of February to May 2025, agencies
// phong_kinh_te, ubnd_xa and so_cu) written to the engine's read model.
func TestReports(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	require.NoError(t, indicatorstest.Apply(ctx, e.engine.Store))
	const march = "from=2025-03-01&to=2025-03-31"
	compute := func(p indicators.Params) []byte {
		t.Helper()
		p.From, p.To = indicatorstest.March[0], indicatorstest.March[1]
		r, err := indicators.Compute(ctx, e.engine.Store, e.engine.Catalog, p)
		require.NoError(t, err)
		b, err := json.Marshal(r)
		require.NoError(t, err)
		return b
	}

	t.Run("analysts and admins read every agency", func(t *testing.T) {
		a := e.get("/v1/reports?"+march+"&by=agency", tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.JSONEq(t, string(compute(indicators.Params{By: indicators.ByAgency})), string(a.body),
			"the figures of indicators.Compute on the same read model")
		var r indicators.Report
		a.json(t, &r)
		require.Len(t, r.Groups, 3)
		// phong_kinh_te: A I J V G U early, B D on time, E L Q within, of 18.
		f := r.Groups[0].Figure("on_time_rate")
		require.Equal(t, "phong_kinh_te", r.Groups[0].Key)
		require.Equal(t, 11.0, f.Numerator)
		require.Equal(t, 18, *f.Denominator)

		a = e.get("/v1/reports?"+march, tokAdmin)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.JSONEq(t, string(compute(indicators.Params{})), string(a.body))
		a.json(t, &r)
		require.Equal(t, 21.0, r.Groups[0].Figure("handled").Numerator)
		require.Equal(t, 13.0, r.Groups[0].Figure("on_time_rate").Numerator)

		a = e.get("/v1/reports?"+march+"&agency=ubnd_xa&sector="+"H%E1%BB%99+t%E1%BB%8Bch", tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.JSONEq(t, string(compute(indicators.Params{Agency: "ubnd_xa", Sector: "Hộ tịch"})), string(a.body))
	})

	t.Run("officers read their own agency", func(t *testing.T) {
		want := compute(indicators.Params{Agency: "ubnd_xa"})
		for _, q := range []string{march, march + "&agency=ubnd_xa"} {
			a := e.get("/v1/reports?"+q, tokMotCua)
			require.Equal(t, http.StatusOK, a.status, "%s: %s", q, a.body)
			require.JSONEq(t, string(want), string(a.body), q)
			var r indicators.Report
			a.json(t, &r)
			require.Equal(t, "ubnd_xa", r.Filters.Agency)
			require.Equal(t, 2.0, r.Groups[0].Figure("handled").Numerator, "R and S")
		}
		a := e.get("/v1/reports?"+march+"&agency=phong_kinh_te", tokMotCua)
		require.Equal(t, http.StatusForbidden, a.status, "%s", a.body)
		ae := a.apiError(t)
		require.Equal(t, api.CodeForbidden, ae.Code)
		require.Equal(t, "officers read the indicators of their own agency only: phong_kinh_te is not yours (ubnd_xa)", ae.Message)

		// By agency, an officer's report has their agency's group only.
		a = e.get("/v1/reports?"+march+"&by=agency", tokTruongP)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		var r indicators.Report
		a.json(t, &r)
		require.Len(t, r.Groups, 1)
		require.Equal(t, "phong_kinh_te", r.Groups[0].Key)
	})

	t.Run("citizens are refused", func(t *testing.T) {
		for _, path := range []string{"/v1/reports?" + march, "/v1/reports/chart?" + march} {
			a := e.get(path, tokCitizen)
			require.Equal(t, http.StatusForbidden, a.status, "%s: %s", path, a.body)
			require.Equal(t, "citizens cannot read indicators", a.apiError(t).Message)
		}
		rows, err := e.engine.Store.AuditList(ctx, store.AuditListParams{Action: "getReport", Decision: store.AuditDenied})
		require.NoError(t, err)
		require.Len(t, rows, 2, "the citizen's and the officer's denials")
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, tc := range []struct {
			query, field, message string
		}{
			{"from=2025/03/01", "from", `from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`},
			{"from=2025-03-01&to=31-03-2025", "to", `to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`},
			{"from=2025-04-01&to=2025-03-31", "to", "to 2025-03-31 is before from 2025-04-01"},
			{march + "&by=week", "by", `unknown by "week" (use one of month, agency, procedure, version)`},
			{march + "&sector=Nowhere", "", `invalid report parameters: no procedure of the catalog is in sector "Nowhere" (its sectors: `},
			{"from=2999-01-01&to=2999-01-31", "", "invalid report parameters: the period starts at 2999-01-01 00:00, after the time of the report"},
		} {
			a := e.get("/v1/reports?"+tc.query, tokAnalyst)
			require.Equal(t, http.StatusBadRequest, a.status, "%s: %s", tc.query, a.body)
			ae := a.apiError(t)
			require.Equal(t, api.CodeBadRequest, ae.Code, tc.query)
			require.Equal(t, tc.field, ae.Field, tc.query)
			require.Contains(t, ae.Message, tc.message, tc.query)
		}
	})

	t.Run("charts", func(t *testing.T) {
		const quarter = "from=2025-02-01&to=2025-04-30"
		a := e.get("/v1/reports/chart?"+quarter+"&by=month", tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Equal(t, "image/svg+xml", a.header.Get("Content-Type"))
		require.Equal(t, "svg", svgRoot(t, a.body))
		trend := string(a.body)
		for _, want := range []string{"Tỷ lệ hồ sơ giải quyết đúng hạn theo tháng", ">02/2025<", ">03/2025<", ">04/2025<"} {
			require.Contains(t, trend, want)
		}
		a = e.get("/v1/reports/chart?"+quarter+"&kind=trend", tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Equal(t, trend, string(a.body), "the trend is by month")

		// An officer's chart is their agency's: ubnd_xa received nothing
		// in February.
		a = e.get("/v1/reports/chart?"+quarter+"&kind=trend", tokMotCua)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Contains(t, string(a.body), "cơ quan ubnd_xa")
		require.NotContains(t, string(a.body), ">02/2025<")
		require.Contains(t, string(a.body), ">03/2025<")

		a = e.get("/v1/reports/chart?"+march+"&by=agency&format=png", tokAdmin)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Equal(t, "image/png", a.header.Get("Content-Type"))
		img, err := png.Decode(bytes.NewReader(a.body))
		require.NoError(t, err)
		require.Greater(t, img.Bounds().Dx(), 500)

		a = e.get("/v1/reports/chart?"+march, tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Contains(t, string(a.body), "Hồ sơ tiếp nhận theo kênh nộp", "without grouping: the channel mix")

		for _, tc := range []struct {
			query  string
			status int
			field  string
		}{
			{march + "&kind=trend&by=agency", http.StatusBadRequest, "by"},
			{march + "&kind=pie", http.StatusBadRequest, "kind"},
			{march + "&format=gif", http.StatusBadRequest, "format"},
			{"from=2025-13-01", http.StatusBadRequest, "from"},
			{march + "&procedure=9.000001", http.StatusNotFound, ""},
			{march + "&agency=ubnd_xa", http.StatusOK, ""},
			{march + "&agency=phong_kinh_te", http.StatusForbidden, ""},
		} {
			a = e.get("/v1/reports/chart?"+tc.query, tokMotCua)
			require.Equal(t, tc.status, a.status, "%s: %s", tc.query, a.body)
			if tc.status != http.StatusOK {
				require.Equal(t, tc.field, a.apiError(t).Field, tc.query)
			}
		}
		a = e.get("/v1/reports/chart?"+march+"&procedure=9.000001", tokAnalyst)
		require.Contains(t, a.apiError(t).Message, "nothing to draw")
	})
}
