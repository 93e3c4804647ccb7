package analysis_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/analysis/analysistest"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

func catalog(t *testing.T) *definitions.Catalog {
	t.Helper()
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func openFixture(t *testing.T, dsn string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := analysistest.Apply(ctx, st); err != nil {
		t.Fatal(err)
	}
	return st
}

const procedure = analysistest.Procedure

var (
	asOf = analysistest.AsOf
	vn   = analysistest.VN
)

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func value(t *testing.T, what string, v *float64) float64 {
	t.Helper()
	if v == nil {
		t.Fatalf("%s has no value", what)
	}
	return *v
}

// TestAnalyzeFixture checks the figures of the fixture (analysistest),
// computed by hand in its documentation.
func TestAnalyzeFixture(t *testing.T) {
	st := openFixture(t, filepath.Join(t.TempDir(), "read.db"))
	a, err := analysis.Analyze(context.Background(), st, catalog(t), analysis.Params{Procedure: procedure, Now: asOf})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Versions) != 2 || a.Versions[0].Version != "2025.1" || a.Versions[1].Version != "2025.2" {
		t.Fatalf("versions = %+v", a.Versions)
	}
	if !a.From.Equal(vn(3, 3, 0, 0)) || !a.AsOf.Equal(asOf) {
		t.Errorf("period %v – %v, as of %v", a.From, a.To, a.AsOf)
	}

	old := a.Version("2025.1")
	if old.Known {
		t.Error("2025.1 is not in the catalog, yet it is known")
	}
	if old.Dossiers != 3 || old.Processed != 2 {
		t.Errorf("2025.1: %d dossiers, %d processed; want 3, 2", old.Dossiers, old.Processed)
	}
	if old.OnTime.Numerator != 2 || *old.OnTime.Denominator != 3 {
		t.Errorf("2025.1 on time %v / %v, want 2 / 3 (OA2 late)", old.OnTime.Numerator, *old.OnTime.Denominator)
	}
	near(t, "2025.1 handling mean", old.HandlingDays.Mean, (3.125+4)/2)
	near(t, "2025.1 handling p50", old.HandlingDays.P50, 3.125)
	near(t, "2025.1 handling p90", old.HandlingDays.P90, 4)
	if old.Supplemented.Numerator != 1 || old.Supplemented.Denominator != 3 {
		t.Errorf("2025.1 supplemented %+v, want 1/3", old.Supplemented)
	}
	if len(old.Components) != 2 || old.Components[0].ID != "anh_hien_trang" || old.Components[1].ID != "ban_ve_thiet_ke" ||
		old.Components[0].Supplemented.Numerator != 1 {
		t.Errorf("2025.1 components %+v, want anh_hien_trang and ban_ve_thiet_ke once each", old.Components)
	}
	want := analysis.Visits{Total: 5, Submission: 2, Supplement: 1, Payment: 1, Pickup: 1, NoVisit: 1, PerDossier: 5.0 / 3, WithoutPlan: true}
	if old.Visits != want {
		t.Errorf("2025.1 visits %+v, want %+v", old.Visits, want)
	}
	steps := map[string]analysis.StepStat{}
	for _, s := range old.Steps {
		steps[s.Key] = s
	}
	kt := steps["kiem_tra_thuc_dia"]
	if kt.Count != 2 || kt.Late.Numerator != 2 {
		t.Errorf("kiem_tra_thuc_dia %+v, want 2 tasks, both late", kt)
	}
	near(t, "kiem_tra_thuc_dia mean", kt.Actual.Mean, 13)
	near(t, "kiem_tra_thuc_dia allotted", kt.Allotted, 8)
	near(t, "kiem_tra_thuc_dia overrun", kt.OverrunHours, 10)
	near(t, "kiem_tra_thuc_dia share", kt.LatenessShare, 10.0/12)
	near(t, "ky_giay_phep share", steps["ky_giay_phep"].LatenessShare, 2.0/12)
	td := steps["tham_dinh"]
	if td.Count != 3 {
		t.Errorf("tham_dinh counted %d times, want 3 (OA1 twice, OA2)", td.Count)
	}
	near(t, "tham_dinh p50", td.Actual.P50, 2)
	near(t, "tham_dinh p90", td.Actual.P90, 5.5)
	sup := steps["tham_dinh.supplement"]
	if !sup.Applicant || sup.Count != 1 || sup.LatenessShare != 0 {
		t.Errorf("tham_dinh.supplement %+v: the applicant's 7 h, not the agency's", sup)
	}
	near(t, "supplement time", sup.Actual.Mean, 7)
	if p := steps["tra_ket_qua.pickup"]; !p.Applicant || p.Count != 1 {
		t.Errorf("pick-up %+v", p)
	}
	if old.Bottleneck != "kiem_tra_thuc_dia" {
		t.Errorf("2025.1 bottleneck %q, want kiem_tra_thuc_dia", old.Bottleneck)
	}

	cur := a.Version("2025.2")
	if !cur.Known || cur.Dossiers != 2 || cur.Processed != 2 || cur.OnTime.Numerator != 2 {
		t.Errorf("2025.2: %+v", cur)
	}
	near(t, "2025.2 handling mean", cur.HandlingDays.Mean, 2)
	if cur.Visits.Total != 0 || cur.Visits.NoVisit != 2 || cur.Supplemented.Numerator != 0 {
		t.Errorf("2025.2 visits %+v, supplemented %+v", cur.Visits, cur.Supplemented)
	}
	if cur.Bottleneck != "ky_giay_phep" {
		t.Errorf("2025.2 bottleneck %q, want ky_giay_phep", cur.Bottleneck)
	}
	var keys []string
	for _, s := range cur.Steps {
		keys = append(keys, s.Key)
	}
	if got, want := keys, []string{"doi_chieu_hien_trang", "tham_dinh", "ky_giay_phep"}; !equal(got, want) {
		t.Errorf("2025.2 steps %v, want plan order %v", got, want)
	}
	if cur.Steps[0].Name == cur.Steps[0].Key || cur.Steps[0].Kind != "task" {
		t.Errorf("2025.2 step names come from the catalog, got %q", cur.Steps[0].Name)
	}

	c := a.Comparison
	if c == nil || c.Before != "2025.1" || c.After != "2025.2" {
		t.Fatalf("comparison %+v", c)
	}
	rows := map[string]analysis.Change{}
	for _, r := range c.Rows {
		rows[r.ID] = r
	}
	for id, better := range map[string]bool{"on_time_rate": true, "late_rate": true, "handling_mean": true, "supplemented": true, "visits_per_dossier": true} {
		r := rows[id]
		if r.Better == nil || *r.Better != better {
			t.Errorf("comparison %s: %+v, want better=%v", id, r, better)
		}
	}
	near(t, "on-time before", value(t, "before", rows["on_time_rate"].Before), 2.0/3)
	near(t, "on-time after", value(t, "after", rows["on_time_rate"].After), 1)
	if rows["dossiers"].Better != nil {
		t.Error("the number of dossiers has no direction")
	}
	var added, removed bool
	for _, s := range c.Steps {
		if s.Key == "doi_chieu_hien_trang" && s.BeforeP50 == nil && s.AfterP50 != nil {
			added = true
		}
		if s.Key == "kiem_tra_thuc_dia" && s.BeforeP50 != nil && s.AfterP50 == nil {
			removed = true
		}
	}
	if !added || !removed {
		t.Errorf("steps compared %+v: want kiem_tra_thuc_dia removed and doi_chieu_hien_trang added", c.Steps)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestAnalyzeWithEarlierDefinition gives the definition of 2025.1: its
// in-person site inspection now counts as a visit, and its steps are named.
func TestAnalyzeWithEarlierDefinition(t *testing.T) {
	st := openFixture(t, filepath.Join(t.TempDir(), "read.db"))
	cat := catalog(t)
	older := *cat.Plan(procedure)
	older.Version = "2025.1"
	a, err := analysis.Analyze(context.Background(), st, cat, analysis.Params{Procedure: procedure, Now: asOf, Plans: []*definitions.Plan{&older}})
	if err != nil {
		t.Fatal(err)
	}
	old := a.Version("2025.1")
	if !old.Known || old.Visits.WithoutPlan {
		t.Errorf("2025.1 is known now: %+v", old.Visits)
	}
	// OA1 and OA2 had their site inspected in person.
	if old.Visits.InPerson != 2 || old.Visits.Total != 7 || old.Visits.NoVisit != 0 {
		t.Errorf("2025.1 visits %+v, want 2 in-person steps, 7 in all, every dossier visited", old.Visits)
	}
	for _, s := range old.Steps {
		if s.Key == "kiem_tra_thuc_dia" && s.Name == s.Key {
			t.Errorf("step %s is not named from the definition", s.Key)
		}
	}
}

func TestAnalyzeChoices(t *testing.T) {
	st := openFixture(t, filepath.Join(t.TempDir(), "read.db"))
	cat := catalog(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		p    analysis.Params
		err  error
	}{
		{"no procedure", analysis.Params{Now: asOf}, analysis.ErrInvalid},
		{"unknown version", analysis.Params{Procedure: procedure, Now: asOf, Before: "2024.9", After: "2025.2"}, analysis.ErrInvalid},
		{"same version", analysis.Params{Procedure: procedure, Now: asOf, Before: "2025.2", After: "2025.2"}, analysis.ErrInvalid},
		{"one side", analysis.Params{Procedure: procedure, Now: asOf, After: "2025.2"}, analysis.ErrInvalid},
		{"empty period", analysis.Params{Procedure: procedure, Now: asOf, From: vn(3, 10, 0, 0), To: vn(3, 10, 0, 0)}, analysis.ErrInvalid},
		{"no dossier", analysis.Params{Procedure: "1.001193", Now: asOf}, analysis.ErrNoDossiers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := analysis.Analyze(ctx, st, cat, tc.p)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}

	// A period holding only the new version's dossiers: nothing to compare.
	a, err := analysis.Analyze(ctx, st, cat, analysis.Params{Procedure: procedure, Now: asOf, From: vn(3, 18, 0, 0), To: vn(4, 1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Versions) != 1 || a.Versions[0].Dossiers != 1 || a.Comparison != nil {
		t.Errorf("from 18/03: %d versions, comparison %v; want NB2 alone", len(a.Versions), a.Comparison)
	}
	// Versions asked for explicitly, in the other order.
	a, err = analysis.Analyze(ctx, st, cat, analysis.Params{Procedure: procedure, Now: asOf, Before: "2025.2", After: "2025.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range a.Comparison.Rows {
		if r.ID == "on_time_rate" && (r.Better == nil || *r.Better) {
			t.Errorf("2025.2 → 2025.1 makes the on-time rate worse: %+v", r)
		}
	}
	// A cut before NB1 was processed: it is open, and its signing not yet
	// done.
	a, err = analysis.Analyze(ctx, st, cat, analysis.Params{Procedure: procedure, Now: vn(3, 19, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if cur := a.Version("2025.2"); cur.Processed != 0 || len(cur.Steps) != 2 {
		t.Errorf("at 19/03, 2025.2: %d processed, steps %+v; want 0 and two steps done", cur.Processed, cur.Steps)
	}
}

// TestSQLiteAndPostgresAgree runs the analysis on both databases.
func TestSQLiteAndPostgresAgree(t *testing.T) {
	dsn := indicatorstest.PostgresDSN(t)
	cat := catalog(t)
	ctx := context.Background()
	var out [2][]byte
	for i, d := range []string{filepath.Join(t.TempDir(), "read.db"), dsn} {
		st := openFixture(t, d)
		a, err := analysis.Analyze(ctx, st, cat, analysis.Params{Procedure: procedure, Now: asOf})
		if err != nil {
			t.Fatal(err)
		}
		if out[i], err = json.Marshal(a); err != nil {
			t.Fatal(err)
		}
	}
	if string(out[0]) != string(out[1]) {
		t.Errorf("SQLite and PostgreSQL differ:\n%s\n%s", out[0], out[1])
	}
}

// TestHandlingAgreesWithIndicators checks, on a synthetic history, that
// the analysis's mean handling time and on-time rate are the indicators'
// by version.
func TestHandlingAgreesWithIndicators(t *testing.T) {
	ctx := context.Background()
	cat := catalog(t)
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "read.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from, to := time.Date(2025, 9, 1, 0, 0, 0, 0, dossier.Vietnam), time.Date(2025, 11, 1, 0, 0, 0, 0, dossier.Vietnam)
	seq, err := demodata.Generate(cat, cal, demodata.Options{Dossiers: 400, Seed: 3, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	var batch []dossier.Projection
	for d, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, d.Projections...)
	}
	ch := make(chan []dossier.Projection, 1)
	ch <- batch
	close(ch)
	if err := st.BulkLoad(ctx, store.BulkLoadParams{Batches: ch}); err != nil {
		t.Fatal(err)
	}
	now := to
	checked := 0
	for _, p := range cat.Plans() {
		a, err := analysis.Analyze(ctx, st, cat, analysis.Params{Procedure: p.Code, Now: now, Calendar: cal})
		if errors.Is(err, analysis.ErrNoDossiers) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rep, err := indicators.Compute(ctx, st, cat, indicators.Params{From: a.From, To: a.To, Now: now, Procedure: p.Code,
			By: indicators.ByVersion, Calendar: cal})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range a.Versions {
			g := rep.Groups[0]
			avg := g.Figure("avg_handling_days")
			if avg.Denominator == nil || *avg.Denominator != v.Processed {
				t.Errorf("%s@%s: %d processed, the indicators %v", p.Code, v.Version, v.Processed, avg.Denominator)
				continue
			}
			if v.Processed > 0 {
				near(t, p.Code+" mean handling", v.HandlingDays.Mean, value(t, "avg_handling_days", avg.Value))
				checked++
			}
			if v.OnTime.Numerator != g.Figure("on_time_rate").Numerator {
				t.Errorf("%s: on time %v, the indicators %v", p.Code, v.OnTime.Numerator, g.Figure("on_time_rate").Numerator)
			}
			if len(v.Steps) == 0 {
				t.Errorf("%s: no step measured", p.Code)
			}
		}
	}
	if checked < 3 {
		t.Errorf("only %d procedures with processed dossiers were compared", checked)
	}
}
