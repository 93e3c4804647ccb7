// Package analysistest holds the hand-computed fixture the re-engineering
// analytics (internal/analysis) are tested against, shared with the tests
// of `motcua analyze` and the API.
//
// The fixture: procedure 9.000001 (building permit) before and after a
// re-engineering, in March 2025 (no holiday; office hours 07:30–11:30 and
// 13:00–17:00, 8 working hours a day). Version 2025.1 (not in the catalog)
// inspects the site in person (kiem_tra_thuc_dia); 2025.2 (the catalog's,
// full-online) checks it against the records (doi_chieu_hien_trang).
//
//	OA1 2025.1 in_person  accepted Mon 03/03; kiem_tra_thuc_dia 03/03 09:00 → 04/03 11:00 = 10 h of 8 (late, 2 h over);
//	                      tham_dinh 04/03 13:00 → 05/03 09:00 = 5.5 h, asks for ban_ve_thiet_ke and anh_hien_trang;
//	                      supplement 05/03 09:30 → 06/03 08:30 (7 h, entered at the counter);
//	                      tham_dinh#2 06/03 09:00 → 10:00 = 1 h; fee paid at the counter 06/03 10:30 → 11:00;
//	                      ky_giay_phep 06/03 13:00 → 07/03 13:00 = 8 h of 16; processed 07/03 14:00 (appointment 24/03: early);
//	                      result collected at the counter 10/03 08:00.
//	                      Handling: 4 working days (04–07/03) − 7 h paused / 8 = 3.125.
//	                      Visits: submission, supplement, payment, pick-up (+ the site inspection when the plan is known).
//	OA2 2025.1 online     accepted 10/03; kiem_tra_thuc_dia 10/03 09:00 → 12/03 09:00 = 16 h of 8 (late, 8 h over);
//	                      tham_dinh 12/03 09:30 → 11:30 = 2 h; ky_giay_phep 12/03 13:00 → 14/03 15:00 = 18 h of 16 (late, 2 h over);
//	                      processed 14/03 15:00, appointment 13/03 17:00: late. Handling 4 days. No visit (but the inspection).
//	OA3 2025.1 in_person  received 17/03, kiem_tra_thuc_dia open (appointment 07/04: within). Visit: submission.
//	NB1 2025.2 online     accepted 17/03; doi_chieu 2 h of 8; tham_dinh 17/03 13:00 → 18/03 08:30 = 5 h;
//	                      ky_giay_phep 18/03 09:00 → 20/03 11:00 = 18 h of 16 (late, 2 h over); fee paid online;
//	                      processed 20/03 11:00 (appointment 04/04: early). Handling 3 days.
//	NB2 2025.2 online     accepted 24/03; doi_chieu 1 h; tham_dinh 1 h; ky_giay_phep 24/03 13:00 → 25/03 09:00 = 5.5 h;
//	                      processed 25/03 09:00 (appointment 27/03: early). Handling 1 day.
//
// Judged at 01/04/2025 00:00. The figures are asserted, with their
// arithmetic, in internal/analysis's tests.
package analysistest

import (
	"context"
	"fmt"
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// Procedure is the fixture's procedure.
const Procedure = "9.000001"

// VN is a time of 2025 in Vietnam.
func VN(month time.Month, day, hour, min int) time.Time {
	return time.Date(2025, month, day, hour, min, 0, 0, dossier.Vietnam)
}

// AsOf is when the fixture is judged.
var AsOf = VN(4, 1, 0, 0)

type fixtureDossier struct {
	code, version, mode, channel string
	status                       dossier.Status
	received, appointment        time.Time
	finished, returned           time.Time
	pausedHours                  float64
	paidOnline                   bool
	components                   []string
	events                       []dossier.Event
}

func opened(task string, at, due time.Time) dossier.Event {
	step, _, _ := cutTask(task)
	return dossier.Event{Kind: dossier.EventTaskOpened, Step: step, Note: task, At: at, DueAt: due}
}

func cutTask(task string) (string, string, bool) {
	for i := range task {
		if task[i] == '.' || task[i] == '#' {
			return task[:i], task[i+1:], true
		}
	}
	return task, "", false
}

func acted(step, outcome string, at, due time.Time, t dossier.Timeliness) dossier.Event {
	return dossier.Event{Kind: dossier.EventActed, Step: step, Outcome: outcome, At: at, DueAt: due, Timeliness: t,
		Actor: dossier.Actor{ID: "cb-" + step, Role: "cong_chuc_xay_dung", Agency: "ubnd_xa"}}
}

func fixture() []fixtureDossier {
	return []fixtureDossier{
		{code: "OA1", version: "2025.1", mode: "partial_online", channel: dossier.ChannelInPerson, status: dossier.StatusReturned,
			received: VN(3, 3, 8, 0), appointment: VN(3, 24, 17, 0), finished: VN(3, 7, 14, 0), returned: VN(3, 10, 8, 0), pausedHours: 7,
			components: []string{"don_de_nghi", "ban_ve_thiet_ke", "anh_hien_trang"},
			events: []dossier.Event{
				opened("kiem_tra_thuc_dia", VN(3, 3, 9, 0), VN(3, 4, 9, 0)),
				acted("kiem_tra_thuc_dia", "pass", VN(3, 4, 11, 0), VN(3, 4, 9, 0), dossier.Late),
				opened("tham_dinh", VN(3, 4, 13, 0), VN(3, 5, 13, 0)),
				acted("tham_dinh", "supplement", VN(3, 5, 9, 0), VN(3, 5, 13, 0), dossier.Early),
				{Kind: dossier.EventSupplementAsked, Step: "tham_dinh", At: VN(3, 5, 9, 30), Note: "Bản vẽ: thiếu mặt cắt; Ảnh: mờ"},
				opened("tham_dinh.supplement", VN(3, 5, 9, 30), VN(3, 19, 9, 30)),
				{Kind: dossier.EventSupplemented, Step: "tham_dinh", At: VN(3, 6, 8, 30), Note: "ban_ve_thiet_ke, anh_hien_trang Bổ sung tại quầy",
					Actor: dossier.Actor{ID: "cb-mc", Role: "mot_cua", Agency: "ubnd_xa"}, DueAt: VN(3, 19, 9, 30), Timeliness: dossier.Early},
				opened("tham_dinh#2", VN(3, 6, 9, 0), VN(3, 7, 9, 0)),
				acted("tham_dinh", "pass", VN(3, 6, 10, 0), VN(3, 7, 9, 0), dossier.Early),
				opened("nop_le_phi", VN(3, 6, 10, 30), time.Time{}),
				{Kind: dossier.EventPaid, Step: "nop_le_phi", Outcome: "paid", At: VN(3, 6, 11, 0), Note: "BL-001"},
				opened("ky_giay_phep", VN(3, 6, 13, 0), VN(3, 10, 13, 0)),
				acted("ky_giay_phep", "sign", VN(3, 7, 13, 0), VN(3, 10, 13, 0), dossier.Early),
				{Kind: dossier.EventProcessed, Step: "ky_giay_phep", At: VN(3, 7, 14, 0), DueAt: VN(3, 24, 17, 0), Timeliness: dossier.Early},
				opened("tra_ket_qua.pickup", VN(3, 7, 14, 0), VN(3, 11, 14, 0)),
				acted("tra_ket_qua", "returned", VN(3, 10, 8, 0), VN(3, 11, 14, 0), dossier.Early),
			}},
		{code: "OA2", version: "2025.1", mode: "partial_online", channel: dossier.ChannelOnline, status: dossier.StatusProcessed,
			received: VN(3, 10, 8, 0), appointment: VN(3, 13, 17, 0), finished: VN(3, 14, 15, 0),
			components: []string{"don_de_nghi", "ban_ve_thiet_ke"},
			events: []dossier.Event{
				opened("kiem_tra_thuc_dia", VN(3, 10, 9, 0), VN(3, 11, 9, 0)),
				acted("kiem_tra_thuc_dia", "pass", VN(3, 12, 9, 0), VN(3, 11, 9, 0), dossier.Late),
				opened("tham_dinh", VN(3, 12, 9, 30), VN(3, 13, 9, 30)),
				acted("tham_dinh", "pass", VN(3, 12, 11, 30), VN(3, 13, 9, 30), dossier.Early),
				opened("ky_giay_phep", VN(3, 12, 13, 0), VN(3, 14, 13, 0)),
				acted("ky_giay_phep", "sign", VN(3, 14, 15, 0), VN(3, 14, 13, 0), dossier.Late),
				{Kind: dossier.EventProcessed, Step: "ky_giay_phep", At: VN(3, 14, 15, 0), DueAt: VN(3, 13, 17, 0), Timeliness: dossier.Late},
			}},
		{code: "OA3", version: "2025.1", mode: "partial_online", channel: dossier.ChannelInPerson, status: dossier.StatusProcessing,
			received: VN(3, 17, 8, 0), appointment: VN(4, 7, 17, 0),
			events: []dossier.Event{opened("kiem_tra_thuc_dia", VN(3, 17, 9, 0), VN(3, 18, 9, 0))}},
		{code: "NB1", version: "2025.2", mode: "full_online", channel: dossier.ChannelOnline, status: dossier.StatusReturned,
			received: VN(3, 17, 8, 0), appointment: VN(4, 4, 17, 0), finished: VN(3, 20, 11, 0), returned: VN(3, 20, 11, 30), paidOnline: true,
			events: []dossier.Event{
				opened("doi_chieu_hien_trang", VN(3, 17, 9, 0), VN(3, 18, 9, 0)),
				acted("doi_chieu_hien_trang", "pass", VN(3, 17, 11, 0), VN(3, 18, 9, 0), dossier.Early),
				opened("tham_dinh", VN(3, 17, 13, 0), VN(3, 18, 13, 0)),
				acted("tham_dinh", "pass", VN(3, 18, 8, 30), VN(3, 18, 13, 0), dossier.Early),
				{Kind: dossier.EventPaid, Step: "nop_le_phi", Outcome: "paid", At: VN(3, 18, 8, 45), Note: "PAY-1"},
				opened("ky_giay_phep", VN(3, 18, 9, 0), VN(3, 20, 9, 0)),
				acted("ky_giay_phep", "sign", VN(3, 20, 11, 0), VN(3, 20, 9, 0), dossier.Late),
				{Kind: dossier.EventProcessed, Step: "ky_giay_phep", At: VN(3, 20, 11, 0), DueAt: VN(4, 4, 17, 0), Timeliness: dossier.Early},
			}},
		{code: "NB2", version: "2025.2", mode: "full_online", channel: dossier.ChannelOnline, status: dossier.StatusReturned,
			received: VN(3, 24, 8, 0), appointment: VN(3, 27, 17, 0), finished: VN(3, 25, 9, 0), returned: VN(3, 25, 9, 30),
			events: []dossier.Event{
				opened("doi_chieu_hien_trang", VN(3, 24, 9, 0), VN(3, 25, 9, 0)),
				acted("doi_chieu_hien_trang", "pass", VN(3, 24, 10, 0), VN(3, 25, 9, 0), dossier.Early),
				opened("tham_dinh", VN(3, 24, 10, 30), VN(3, 25, 10, 30)),
				acted("tham_dinh", "pass", VN(3, 24, 11, 30), VN(3, 25, 10, 30), dossier.Early),
				opened("ky_giay_phep", VN(3, 24, 13, 0), VN(3, 26, 13, 0)),
				acted("ky_giay_phep", "sign", VN(3, 25, 9, 0), VN(3, 26, 13, 0), dossier.Early),
				{Kind: dossier.EventProcessed, Step: "ky_giay_phep", At: VN(3, 25, 9, 0), DueAt: VN(3, 27, 17, 0), Timeliness: dossier.Early},
			}},
	}
}

func (f fixtureDossier) projection() dossier.Projection {
	events := []dossier.Event{
		{Kind: dossier.EventSubmitted, At: f.received, Note: f.channel, Actor: dossier.Actor{ID: "cd-" + f.code, Role: dossier.RoleApplicant}},
		{Kind: dossier.EventReceived, At: f.received, DueAt: f.appointment},
	}
	events = append(events, f.events...)
	for i := range events {
		events[i].Seq = i + 1
		events[i].Status = f.status
	}
	st := &dossier.State{
		Code: f.code, ProcedureCode: Procedure, PlanHash: "hash-" + f.version, Mode: f.mode, Channel: f.channel, Agency: "ubnd_xa",
		Applicant: dossier.Applicant{ID: "cd-" + f.code, Name: "Công dân " + f.code},
		Status:    f.status, ReceivedAt: f.received, AcceptedAt: f.received, AppointmentAt: f.appointment, CurrentSteps: []string{},
		PausedTotal: time.Duration(f.pausedHours * float64(time.Hour)), Supplements: 0, PaidOnline: f.paidOnline,
		FinishedAt: f.finished, ReturnedAt: f.returned,
	}
	for _, c := range f.components {
		st.Components = append(st.Components, dossier.ComponentRef{ID: c, SHA256: "00", Name: c + ".pdf"})
	}
	for _, e := range f.events {
		if e.Kind == dossier.EventSupplementAsked {
			st.Supplements++
		}
	}
	return dossier.Projection{WorkflowID: f.code, Code: f.code, Seq: len(events), Snapshot: st, Events: events,
		Facts: dossier.Facts{ProcedureVersion: f.version, ResultIsDocument: true, HasFee: true}}
}

// Applier is what the fixture is written through: *store.Store.
type Applier interface {
	ProjectionApply(ctx context.Context, p dossier.Projection) error
}

// Apply writes the fixture.
func Apply(ctx context.Context, s Applier) error {
	for _, f := range fixture() {
		if err := s.ProjectionApply(ctx, f.projection()); err != nil {
			return fmt.Errorf("applying %s: %w", f.code, err)
		}
	}
	return nil
}
