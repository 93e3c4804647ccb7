// Package indicatorstest holds the hand-computed fixture the indicators
// are tested against, shared by the tests of internal/store (the counts),
// internal/indicators (the figures) and cmd/motcua (the report command),
// and a helper that gives each test a fresh PostgreSQL schema.
//
// The fixture is a read model as the workflows project it, written through
// store.ProjectionApply: 25 dossiers received between February and April
// 2025, each named after the edge case it covers; then what comes from
// outside the workflows, through store.PortalSynced and
// store.ComplaintAdd (Syncs, Complaints). The expected figures are
// written out, with their arithmetic, in the tests that use it; the table
// below is their common ground. Times are in Vietnam (UTC+7); March 2025
// has no holiday: its working days are Monday to Friday.
//
//	code  procedure@version  channel    what happens                                             March (cut 01/04 00:00)
//	A     1.001612@2025.2    online     accepted 03/03, due 06/03, processed 05/03, rated ok      early
//	B     1.001612@2025.2    in_person  due 06/03 17:00, processed 06/03 16:00, not returned      on time
//	C     1.001612@2025.1    postal     due 07/03, processed 10/03, rated dissatisfied            late
//	D     1.001612@2025.2    online     supplement 11/03–13/03 (16 working h): due 13/03 → 17/03,
//	                                    processed 17/03 11:00                                   on time (late without the pause)
//	E     1.001612@2025.2    online     due 20/03, supplement asked 19/03, still outstanding     open within (ends at the request)
//	E2    1.001612@2025.2    in_person  due 06/03, supplement asked 07/03, still outstanding     open overdue
//	F     1.001612@2025.2    online     two supplement requests, processed before the moved date late (more than one request)
//	G     1.001612@2025.2    in_person  refused at reception 12/03 (no appointment; limit → 17/03) early, refused
//	H     1.001612@2025.2    online     never accepted, withdrawn, stopped 10/03 (limit → 06/03)  late, withdrawn
//	I     1.001612@2025.2    online     accepted, withdrawn, stopped 26/03 (due 27/03)            early, withdrawn
//	J     1.001612@2025.2    in_person  refused after review 07/03 (due 10/03)                    early, refused
//	K     1.001612@2025.2    online     extended 13/03 → 20/03, processed 19/03                   late (extension)
//	L     1.001612@2025.2    in_person  due 01/04 17:00, in processing                            open within
//	M     1.001612@2025.2    postal     due 25/03, in processing                                  open overdue
//	N     1.001612@2025.1    in_person  received 25/02 (carried over), due 28/02, processed 04/03 late
//	O     1.001612@2025.1    in_person  received and processed in February                      not in March
//	P     1.001612@2025.2    in_person  received 02/04                                            not in March
//	Q     1.001612@2025.2    online     due 02/04, processed 03/04, after the cut                 open within
//	R     1.001193@2025.1    online     same-day limit, processed 18/03 14:00, rated ok           on time
//	S     1.001193@2025.1    online     submitted 31/03 16:00, not yet checked (limit → 01/04)    open within
//	T     X.999999@1         in_person  refused at reception, procedure not in the catalog        unknown, refused
//	U     1.001612@2025.2    online     supplement asked at reception 04/03, never given;
//	                                    stopped 25/03 (limit → 07/03, ends at the request)      early, stopped
//	V     1.001612@2025.2    online     accepted, due 10/03, supplement asked 06/03, never given;
//	                                    stopped 27/03 (ends at the request)                     early, stopped
//	W     1.001612@2025.2    in_person  accepted 28/04, processed 06/05 across the 30/4–2/5 days off not in March
//	X     1.001612@2025.2    in_person  accepted 25/04, processed 28/04 across the Saturday 26/04 worked
//
// The national portal accepted a status push of every dossier a few
// minutes after its submission, except: E2 and M, never (the portal
// refused their pushes); T, never (its procedure is not integrated with the
// portal); S, submitted 31/03 16:00, only on 01/04 08:00, after the cut of
// March. A's push was recorded twice, the later one first: the earlier
// counts. N and O, received in February, are synced in February.
//
// Complaints from the citizen feedback system: two about C (12/03 and
// 14/03), already rated dissatisfied, so counted once; one about L (28/03);
// one about Q on 05/04, after the cut of March.
package indicatorstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/motcua/motcua/internal/dossier"
)

// VN is a time of 2025 in Vietnam.
func VN(month time.Month, day, hour, min int) time.Time {
	return time.Date(2025, month, day, hour, min, 0, 0, dossier.Vietnam)
}

// The periods the tests report on.
var (
	February = [2]time.Time{VN(2, 1, 0, 0), VN(3, 1, 0, 0)}
	March    = [2]time.Time{VN(3, 1, 0, 0), VN(4, 1, 0, 0)}
)

// ProjectionApplier is what the fixture's projections are written
// through: *store.Store.
type ProjectionApplier interface {
	ProjectionApply(ctx context.Context, p dossier.Projection) error
}

// Applier is what the whole fixture is written through: *store.Store
// (whose ComplaintAdd takes a store.Complaint, an alias of
// dossier.Complaint).
type Applier interface {
	ProjectionApplier
	PortalSynced(ctx context.Context, code string, at time.Time) error
	ComplaintAdd(ctx context.Context, c dossier.Complaint) (bool, error)
}

// Apply writes the fixture: its projections, then the portal's accepted
// pushes and the complaints.
func Apply(ctx context.Context, s Applier) error {
	if err := ApplyProjections(ctx, s); err != nil {
		return err
	}
	for _, y := range Syncs() {
		if err := s.PortalSynced(ctx, y.Code, y.At); err != nil {
			return err
		}
	}
	for _, c := range Complaints() {
		added, err := s.ComplaintAdd(ctx, c)
		if err != nil {
			return err
		}
		if !added {
			return fmt.Errorf("complaint %s was already recorded", c.Reference)
		}
	}
	return nil
}

// ApplyProjections writes the fixture's projections only: the part of the
// read model that replaying the projections rebuilds.
func ApplyProjections(ctx context.Context, s ProjectionApplier) error {
	for _, p := range Projections() {
		if err := s.ProjectionApply(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// Sync is a status push of a dossier the national portal accepted.
type Sync struct {
	Code string
	At   time.Time
}

// Syncs returns the accepted pushes of the fixture, in the order they are
// recorded (see the package documentation).
func Syncs() []Sync {
	at := map[string]time.Time{
		"B": VN(3, 3, 10, 2), "C": VN(3, 4, 8, 3), "D": VN(3, 10, 7, 47), "E": VN(3, 17, 8, 2),
		"F": VN(3, 11, 8, 31), "G": VN(3, 12, 8, 1), "H": VN(3, 3, 9, 2), "I": VN(3, 24, 8, 33), "J": VN(3, 5, 8, 31),
		"K": VN(3, 10, 8, 32), "L": VN(3, 27, 8, 31), "N": VN(2, 25, 9, 2), "O": VN(2, 10, 9, 1), "P": VN(4, 2, 9, 1),
		"Q": VN(3, 28, 8, 31), "R": VN(3, 18, 8, 1), "S": VN(4, 1, 8, 0), "U": VN(3, 4, 8, 2), "V": VN(3, 5, 8, 1),
		"W": VN(4, 28, 8, 1), "X": VN(4, 25, 8, 1),
	}
	// A: a later push recorded before the first one.
	out := []Sync{{"A", VN(3, 5, 10, 1)}, {"A", VN(3, 3, 8, 32)}}
	for _, s := range specs() {
		if t, ok := at[s.code]; ok {
			out = append(out, Sync{s.code, t})
		}
	}
	return out
}

// Complaints returns the complaints of the fixture (see the package
// documentation).
func Complaints() []dossier.Complaint {
	return []dossier.Complaint{
		{Reference: "PAKN-2025-0101", DossierCode: "C", At: VN(3, 12, 10, 0),
			Content: "Trả kết quả chậm hơn ngày hẹn mà không được thông báo trước."},
		{Reference: "PAKN-2025-0117", DossierCode: "C", At: VN(3, 14, 9, 0),
			Content: "Đã phản ánh ngày 12/03 nhưng chưa được trả lời."},
		{Reference: "PAKN-2025-0163", DossierCode: "L", At: VN(3, 28, 15, 0),
			Content: "Cán bộ yêu cầu nộp bản sao giấy tờ đã có trong cơ sở dữ liệu."},
		{Reference: "PAKN-2025-0208", DossierCode: "Q", At: VN(4, 5, 9, 0),
			Content: "Phải chờ lâu khi nhận kết quả tại bộ phận một cửa."},
	}
}

// spec is one dossier of the fixture.
type spec struct {
	code, procedure, version, agency, mode, channel string
	status                                          dossier.Status
	received, accepted, appointment, original       time.Time
	extended                                        bool
	pausedSince                                     time.Time // paused when set
	pausedSeconds                                   int64
	supplements                                     int
	feesDue                                         int64
	paidOnline                                      bool
	finished, returned                              time.Time
	refusal                                         bool
	document, hasFee, eResult, digitised            bool
	reused                                          int
	satisfied                                       *bool
	ratedAt                                         time.Time
	events                                          []dossier.Event // beside submitted and received
}

var (
	yes = true
	no  = false
)

// officer acts on a step, closing a task due at due.
func officer(step string, at, due time.Time, t dossier.Timeliness) dossier.Event {
	return dossier.Event{Kind: dossier.EventActed, Step: step, At: at, DueAt: due, Timeliness: t, Outcome: "approve",
		Actor: dossier.Actor{ID: "cb-" + step, Role: "chuyen_vien", Agency: "phong_kinh_te"}}
}

func ev(kind string, at time.Time) dossier.Event { return dossier.Event{Kind: kind, At: at} }

// kinhTe is a dossier of 1.001612 (business household registration: 3
// working days, a fee, a document result) at phong_kinh_te.
func kinhTe(code, version, mode, channel string) spec {
	return spec{code: code, procedure: "1.001612", version: version, agency: "phong_kinh_te", mode: mode, channel: channel,
		document: true, hasFee: true}
}

func specs() []spec {
	var out []spec
	add := func(s spec, f func(s *spec)) {
		f(&s)
		out = append(out, s)
	}
	add(kinhTe("A", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(3, 3, 8, 30), VN(3, 3, 9, 0), VN(3, 6, 17, 0)
		s.finished, s.returned = VN(3, 5, 10, 0), VN(3, 5, 11, 0)
		s.feesDue, s.paidOnline, s.eResult, s.digitised, s.reused = 50000, true, true, true, 1
		s.satisfied, s.ratedAt = &yes, VN(3, 6, 8, 0)
		s.events = []dossier.Event{
			officer("tham_dinh", VN(3, 4, 10, 0), VN(3, 5, 17, 0), dossier.Early),
			officer("phe_duyet", VN(3, 5, 9, 0), VN(3, 5, 17, 0), dossier.OnTime),
		}
	})
	add(kinhTe("B", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusProcessed, VN(3, 3, 10, 0), VN(3, 3, 10, 0), VN(3, 6, 17, 0)
		s.finished, s.feesDue, s.digitised = VN(3, 6, 16, 0), 100000, true
	})
	add(kinhTe("C", "2025.1", "partial_online", dossier.ChannelPostal), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(3, 4, 8, 0), VN(3, 4, 9, 0), VN(3, 7, 17, 0)
		s.finished, s.returned, s.feesDue = VN(3, 10, 9, 0), VN(3, 10, 15, 0), 100000
		s.satisfied, s.ratedAt = &no, VN(3, 11, 9, 0)
		s.events = []dossier.Event{officer("tham_dinh", VN(3, 10, 8, 0), VN(3, 6, 17, 0), dossier.Late)}
	})
	add(kinhTe("D", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted = dossier.StatusReturned, VN(3, 10, 7, 45), VN(3, 10, 8, 0)
		// Due 13/03 17:00, moved by the 16 working hours of the pause.
		s.appointment, s.supplements, s.pausedSeconds = VN(3, 17, 17, 0), 1, 16*3600
		s.finished, s.returned = VN(3, 17, 11, 0), VN(3, 17, 11, 30)
		s.feesDue, s.paidOnline, s.eResult, s.digitised = 50000, true, true, true
		s.events = []dossier.Event{
			ev(dossier.EventSupplementAsked, VN(3, 11, 8, 0)),
			{Kind: dossier.EventSupplemented, At: VN(3, 13, 8, 0), DueAt: VN(4, 1, 17, 0), Timeliness: dossier.Early},
			{Kind: dossier.EventPaid, At: VN(3, 14, 8, 0), DueAt: VN(3, 14, 17, 0), Timeliness: dossier.OnTime},
		}
	})
	add(kinhTe("E", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusSupplement, VN(3, 17, 8, 0), VN(3, 17, 9, 0), VN(3, 20, 17, 0)
		s.pausedSince, s.supplements, s.digitised = VN(3, 19, 10, 0), 1, true
		s.events = []dossier.Event{ev(dossier.EventSupplementAsked, VN(3, 19, 10, 0))}
	})
	add(kinhTe("E2", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusSupplement, VN(3, 3, 8, 0), VN(3, 3, 9, 0), VN(3, 6, 17, 0)
		s.pausedSince, s.supplements = VN(3, 7, 9, 0), 1
		s.events = []dossier.Event{ev(dossier.EventSupplementAsked, VN(3, 7, 9, 0))}
	})
	add(kinhTe("F", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted = dossier.StatusReturned, VN(3, 11, 8, 30), VN(3, 11, 9, 0)
		// Due 14/03 17:00, moved by two pauses of 8 working hours each.
		s.appointment, s.supplements, s.pausedSeconds = VN(3, 18, 17, 0), 2, 16*3600
		s.finished, s.returned = VN(3, 18, 10, 0), VN(3, 18, 10, 30)
		s.feesDue, s.paidOnline, s.eResult, s.digitised = 50000, true, true, true
		s.events = []dossier.Event{
			ev(dossier.EventSupplementAsked, VN(3, 12, 9, 0)), ev(dossier.EventSupplemented, VN(3, 13, 9, 0)),
			ev(dossier.EventSupplementAsked, VN(3, 14, 9, 0)), ev(dossier.EventSupplemented, VN(3, 17, 9, 0)),
		}
	})
	add(kinhTe("G", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received = dossier.StatusRefused, VN(3, 12, 8, 0)
		s.events = []dossier.Event{ev(dossier.EventRefused, VN(3, 12, 10, 0))}
	})
	add(kinhTe("H", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.finished = dossier.StatusStopped, VN(3, 3, 9, 0), VN(3, 10, 9, 0)
		s.events = []dossier.Event{ev(dossier.EventWithdrawRequested, VN(3, 7, 9, 0)), ev(dossier.EventStopped, VN(3, 10, 9, 0))}
	})
	add(kinhTe("I", "2025.2", "partial_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusStopped, VN(3, 24, 8, 30), VN(3, 24, 9, 0), VN(3, 27, 17, 0)
		s.finished = VN(3, 26, 10, 0)
		s.events = []dossier.Event{ev(dossier.EventWithdrawRequested, VN(3, 25, 9, 0)), ev(dossier.EventStopped, VN(3, 26, 10, 0))}
	})
	add(kinhTe("J", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(3, 5, 8, 30), VN(3, 5, 9, 0), VN(3, 10, 17, 0)
		s.finished, s.returned, s.refusal, s.digitised = VN(3, 7, 14, 0), VN(3, 7, 14, 30), true, true
		s.events = []dossier.Event{ev(dossier.EventRefused, VN(3, 7, 14, 30))}
	})
	add(kinhTe("K", "2025.2", "full_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted = dossier.StatusReturned, VN(3, 10, 8, 30), VN(3, 10, 9, 0)
		s.original, s.appointment, s.extended = VN(3, 13, 17, 0), VN(3, 20, 17, 0), true
		s.finished, s.returned = VN(3, 19, 10, 0), VN(3, 19, 10, 30)
		s.feesDue, s.paidOnline, s.eResult = 50000, true, true
		s.events = []dossier.Event{ev(dossier.EventExtended, VN(3, 12, 9, 0))}
	})
	add(kinhTe("L", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusProcessing, VN(3, 27, 8, 30), VN(3, 27, 9, 0), VN(4, 1, 17, 0)
	})
	add(kinhTe("M", "2025.2", "partial_online", dossier.ChannelPostal), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusProcessing, VN(3, 20, 8, 30), VN(3, 20, 9, 0), VN(3, 25, 17, 0)
	})
	add(kinhTe("N", "2025.1", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(2, 25, 9, 0), VN(2, 25, 10, 0), VN(2, 28, 17, 0)
		s.finished, s.returned, s.feesDue = VN(3, 4, 10, 0), VN(3, 4, 11, 0), 100000
		s.events = []dossier.Event{
			officer("tiep_nhan", VN(2, 25, 10, 0), VN(2, 25, 17, 0), dossier.OnTime),
			officer("phe_duyet", VN(3, 4, 9, 0), VN(2, 28, 17, 0), dossier.Late),
		}
	})
	add(kinhTe("O", "2025.1", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(2, 10, 9, 0), VN(2, 10, 9, 30), VN(2, 13, 17, 0)
		s.finished, s.returned, s.feesDue = VN(2, 12, 10, 0), VN(2, 12, 11, 0), 100000
		s.events = []dossier.Event{officer("tham_dinh", VN(2, 11, 10, 0), VN(2, 12, 17, 0), dossier.Early)}
	})
	add(kinhTe("P", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusProcessing, VN(4, 2, 9, 0), VN(4, 2, 9, 30), VN(4, 8, 17, 0)
		s.events = []dossier.Event{officer("tiep_nhan", VN(4, 2, 9, 30), VN(4, 2, 17, 0), dossier.OnTime)}
	})
	add(kinhTe("Q", "2025.2", "partial_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(3, 28, 8, 30), VN(3, 28, 9, 0), VN(4, 2, 17, 0)
		s.finished, s.returned, s.feesDue, s.digitised = VN(4, 3, 10, 0), VN(4, 3, 11, 0), 100000, true
	})
	add(spec{code: "R", procedure: "1.001193", version: "2025.1", agency: "ubnd_xa", mode: "full_online", channel: dossier.ChannelOnline,
		document: true}, func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(3, 18, 8, 0), VN(3, 18, 8, 30), VN(3, 18, 17, 0)
		s.finished, s.returned, s.eResult, s.digitised, s.reused = VN(3, 18, 14, 0), VN(3, 18, 14, 5), true, true, 2
		s.satisfied, s.ratedAt = &yes, VN(3, 19, 8, 0)
		s.events = []dossier.Event{officer("tiep_nhan", VN(3, 18, 8, 30), time.Time{}, dossier.OnTime)}
	})
	add(spec{code: "S", procedure: "1.001193", version: "2025.1", agency: "ubnd_xa", mode: "full_online", channel: dossier.ChannelOnline,
		document: true}, func(s *spec) {
		s.status, s.received = dossier.StatusNew, VN(3, 31, 16, 0)
	})
	add(spec{code: "T", procedure: "X.999999", version: "1", agency: "so_cu", mode: "partial_online", channel: dossier.ChannelInPerson},
		func(s *spec) {
			s.status, s.received = dossier.StatusRefused, VN(3, 14, 9, 0)
			s.events = []dossier.Event{ev(dossier.EventRefused, VN(3, 14, 10, 0))}
		})
	add(kinhTe("U", "2025.2", "partial_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.finished = dossier.StatusStopped, VN(3, 4, 8, 0), VN(3, 25, 17, 0)
		s.events = []dossier.Event{ev(dossier.EventSupplementAsked, VN(3, 4, 10, 0)), ev(dossier.EventStopped, VN(3, 25, 17, 0))}
	})
	add(kinhTe("V", "2025.2", "partial_online", dossier.ChannelOnline), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusStopped, VN(3, 5, 8, 0), VN(3, 5, 9, 0), VN(3, 10, 17, 0)
		s.pausedSince, s.supplements, s.finished = VN(3, 6, 9, 0), 1, VN(3, 27, 17, 0)
		s.events = []dossier.Event{ev(dossier.EventSupplementAsked, VN(3, 6, 9, 0)), ev(dossier.EventStopped, VN(3, 27, 17, 0))}
	})
	// Around the days off of 30/04, 01/05 and 02/05/2025 (swapped with
	// Saturday 26/04, worked): W takes 3 working days (29/04, 05/05,
	// 06/05), X 2 (Saturday 26/04, 28/04).
	add(kinhTe("W", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(4, 28, 8, 0), VN(4, 28, 9, 0), VN(5, 6, 17, 0)
		s.finished, s.returned = VN(5, 6, 10, 0), VN(5, 6, 11, 0)
	})
	add(kinhTe("X", "2025.2", "partial_online", dossier.ChannelInPerson), func(s *spec) {
		s.status, s.received, s.accepted, s.appointment = dossier.StatusReturned, VN(4, 25, 8, 0), VN(4, 25, 9, 0), VN(4, 29, 17, 0)
		s.finished, s.returned = VN(4, 28, 16, 0), VN(4, 28, 17, 0)
	})
	return out
}

// Projections returns the fixture's projections: one per dossier, and one
// for the consultation child of K, whose officer answered early.
func Projections() []dossier.Projection {
	var out []dossier.Projection
	for _, s := range specs() {
		events := []dossier.Event{{Kind: dossier.EventSubmitted, At: s.received, Note: s.channel,
			Actor: dossier.Actor{ID: "cd-" + s.code, Role: dossier.RoleApplicant}}}
		if !s.accepted.IsZero() {
			events = append(events, dossier.Event{Kind: dossier.EventReceived, At: s.accepted, DueAt: s.appointment})
		}
		events = append(events, s.events...)
		for i := range events {
			events[i].Seq = i + 1
			if events[i].Status == 0 {
				events[i].Status = s.status
			}
		}
		st := &dossier.State{
			Code: s.code, ProcedureCode: s.procedure, PlanHash: "hash-" + s.procedure + "@" + s.version,
			Mode: s.mode, Channel: s.channel, Agency: s.agency,
			Applicant: dossier.Applicant{ID: "cd-" + s.code, Name: "Công dân " + s.code},
			Status:    s.status, ReceivedAt: s.received, AcceptedAt: s.accepted, AppointmentAt: s.appointment,
			OriginalAppointmentAt: s.original, Extended: s.extended, CurrentSteps: []string{},
			Paused: !s.pausedSince.IsZero(), PausedSince: s.pausedSince, PausedTotal: time.Duration(s.pausedSeconds) * time.Second,
			Supplements: s.supplements, FeesDue: s.feesDue, PaidOnline: s.paidOnline,
			FinishedAt: s.finished, ReturnedAt: s.returned,
		}
		if !s.finished.IsZero() && (s.status == dossier.StatusProcessed || s.status == dossier.StatusReturned) {
			st.Result = &dossier.Result{Code: s.code + "-KQ1", Kind: "document", Name: "Kết quả", Refusal: s.refusal}
		}
		if s.satisfied != nil {
			st.Rating = &dossier.Rating{Satisfied: *s.satisfied, At: s.ratedAt}
		}
		out = append(out, dossier.Projection{
			WorkflowID: s.code, Code: s.code, Seq: len(events), Snapshot: st, Events: events,
			Facts: dossier.Facts{ProcedureVersion: s.version, ResultIsDocument: s.document, HasFee: s.hasFee,
				EResult: s.eResult, Digitised: s.digitised, ReusedComponents: s.reused},
		})
	}
	// K consulted another agency, whose officer answered early.
	out = append(out, dossier.Projection{WorkflowID: "K/xac_minh", Code: "K", Seq: 2, Events: []dossier.Event{
		{Seq: 1, Kind: dossier.EventTaskOpened, Step: "xac_minh", At: VN(3, 11, 9, 0), DueAt: VN(3, 14, 17, 0), Status: dossier.StatusProcessing},
		{Seq: 2, Kind: dossier.EventActed, Step: "xac_minh", At: VN(3, 12, 10, 0), DueAt: VN(3, 14, 17, 0), Timeliness: dossier.Early,
			Status: dossier.StatusProcessing, Actor: dossier.Actor{ID: "cb-ca", Role: "cong_an", Agency: "cong_an_xa"}},
	}})
	return out
}

// PostgresDSN returns the DSN of a fresh schema of the database named by
// MOTCUA_TEST_POSTGRES, dropped when the test ends, and skips the test when
// the variable is unset.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("MOTCUA_TEST_POSTGRES")
	if dsn == "" {
		tb.Skip("MOTCUA_TEST_POSTGRES is unset (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "motcua_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Error(fmt.Errorf("dropping test schema %s: %w", schema, err))
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
