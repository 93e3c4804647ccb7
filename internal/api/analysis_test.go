package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/api"
	"github.com/motcua/motcua/internal/store"
)

// TestAnalysis reads the analysis' fixture (analysistest: procedure
// 9.000001 before and after its re-engineering, March 2025) written to the
// engine's read model.
func TestAnalysis(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	require.NoError(t, analysistest.Apply(ctx, e.engine.Store))
	const (
		path  = "/v1/procedures/" + analysistest.Procedure + "/analysis"
		chart = path + "/chart"
		march = "?to=2025-03-31" // judged at 01/04/2025 00:00, whenever the test runs
	)
	analyze := func(p analysis.Params) []byte {
		t.Helper()
		p.Procedure, p.To, p.Now = analysistest.Procedure, analysistest.AsOf, analysistest.AsOf
		a, err := analysis.Analyze(ctx, e.engine.Store, e.engine.Catalog, p)
		require.NoError(t, err)
		b, err := json.Marshal(a)
		require.NoError(t, err)
		return b
	}

	t.Run("analysts and admins", func(t *testing.T) {
		a := e.get(path+march, tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.JSONEq(t, string(analyze(analysis.Params{})), string(a.body), "the analysis of analysis.Analyze on the same read model")
		var got analysis.Analysis
		a.json(t, &got)
		require.True(t, got.AsOf.Equal(analysistest.AsOf), "to bounds the cut: %s", got.AsOf)
		require.True(t, got.From.Equal(analysistest.VN(3, 3, 0, 0)), "from the first dossier's day: %s", got.From)
		require.Len(t, got.Versions, 2)
		require.Equal(t, "kiem_tra_thuc_dia", got.Version("2025.1").Bottleneck)
		require.Equal(t, "ky_giay_phep", got.Version("2025.2").Bottleneck)
		require.Equal(t, 2.0, got.Version("2025.1").OnTime.Numerator)
		require.NotNil(t, got.Comparison)
		require.Equal(t, "2025.1", got.Comparison.Before)
		require.Equal(t, "2025.2", got.Comparison.After)

		// The versions the other way round, and a first day, as asked.
		q := "?from=2025-03-01&to=2025-03-31&before=2025.2&after=2025.1"
		a = e.get(path+q, tokAdmin)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.JSONEq(t, string(analyze(analysis.Params{From: analysistest.VN(3, 1, 0, 0), Before: "2025.2", After: "2025.1"})), string(a.body))

		// Without dates: from the first dossier, up to now.
		a = e.get(path, tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		a.json(t, &got)
		require.Len(t, got.Versions, 2)
		require.WithinDuration(t, time.Now(), got.AsOf, time.Minute)
		require.True(t, got.From.Equal(analysistest.VN(3, 3, 0, 0)))
	})

	t.Run("officers and citizens are refused", func(t *testing.T) {
		for _, tc := range []struct{ token, message string }{
			{tokMotCua, "only analysts and administrators read the analysis of a procedure: it spans every agency handling the procedure (you are an officer of ubnd_xa)"},
			{tokCitizen, "only analysts and administrators read the analysis of a procedure (you are a citizen)"},
		} {
			for _, p := range []string{path + march, chart + march, "/v1/procedures/0.000000/analysis"} {
				a := e.get(p, tc.token)
				require.Equal(t, http.StatusForbidden, a.status, "%s: %s", p, a.body)
				ae := a.apiError(t)
				require.Equal(t, api.CodeForbidden, ae.Code)
				require.Equal(t, tc.message, ae.Message)
			}
		}
		for action, n := range map[string]int{"getProcedureAnalysis": 4, "getProcedureAnalysisChart": 2} {
			rows, err := e.engine.Store.AuditList(ctx, store.AuditListParams{Action: action, Decision: store.AuditDenied})
			require.NoError(t, err)
			require.Len(t, rows, n, "%s: the officer's and the citizen's denials", action)
			for _, r := range rows {
				require.Equal(t, http.StatusForbidden, r.Status)
				require.Contains(t, r.Reason, "only analysts and administrators")
			}
		}
		a := e.get(path+march, "")
		require.Equal(t, http.StatusUnauthorized, a.status, "%s", a.body)
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, tc := range []struct {
			query, field, message string
		}{
			{"?from=2025/03/01", "from", `from "2025/03/01": write YYYY-MM-DD, e.g. 2025-01-01`},
			{"?to=31-03-2025", "to", `to "31-03-2025": write YYYY-MM-DD, e.g. 2025-12-31`},
			{"?from=2025-04-01&to=2025-03-31", "to", "to 2025-03-31 is before from 2025-04-01"},
			{march + "&before=2024.1&after=2025.2", "before", `version "2024.1" of 9.000001 has no dossier in the period (versions with dossiers: 2025.1, 2025.2)`},
			{march + "&before=2025.1&after=2099.9", "after", `version "2099.9" of 9.000001 has no dossier in the period`},
			{march + "&before=2025.1", "after", `give the version after too, or neither (before "2025.1")`},
			{march + "&before=2025.2&after=2025.2", "after", "compare two different versions"},
		} {
			for _, p := range []string{path, chart} {
				a := e.get(p+tc.query, tokAnalyst)
				require.Equal(t, http.StatusBadRequest, a.status, "%s%s: %s", p, tc.query, a.body)
				ae := a.apiError(t)
				require.Equal(t, api.CodeBadRequest, ae.Code, tc.query)
				require.Equal(t, tc.field, ae.Field, tc.query)
				require.Contains(t, ae.Message, tc.message, tc.query)
			}
		}
		a := e.get(chart+march+"&format=gif", tokAnalyst)
		require.Equal(t, http.StatusBadRequest, a.status, "%s", a.body)
		require.Equal(t, "format", a.apiError(t).Field)
	})

	t.Run("no dossier", func(t *testing.T) {
		for _, tc := range []struct{ path, message string }{
			// In the catalog, no dossier at all.
			{"/v1/procedures/" + birth + "/analysis", "the read model has no dossier of procedure 1.001193"},
			{"/v1/procedures/" + birth + "/analysis/chart", "the read model has no dossier of procedure 1.001193"},
			// Dossiers, none in the period.
			{path + "?from=2025-02-01&to=2025-02-28", "no dossier of procedure 9.000001 received between 2025-02-01 and 2025-03-01 00:00"},
			// Neither in the catalog nor in the read model.
			{"/v1/procedures/0.000000/analysis", `no procedure "0.000000" in the catalog, and`},
		} {
			a := e.get(tc.path, tokAnalyst)
			require.Equal(t, http.StatusNotFound, a.status, "%s: %s", tc.path, a.body)
			ae := a.apiError(t)
			require.Equal(t, api.CodeNotFound, ae.Code)
			require.Contains(t, ae.Message, tc.message, tc.path)
		}
	})

	t.Run("charts", func(t *testing.T) {
		a := e.get(chart+march, tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Equal(t, "image/svg+xml", a.header.Get("Content-Type"))
		require.Equal(t, "svg", svgRoot(t, a.body))
		// The later version compared: 2025.2, which checks the site
		// against the records.
		svg := string(a.body)
		require.Contains(t, svg, "Thủ tục 9.000001, phiên bản 2025.2: thời gian từng bước")
		require.Contains(t, svg, ">doi_chieu_hien_trang<")
		require.NotContains(t, svg, ">kiem_tra_thuc_dia<")
		// The same picture as the command line's (analysis.DrawSteps).
		var want bytes.Buffer
		var an analysis.Analysis
		require.NoError(t, json.Unmarshal(analyze(analysis.Params{}), &an))
		require.NoError(t, analysis.DrawSteps(&want, "svg", &an))
		require.Equal(t, want.String(), svg)

		a = e.get(chart+march+"&before=2025.2&after=2025.1", tokAdmin)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Contains(t, string(a.body), "phiên bản 2025.1")
		require.Contains(t, string(a.body), ">kiem_tra_thuc_dia<")

		// On 17/03, 2025.1 received OA3 only, whose inspection is still
		// open: no step to draw.
		a = e.get(chart+"?from=2025-03-17&to=2025-03-17&before=2025.2&after=2025.1", tokAnalyst)
		require.Equal(t, http.StatusNotFound, a.status, "%s", a.body)
		require.Equal(t, "nothing to draw: version 2025.1 of 9.000001 has no step with an allotted time to draw: charts: no data to draw",
			a.apiError(t).Message)

		a = e.get(chart+march+"&format=png", tokAnalyst)
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		require.Equal(t, "image/png", a.header.Get("Content-Type"))
		img, err := png.Decode(bytes.NewReader(a.body))
		require.NoError(t, err)
		require.Greater(t, img.Bounds().Dx(), 500)
	})
}
