package workflows

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// testDefinition is a small procedure: reception, a fee, a review that may
// ask for a supplement or refuse, a signature and the return. The clock
// counts in days: 3 working days.
const testDefinition = `code: "1.000001"
name: Thủ tục mẫu
sector: Hộ tịch
level: commune
agency: ubnd_xa
version: "1"
effective_from: 2025-01-01
modes:
  full_online:
    channels: [online]
    delivery: [e_result, postal]
  partial_online:
    channels: [online, in_person]
    delivery: [counter]
time_limit: { working_days: 3 }
fees:
  - { id: le_phi, name: Lệ phí, amount: 50000, payable_online: true }
result: { kind: document, name: Giấy chứng nhận }
agencies:
  - { id: ubnd_xa, name: UBND xã }
  - { id: cong_an, name: Công an tỉnh }
roles:
  - { id: mot_cua, name: Một cửa, agency: ubnd_xa }
  - { id: chuyen_vien, name: Chuyên viên, agency: ubnd_xa }
  - { id: lanh_dao, name: Lãnh đạo, agency: ubnd_xa }
  - { id: can_bo_ca, name: Cán bộ công an, agency: cong_an }
components:
  - id: to_khai
    name: Tờ khai
    form:
      - { id: area, label: Diện tích, type: number }
steps:
  - id: tiep_nhan
    kind: reception
    role: mot_cua
    within: { working_hours: 4 }
  - id: nop_phi
    kind: pay
    timeout: { working_days: 5 }
  - id: tham_dinh
    kind: task
    role: chuyen_vien
    within: { working_days: 1 }
    supplement: true
    outcomes:
      approve: ky
      refuse: refused
  - id: ky
    kind: sign
    role: lanh_dao
    within: { working_hours: 4 }
  - id: tra
    kind: return
    role: mot_cua
    within: { working_hours: 4 }
`

// vn builds a time in Vietnam.
func vn(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, dossier.Vietnam)
}

// after returns the delay from the harness start to t.
func after(t time.Time) time.Duration { return t.Sub(start) }

func (h *harness) pay() {
	h.update("pay", UpdatePay, PayRequest{Reference: "PAY-" + h.in.Code, Amount: 50000, Online: true})
}

func withItems(items ...string) func(*ActRequest) {
	return func(r *ActRequest) { r.Items = items }
}

// The supplement pauses the clock: the appointment moves by exactly the
// working time the applicant took, and a second request is refused.
func TestSupplementPausesTheClock(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	var paused, resumed, afterSecond dossier.State
	var before int
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 10, 9, 30)), func() { h.pay() })
	h.at(after(vn(2025, 3, 10, 11, 0)), func() {
		h.act("tham_dinh", OutcomeSupplement, withItems("Bản sao giấy tờ nhà đất"))
	})
	h.at(after(vn(2025, 3, 10, 11, 5)), func() { paused = h.state() })
	h.at(after(vn(2025, 3, 12, 10, 0)), func() {
		h.update("supplement", UpdateSupplement, SupplementRequest{Actor: h.applicant(),
			Components: []dossier.ComponentRef{{ID: "to_khai", SHA256: strings.Repeat("cd", 32)}}})
	})
	h.at(after(vn(2025, 3, 12, 10, 5)), func() {
		resumed = h.state()
		before = len(resumed.Timeline)
		h.act("tham_dinh", OutcomeSupplement, withItems("Ảnh chụp hiện trạng"))
	})
	h.at(after(vn(2025, 3, 12, 10, 10)), func() { afterSecond = h.state() })
	h.at(after(vn(2025, 3, 12, 11, 0)), func() { h.act("tham_dinh", "approve") })
	h.at(after(vn(2025, 3, 12, 13, 0)), func() { h.act("ky", "signed") })
	s := h.run()

	require.Equal(t, dossier.StatusSupplement, paused.Status)
	require.True(t, paused.Paused)
	require.Equal(t, vn(2025, 3, 13, 17, 0), paused.AppointmentAt.In(dossier.Vietnam), "received Mon 09:00: Tue, Wed, Thu")
	require.Equal(t, "supplement", paused.OpenTasks[0].Kind)
	require.Equal(t, dossier.RoleApplicant, paused.OpenTasks[0].Role)

	// Paused Mon 11:00 to Wed 10:00: Mon 11:00-11:30 and 13:00-17:00 (4.5 h),
	// Tue 8 h, Wed 07:30-10:00 (2.5 h) = 15 working hours. Thu 17:00 + 15 h:
	// Fri 8 h, then Mon 17 Mar 07:30-11:30 and 13:00-16:00 = Mon 16:00.
	require.Equal(t, dossier.StatusProcessing, resumed.Status)
	require.False(t, resumed.Paused)
	require.Equal(t, 15*time.Hour, resumed.PausedTotal)
	require.Equal(t, vn(2025, 3, 17, 16, 0), resumed.AppointmentAt.In(dossier.Vietnam))
	require.Equal(t, 1, resumed.Supplements)

	require.Contains(t, h.rejected["tham_dinh:supplement"].Error(),
		"procedure 1.000001 allows 1 supplement request(s) per dossier during processing, and dossier 000.00.01.H22-250310-0001 has had 1")
	require.Len(t, afterSecond.Timeline, before, "a rejected action writes nothing")

	require.Equal(t, dossier.StatusReturned, s.Status)
	require.Equal(t, dossier.Early, s.Timeliness)
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
}

// The applicant who does not supplement in time has the dossier stopped.
func TestSupplementDeadlineStopsProcessing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeSupplement, withItems("Tờ khai chưa ký")) })
	s := h.run()
	require.Equal(t, dossier.StatusStopped, s.Status)
	// Asked Mon 10 Mar 09:00; 15 working days (Civil Code counting) end Mon 31 Mar 17:00.
	last := s.Timeline[len(s.Timeline)-1]
	require.Equal(t, dossier.EventStopped, last.Kind)
	require.Equal(t, "Quá hạn bổ sung hồ sơ", last.Note)
	require.Equal(t, vn(2025, 3, 31, 17, 0), last.At.In(dossier.Vietnam))
	require.Zero(t, s.Supplements, "a request at reception is not a processing supplement")
}

func TestRefusalAtReception(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeRefuse, func(r *ActRequest) { r.Note = "" }) })
	h.at(2*time.Hour, func() {
		h.act("tiep_nhan", OutcomeRefuse, func(r *ActRequest) { r.Note = "Thủ tục không thuộc thẩm quyền" })
	})
	s := h.run()
	require.EqualError(t, h.rejected["tiep_nhan:refuse"], "a refusal must give its reasons (note)")
	require.Equal(t, dossier.StatusRefused, s.Status)
	require.Nil(t, s.Result)
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "Phiếu từ chối tiếp nhận giải quyết hồ sơ")
	require.Equal(t, dossier.StatusRefused, h.rec.portal[len(h.rec.portal)-1].Status)
}

func TestRefusalAfterReview(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(90*time.Minute, func() { h.pay() })
	h.at(2*time.Hour, func() {
		h.act("tham_dinh", "refuse", func(r *ActRequest) { r.Note = "Không đủ điều kiện" })
	})
	s := h.run()
	require.Equal(t, dossier.StatusReturned, s.Status)
	require.NotNil(t, s.Result)
	require.True(t, s.Result.Refusal)
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "Thông báo từ chối giải quyết hồ sơ")
}

// Withdrawal: the request sets status 7; the dossier stops (8) when the
// one-stop officer issues the stop notice.
func TestWithdrawal(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	var withdrawing dossier.State
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(90*time.Minute, func() { h.pay() })
	h.at(3*time.Hour, func() {
		h.update("withdraw-stranger", UpdateWithdraw, WithdrawRequest{Actor: dossier.Actor{ID: "someone-else"}, Reason: "x"})
		h.update("withdraw", UpdateWithdraw, WithdrawRequest{Actor: h.applicant(), Reason: "Không còn nhu cầu"})
	})
	h.at(4*time.Hour, func() {
		withdrawing = h.state()
		h.act("tiep_nhan", OutcomeStop)
	})
	s := h.run()
	require.EqualError(t, h.rejected["withdraw-stranger"], "only the applicant of dossier 000.00.01.H22-250310-0001 may do this")
	require.Equal(t, dossier.StatusWithdrawing, withdrawing.Status)
	require.Len(t, withdrawing.OpenTasks, 2, "the review goes on until the stop notice")
	require.Equal(t, dossier.StatusStopped, s.Status)
	require.Empty(t, s.OpenTasks)
	kinds := eventKinds(s)
	require.Contains(t, kinds, dossier.EventWithdrawRequested)
	require.Equal(t, dossier.EventStopped, kinds[len(kinds)-1])
}

// An officer who lets a step pass its due time gets a warning one working
// day before, then the leader hears of the overdue step; the dossier's own
// appointment is watched the same way.
func TestWarningAndEscalation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 10, 9, 30)), func() { h.pay() })
	h.at(after(vn(2025, 3, 14, 9, 0)), func() { h.act("tham_dinh", "approve") })
	h.at(after(vn(2025, 3, 14, 10, 0)), func() { h.act("ky", "signed") })
	s := h.run()

	type mark struct {
		kind, step string
		at         time.Time
	}
	var marks []mark
	for _, e := range s.Timeline {
		if e.Kind == dossier.EventWarning || e.Kind == dossier.EventOverdue {
			marks = append(marks, mark{e.Kind, e.Step, e.At.In(dossier.Vietnam)})
		}
	}
	// tham_dinh opened Mon 09:30 with 1 working day: due Tue 17:00, warned
	// Mon 17:00. The appointment is Thu 17:00, warned Wed 17:00.
	require.Equal(t, []mark{
		{dossier.EventWarning, "tham_dinh", vn(2025, 3, 10, 17, 0)},
		{dossier.EventOverdue, "tham_dinh", vn(2025, 3, 11, 17, 0)},
		{dossier.EventWarning, "", vn(2025, 3, 12, 17, 0)},
		{dossier.EventOverdue, "", vn(2025, 3, 13, 17, 0)},
	}, marks)
	require.Contains(t, h.rec.notesTo("lanh_dao"), "Hồ sơ 000.00.01.H22-250310-0001 đã quá hạn")
	require.Contains(t, h.rec.notesTo("chuyen_vien"), "Hồ sơ 000.00.01.H22-250310-0001 sắp đến hạn")
	var acted dossier.Event
	for _, e := range s.Timeline {
		if e.Kind == dossier.EventActed && e.Step == "tham_dinh" {
			acted = e
		}
	}
	require.Equal(t, dossier.Late, acted.Timeliness)
	require.Equal(t, dossier.Late, s.Timeliness)
}

// One extension, sent at least a working day ahead, with the original date
// kept; the dossier still counts as late.
func TestExtension(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	leader := func() dossier.Actor { return h.officer("lanh_dao") }
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 10, 9, 30)), func() { h.pay() })
	h.at(after(vn(2025, 3, 11, 9, 0)), func() {
		h.update("extend-early", UpdateExtend, ExtendRequest{Actor: leader(), NewAppointment: vn(2025, 3, 12, 17, 0), Reason: "x"})
		h.update("extend", UpdateExtend, ExtendRequest{Actor: leader(), NewAppointment: vn(2025, 3, 20, 17, 0), Reason: "Chờ xác minh"})
	})
	h.at(after(vn(2025, 3, 11, 10, 0)), func() {
		h.update("extend-again", UpdateExtend, ExtendRequest{Actor: leader(), NewAppointment: vn(2025, 3, 25, 17, 0), Reason: "x"})
	})
	h.at(after(vn(2025, 3, 11, 11, 0)), func() { h.act("tham_dinh", "approve") })
	h.at(after(vn(2025, 3, 11, 13, 0)), func() { h.act("ky", "signed") })
	s := h.run()
	require.EqualError(t, h.rejected["extend-early"], "the new appointment 17:00 12/03/2025 must be after the current one, 17:00 13/03/2025")
	require.EqualError(t, h.rejected["extend-again"], "dossier 000.00.01.H22-250310-0001 was already extended once, to 17:00 20/03/2025")
	require.True(t, s.Extended)
	require.Equal(t, vn(2025, 3, 13, 17, 0), s.OriginalAppointmentAt.In(dossier.Vietnam))
	require.Equal(t, vn(2025, 3, 20, 17, 0), s.AppointmentAt.In(dossier.Vietnam))
	require.Equal(t, dossier.Late, s.Timeliness, "an extended dossier counts as late")
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "Văn bản xin lỗi và hẹn lại ngày trả kết quả")
}

// An extension after the warning time is too late.
func TestExtensionTooLate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 10, 9, 30)), func() { h.pay() })
	h.at(after(vn(2025, 3, 13, 9, 0)), func() {
		h.update("extend", UpdateExtend, ExtendRequest{Actor: h.officer("lanh_dao"), NewAppointment: vn(2025, 3, 20, 17, 0), Reason: "x"})
	})
	h.at(after(vn(2025, 3, 13, 10, 0)), func() { h.act("tham_dinh", "approve") })
	h.at(after(vn(2025, 3, 13, 11, 0)), func() { h.act("ky", "signed") })
	s := h.run()
	require.EqualError(t, h.rejected["extend"], "an extension must be sent at least one working day before the appointment, by 17:00 12/03/2025")
	require.False(t, s.Extended)
}

// Unpaid fees stop the dossier at the pay step's time-out.
func TestPaymentTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	var awaiting dossier.State
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 10, 10, 0)), func() {
		awaiting = h.state()
		h.update("pay-wrong", UpdatePay, PayRequest{Reference: "PAY-" + h.in.Code, Amount: 1000, Online: true})
	})
	s := h.run()
	require.Equal(t, dossier.StatusAwaitingFee, awaiting.Status)
	require.Equal(t, int64(50000), awaiting.FeesDue)
	require.EqualError(t, h.rejected["pay-wrong"], "payment of 1000 VND is less than the 50000 VND due")
	require.Equal(t, dossier.StatusStopped, s.Status)
	last := s.Timeline[len(s.Timeline)-1]
	require.Equal(t, "Quá hạn nộp phí, lệ phí", last.Note)
	// Requested Mon 09:00 with 5 working days: Tue..Mon, due Mon 17 Mar 17:00.
	require.Equal(t, vn(2025, 3, 17, 17, 0), last.At.In(dossier.Vietnam))
	require.Len(t, h.rec.payments, 1)
}

// Actions that must be refused, each with its message, writing nothing.
func TestRejectedActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModeFullOnline, "online")
	var before, afterAll dossier.State
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(90*time.Minute, func() { h.pay() })
	h.at(2*time.Hour, func() {
		before = h.state()
		officer := h.officer("chuyen_vien")
		h.update("wrong role", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: "approve", Actor: h.officer("mot_cua")})
		h.update("wrong agency", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: "approve",
			Actor: dossier.Actor{ID: "x", Role: "chuyen_vien", Agency: "cong_an"}})
		h.update("closed task", UpdateAct, ActRequest{Task: "tiep_nhan", Outcome: OutcomeAccept, Actor: h.officer("mot_cua")})
		h.update("unknown outcome", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: "approved", Actor: officer})
		h.update("bad payload", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: "approve", Actor: officer, Note: strings.Repeat("x", 2001)})
		h.update("no items", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: OutcomeSupplement, Actor: officer})
		h.update("no actor", UpdateAct, ActRequest{Task: "tham_dinh", Outcome: "approve", Actor: dossier.Actor{Role: "chuyen_vien", Agency: "ubnd_xa"}})
		h.update("rate early", UpdateRate, RateRequest{Actor: h.applicant(), Satisfied: true})
		h.update("pay unasked", UpdatePay, PayRequest{Reference: "x", Amount: 1})
	})
	h.at(3*time.Hour, func() {
		afterAll = h.state()
		h.act("tham_dinh", "approve")
	})
	h.at(4*time.Hour, func() { h.act("ky", "signed") })
	h.run()
	want := map[string]string{
		"wrong role":      `role "mot_cua" may not act on task "tham_dinh": it needs role "chuyen_vien"`,
		"wrong agency":    `an officer of agency "cong_an" may not act on task "tham_dinh": it belongs to agency "ubnd_xa"`,
		"closed task":     `task "tiep_nhan" is not open on dossier 000.00.01.H22-250310-0001 (open: tham_dinh)`,
		"unknown outcome": `outcome "approved" is not one of task "tham_dinh"'s: approve, refuse, supplement`,
		"bad payload":     `invalid request: note fails "max"`,
		"no items":        `a supplement request must list the missing or wrong items (items)`,
		"no actor":        `the actor has no id`,
		"rate early":      `dossier 000.00.01.H22-250310-0001 can be rated once its result is returned; it is Đang xử lý`,
		"pay unasked":     `dossier 000.00.01.H22-250310-0001 is not waiting for a payment`,
	}
	for label, msg := range want {
		require.Error(t, h.rejected[label], label)
		require.EqualError(t, h.rejected[label], msg, label)
	}
	require.Equal(t, before.Timeline, afterAll.Timeline, "rejected actions write nothing to the timeline")
}

// consultDefinition consults the police, whose answer decides the outcome.
const consultDefinition = `code: "1.000002"
name: Thủ tục liên thông mẫu
sector: Tư pháp
level: province
agency: so_tp
version: "1"
effective_from: 2025-01-01
modes:
  full_online:
    channels: [online]
    delivery: [e_result]
time_limit: { working_days: 10 }
result: { kind: document, name: Phiếu }
agencies:
  - { id: so_tp, name: Sở Tư pháp }
  - { id: cong_an, name: Công an tỉnh }
roles:
  - { id: mot_cua, name: Một cửa, agency: so_tp }
  - { id: lanh_dao, name: Lãnh đạo, agency: so_tp }
  - { id: can_bo_ca, name: Cán bộ công an, agency: cong_an }
components:
  - { id: to_khai, name: Tờ khai }
steps:
  - { id: tiep_nhan, kind: reception, role: mot_cua, within: { working_hours: 4 } }
  - id: hoi_cong_an
    kind: consult
    agency: cong_an
    role: can_bo_ca
    within: { working_days: 5 }
    request: Xác minh nhân thân
    outcomes: { co_thong_tin: ky, tu_choi: refused }
  - { id: ky, kind: sign, role: lanh_dao, within: { working_days: 1 } }
  - { id: tra, kind: return, role: mot_cua }
`

// The other agency answers from its own task, on its own clock; its
// answer (and its timeliness) comes back to the lead agency.
func TestConsultation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, consultDefinition), definitions.ModeFullOnline, "online")
	child := h.in.Code + "/hoi_cong_an"
	var childState dossier.State
	h.at(after(vn(2025, 3, 10, 9, 0)), func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(after(vn(2025, 3, 12, 9, 0)), func() {
		v, err := h.env.QueryWorkflowByID(child, QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&childState))
		task := childState.OpenTasks[0]
		h.updateByID("wrong agency officer", child, UpdateAct, ActRequest{Task: task.ID, Outcome: "co_thong_tin", Actor: h.officer("mot_cua")})
		h.updateByID("answer", child, UpdateAct, ActRequest{Task: task.ID, Outcome: "co_thong_tin", Actor: h.officer("can_bo_ca"), Note: "Không có án tích"})
	})
	h.at(after(vn(2025, 3, 12, 10, 0)), func() { h.act("ky", "signed") })
	s := h.run()
	require.Len(t, childState.OpenTasks, 1)
	require.Equal(t, "cong_an", childState.OpenTasks[0].Agency)
	// Sent Mon 09:00 with 5 working days: due Mon 17 Mar 17:00.
	require.Equal(t, vn(2025, 3, 17, 17, 0), childState.OpenTasks[0].DueAt.In(dossier.Vietnam))
	require.EqualError(t, h.rejected["wrong agency officer"], `role "mot_cua" may not act on task "hoi_cong_an": it needs role "can_bo_ca"`)
	var answered dossier.Event
	for _, e := range s.Timeline {
		if e.Kind == dossier.EventConsultAnswered {
			answered = e
		}
	}
	require.Equal(t, "co_thong_tin", answered.Outcome)
	require.Equal(t, dossier.Early, answered.Timeliness)
	require.Equal(t, "cong_an", answered.Actor.Agency)
	require.Equal(t, dossier.StatusReturned, s.Status)
	var childProjected bool
	for _, p := range h.rec.projections {
		childProjected = childProjected || (p.WorkflowID == child && p.Code == h.in.Code && p.Snapshot == nil)
	}
	require.True(t, childProjected, "the consultation projects its own tasks under the dossier code")
}

// parallelDefinition runs two branches; either may refuse.
const parallelDefinition = `code: "1.000003"
name: Thủ tục song song mẫu
sector: Tư pháp
level: commune
agency: ubnd_xa
version: "1"
effective_from: 2025-01-01
modes:
  full_online: { channels: [online], delivery: [e_result] }
time_limit: { working_days: 5 }
result: { kind: document, name: Giấy }
agencies:
  - { id: ubnd_xa, name: UBND xã }
roles:
  - { id: mot_cua, name: Một cửa, agency: ubnd_xa }
  - { id: dia_chinh, name: Địa chính, agency: ubnd_xa }
  - { id: tu_phap, name: Tư pháp, agency: ubnd_xa }
  - { id: lanh_dao, name: Lãnh đạo, agency: ubnd_xa }
components:
  - { id: to_khai, name: Tờ khai }
steps:
  - { id: tiep_nhan, kind: reception, role: mot_cua, within: { working_hours: 4 } }
  - id: xem_xet
    kind: parallel
    branches:
      - name: Địa chính
        steps:
          - { id: dia_chinh_xem, kind: task, role: dia_chinh, within: { working_days: 1 }, outcomes: { ok: dia_chinh_bao, khong: refused } }
          - { id: dia_chinh_bao, kind: notify, to: applicant, message: Địa chính xong }
      - name: Tư pháp
        steps:
          - { id: tu_phap_xem, kind: task, role: tu_phap, within: { working_days: 1 }, outcomes: { ok: tu_phap_bao } }
          - { id: tu_phap_bao, kind: notify, to: applicant, message: Đã xem xong }
  - { id: ky, kind: sign, role: lanh_dao, within: { working_days: 1 } }
  - { id: tra, kind: return, role: mot_cua }
`

func TestParallelJoin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, parallelDefinition), definitions.ModeFullOnline, "online")
	var both dossier.State
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(2*time.Hour, func() {
		both = h.state()
		h.act("tu_phap_xem", "ok")
	})
	h.at(3*time.Hour, func() { h.act("dia_chinh_xem", "ok") })
	h.at(4*time.Hour, func() { h.act("ky", "signed") })
	s := h.run()
	require.ElementsMatch(t, []string{"xem_xet", "dia_chinh_xem", "tu_phap_xem"}, both.CurrentSteps)
	require.Len(t, both.OpenTasks, 2)
	require.Equal(t, dossier.StatusReturned, s.Status)
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "dia_chinh_bao")
	require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "tu_phap_bao")
}

// A branch that refuses ends the dossier and closes the other branch's task.
func TestParallelBranchRefuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, parallelDefinition), definitions.ModeFullOnline, "online")
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(2*time.Hour, func() {
		h.act("dia_chinh_xem", "khong", func(r *ActRequest) { r.Note = "Đất đang tranh chấp" })
	})
	s := h.run()
	require.Equal(t, dossier.StatusReturned, s.Status)
	require.True(t, s.Result.Refusal)
	require.Empty(t, s.OpenTasks)
	for _, e := range s.Timeline {
		require.False(t, e.Kind == dossier.EventActed && e.Step == "tu_phap_xem", "the other branch never acted")
	}
}

// A decide step routes on a form field.
func TestDecideRoutesOnFormData(t *testing.T) {
	t.Parallel()
	def := strings.Replace(testDefinition, "  - id: tham_dinh\n", "  - id: chon\n    kind: decide\n    cases:\n      - { when: area > 500, next: tham_dinh }\n    otherwise: ky\n  - id: tham_dinh\n", 1)
	def = strings.Replace(def, "time_limit: { working_days: 3 }", "time_limit: { working_days: 4 }", 1)
	for _, tc := range []struct {
		area   float64
		review bool
	}{{800, true}, {120, false}} {
		h := newHarness(t, planFrom(t, def), definitions.ModeFullOnline, "online")
		h.in.Form = map[string]any{"area": tc.area}
		h.driveHappyPath()
		s := h.run()
		reviewed := false
		for _, e := range s.Timeline {
			reviewed = reviewed || (e.Kind == dossier.EventActed && e.Step == "tham_dinh")
		}
		require.Equal(t, tc.review, reviewed, "area %v", tc.area)
		require.Equal(t, dossier.StatusReturned, s.Status)
	}
}

// Partial-online with counter pick-up: status 9 until the officer confirms.
func TestCounterPickup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, planFrom(t, testDefinition), definitions.ModePartialOnline, "in_person")
	var ready dossier.State
	h.at(time.Hour, func() { h.act("tiep_nhan", OutcomeAccept) })
	h.at(90*time.Minute, func() { h.pay() })
	h.at(2*time.Hour, func() { h.act("tham_dinh", "approve") })
	h.at(3*time.Hour, func() { h.act("ky", "signed") })
	h.at(4*time.Hour, func() {
		ready = h.state()
		h.update("pickup", UpdateAct, ActRequest{Task: ready.OpenTasks[0].ID, Outcome: OutcomeReturned, Actor: h.officer("mot_cua")})
	})
	s := h.run()
	require.Equal(t, dossier.StatusProcessed, ready.Status)
	require.Equal(t, "pickup", ready.OpenTasks[0].Kind)
	require.Equal(t, dossier.StatusReturned, s.Status)
	require.Equal(t, "counter", s.Result.Delivery)
}
