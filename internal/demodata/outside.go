package demodata

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/motcua/motcua/internal/dossier"
)

// Outside the workflows: what the read model learns of a dossier from
// other systems, drawn after the dossier's history from a random stream
// of its own (so the histories do not depend on it).
//
// The national portal. The province reports about 73% of its procedures
// integrated with the national portal: the dossiers of a procedure that
// is not are never synced. In the example catalog, the land certificate
// (9.000002) and the construction permit (9.000001) are taken as not
// integrated (4 of 6 procedures, 67%; 85% of the dossiers with the
// default mix); another procedure is integrated with probability
// integratedShare, drawn once from its code. The workflow pushes a
// dossier's status when it is submitted, and the portal accepts that
// first push within minutes (syncAtOnce); sometimes only after an outage,
// hours later, as the activity retries for up to a day (syncLater); the
// rest of the time it refuses every push (data it rejects). About 84% of
// all dossiers are synced.
//
// Complaints, sent by the citizen feedback system: mostly about dossiers
// rated dissatisfied (complainDissatisfied of them, a day or so after the
// rating) or late (complainLate, a few days after the appointment
// passed), rarely otherwise (complainOther, during the handling); a few
// complain twice. About 1% of the dossiers.

// portalIntegrated says which procedures of the example catalog are
// integrated with the national portal.
var portalIntegrated = map[string]bool{
	"1.001193": true,
	"3.000333": true,
	"9.000003": true,
	"1.001612": true,
	"9.000002": false,
	"9.000001": false,
}

const (
	integratedShare      = 0.73  // a procedure portalIntegrated does not name is integrated with this probability
	syncAtOnce           = 0.975 // of the dossiers of an integrated procedure, synced within minutes
	syncLater            = 0.02  // synced after an outage, hours later
	complainDissatisfied = 0.3   // of the dossiers rated dissatisfied, complained about
	complainLate         = 0.08  // of the other late or overdue dossiers
	complainOther        = 0.002 // of the rest
	complainAgain        = 0.1   // of those complained about, a second complaint
)

// Delays, wall-clock.
const (
	syncMedian, syncSigma, syncMax             = 2 * time.Minute, 0.8, 20 * time.Minute
	syncLateMedian, syncLateSigma, syncLateMax = 4 * time.Hour, 0.8, 24 * time.Hour
	afterRatingMedian, afterRatingSigma        = 20 * time.Hour, 1.0
	afterLateMedian, afterLateSigma            = 48 * time.Hour, 0.8
	againMedian, againSigma                    = 5 * 24 * time.Hour, 0.6
	complaintMax                               = 30 * 24 * time.Hour // the longest delay of a complaint
	complaintOtherMin                          = time.Hour           // the shortest span a complaint of another dossier is drawn in
)

// integrated reports whether a procedure's dossiers reach the national
// portal.
func integrated(code string) bool {
	if v, ok := portalIntegrated[code]; ok {
		return v
	}
	h := fnv.New64a()
	h.Write([]byte(code))
	return float64(splitmix64(h.Sum64())%1000)/1000 < integratedShare
}

// outside draws a generated dossier's portal sync (when its procedure is
// integrated with the portal) and complaints, up to the cut.
func (g *generator) outside(d *Dossier, a arrival, portal bool) {
	r := rand.New(rand.NewPCG(g.seedOut, a.index))
	st := d.State()
	if portal {
		var at time.Time
		switch x := r.Float64(); {
		case x < syncAtOnce:
			at = st.ReceivedAt.Add(logNormalDur(r, syncMedian, syncSigma, syncMax))
		case x < syncAtOnce+syncLater:
			at = st.ReceivedAt.Add(logNormalDur(r, syncLateMedian, syncLateSigma, syncLateMax))
		}
		if !at.After(g.cut) {
			d.PortalSyncedAt = at.Truncate(time.Second)
		}
	}

	var first time.Time
	switch {
	case st.Rating != nil && !st.Rating.Satisfied:
		if chance(r, complainDissatisfied) {
			first = st.Rating.At.Add(logNormalDur(r, afterRatingMedian, afterRatingSigma, complaintMax))
		}
	case g.late(st):
		if chance(r, complainLate) {
			due := st.OriginalAppointmentAt
			if due.IsZero() {
				due = st.AppointmentAt
			}
			first = due.Add(logNormalDur(r, afterLateMedian, afterLateSigma, complaintMax))
		}
	default:
		if chance(r, complainOther) {
			end := st.FinishedAt
			if end.IsZero() || end.After(g.cut) {
				end = g.cut
			}
			span := max(end.Sub(st.ReceivedAt), complaintOtherMin)
			first = st.ReceivedAt.Add(time.Duration(r.Int64N(int64(span))) + time.Minute)
		}
	}
	if first.IsZero() || first.After(g.cut) {
		return
	}
	times := []time.Time{first}
	if chance(r, complainAgain) {
		if again := first.Add(logNormalDur(r, againMedian, againSigma, complaintMax)); !again.After(g.cut) {
			times = append(times, again)
		}
	}
	for i, at := range times {
		d.Complaints = append(d.Complaints, dossier.Complaint{Reference: fmt.Sprintf("PAKN-%s-%d", d.Code, i+1),
			DossierCode: d.Code, At: at.Truncate(time.Second), Content: g.complaintText(r, st, i)})
	}
}

// late reports whether a dossier passed its appointment by the cut:
// processed late, extended, or still open past it.
func (g *generator) late(st *dossier.State) bool {
	switch {
	case st.Timeliness == dossier.Late || st.Extended:
		return true
	case st.AppointmentAt.IsZero() || !st.FinishedAt.IsZero():
		return false
	}
	switch st.Status {
	case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusReturned, dossier.StatusProcessed:
		return false
	}
	return g.cut.After(st.AppointmentAt)
}

// complaintText is what the citizen writes.
func (g *generator) complaintText(r *rand.Rand, st *dossier.State, i int) string {
	switch {
	case i > 0:
		return oneOf(r, complaintsAgain)
	case g.late(st):
		return oneOf(r, complaintsLate)
	case st.Rating != nil && !st.Rating.Satisfied:
		return oneOf(r, complaintsDissatisfied)
	}
	return oneOf(r, complaintsOther)
}
