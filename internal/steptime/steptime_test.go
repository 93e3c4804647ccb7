package steptime

import (
	"testing"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

func vn(day, hour, min int) time.Time {
	return time.Date(2025, time.March, day, hour, min, 0, 0, dossier.Vietnam)
}

func calendar(t *testing.T) *workcal.Calendar {
	t.Helper()
	cat, err := definitions.LoadCatalog("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workcal.FromCatalog(cat)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

// TestObserve pairs each kind of task with what closes it. March 2025 has
// no holiday; office hours are 07:30–11:30 and 13:00–17:00.
func TestObserve(t *testing.T) {
	events := []dossier.Event{
		{Kind: dossier.EventTaskOpened, Step: "tham_dinh", Note: "tham_dinh", At: vn(3, 9, 0), DueAt: vn(4, 9, 0)},
		{Kind: dossier.EventActed, Step: "tham_dinh", Outcome: "supplement", At: vn(3, 11, 0), Timeliness: dossier.Early},
		{Kind: dossier.EventTaskOpened, Step: "tham_dinh", Note: "tham_dinh.supplement", At: vn(3, 11, 0)},
		{Kind: dossier.EventSupplemented, Step: "tham_dinh", At: vn(4, 8, 30)},
		{Kind: dossier.EventTaskOpened, Step: "tham_dinh", Note: "tham_dinh#2", At: vn(4, 9, 0), DueAt: vn(5, 9, 0)},
		// The other agency's own task is measured by the consultation.
		{Kind: dossier.EventConsultSent, Step: "xac_minh", At: vn(4, 9, 0), DueAt: vn(6, 9, 0)},
		{Kind: dossier.EventTaskOpened, Step: "xac_minh", Note: "xac_minh", At: vn(4, 9, 5)},
		{Kind: dossier.EventActed, Step: "xac_minh", Outcome: "done", At: vn(5, 10, 0)},
		{Kind: dossier.EventConsultAnswered, Step: "xac_minh", At: vn(5, 10, 0)},
		{Kind: dossier.EventActed, Step: "tham_dinh", Outcome: "approve", At: vn(5, 10, 0), Timeliness: dossier.Late},
		{Kind: dossier.EventTaskOpened, Step: "nop_phi", Note: "nop_phi", At: vn(5, 13, 0)},
		{Kind: dossier.EventPaid, Step: "nop_phi", Outcome: "paid", At: vn(5, 14, 0)},
		// A payment task that timed out is never closed.
		{Kind: dossier.EventTaskOpened, Step: "tra_ket_qua", Note: "tra_ket_qua.pickup", At: vn(5, 15, 0)},
		{Kind: dossier.EventActed, Step: "tra_ket_qua", Outcome: "returned", At: vn(6, 8, 0)},
		{Kind: dossier.EventTaskOpened, Step: "tiep_nhan", Note: "tiep_nhan", At: vn(6, 8, 0)},
	}
	obs, err := Observe(calendar(t), events)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		key      string
		working  time.Duration
		allotted time.Duration
		closedBy string
	}
	wants := []want{
		{"tham_dinh", 2 * time.Hour, 8 * time.Hour, dossier.EventActed},
		{"tham_dinh.supplement", 5*time.Hour + 30*time.Minute, 0, dossier.EventSupplemented},
		{"xac_minh", 9 * time.Hour, 16 * time.Hour, dossier.EventConsultAnswered},
		{"tham_dinh", 9 * time.Hour, 8 * time.Hour, dossier.EventActed},
		{"nop_phi", time.Hour, 0, dossier.EventPaid},
		{"tra_ket_qua.pickup", 2*time.Hour + 30*time.Minute, 0, dossier.EventActed},
	}
	if len(obs) != len(wants) {
		t.Fatalf("got %d observations, want %d: %+v", len(obs), len(wants), obs)
	}
	for i, w := range wants {
		o := obs[i]
		if o.Key != w.key || o.Working != w.working || o.Allotted != w.allotted || o.ClosedBy != w.closedBy {
			t.Errorf("#%d: %s worked %v of %v closed by %s; want %s %v of %v by %s", i, o.Key, o.Working, o.Allotted, o.ClosedBy,
				w.key, w.working, w.allotted, w.closedBy)
		}
	}
	if obs[3].Timeliness != dossier.Late {
		t.Errorf("the second review's timeliness is %q, want late", obs[3].Timeliness)
	}
}

func TestSummarize(t *testing.T) {
	if s := Summarize(nil); s != (Summary{}) {
		t.Errorf("empty: %+v", s)
	}
	s := Summarize([]float64{5, 1, 4, 2, 3, 10, 9, 8, 7, 6})
	if s.Mean != 5.5 || s.P50 != 5 || s.P90 != 9 {
		t.Errorf("1..10: %+v, want mean 5.5, p50 5, p90 9 (nearest rank)", s)
	}
}
