package demodata

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// DefaultMix is the share of each example procedure among the dossiers, in
// relative weights: birth registration is the most common procedure of a
// commune, the judicial record certificate next, construction permits
// rare. A procedure of the catalog missing here weighs DefaultWeight.
var DefaultMix = map[string]float64{
	"1.001193": 36, // Đăng ký khai sinh
	"3.000333": 22, // Cấp Phiếu lý lịch tư pháp
	"9.000003": 15, // Liên thông khai sinh, thường trú, BHYT
	"1.001612": 12, // Đăng ký thành lập hộ kinh doanh
	"9.000002": 12, // Cấp Giấy chứng nhận lần đầu
	"9.000001": 3,  // Cấp giấy phép xây dựng nhà ở riêng lẻ
}

// DefaultWeight is the weight of a procedure DefaultMix does not name.
const DefaultWeight = 5

// lateRates is the share of dossiers of a procedure that pass their
// appointment (before any extension): land and construction are late most
// often, birth registration almost never. Other procedures: defaultLate.
var lateRates = map[string]float64{
	"1.001193": 0.008,
	"3.000333": 0.02,
	"9.000003": 0.015,
	"1.001612": 0.015,
	"9.000002": 0.04,
	"9.000001": 0.035,
}

const defaultLate = 0.02

// Shares of modes, channels and deliveries. With the default mix about 90%
// of the dossiers arrive online (the province reports over 90%).
const (
	// fullOnlineShare of the dossiers of a procedure that offers both modes
	// are submitted full-online.
	fullOnlineShare = 0.83
	// offHoursOnline is the share of online submissions sent outside office
	// hours on a working day.
	offHoursOnline = 0.2
	// weekendWeight is how many dossiers a day off receives (online only)
	// against a working day.
	weekendWeight = 0.06
)

// channelWeights of the partial-online mode, for a procedure that also
// offers full-online (most online users then take full-online) and for one
// that does not.
var (
	partialChannels     = map[string]float64{dossier.ChannelOnline: 0.45, dossier.ChannelInPerson: 0.45, dossier.ChannelPostal: 0.10}
	partialOnlyChannels = map[string]float64{dossier.ChannelOnline: 0.75, dossier.ChannelInPerson: 0.21, dossier.ChannelPostal: 0.04}
	deliveryWeights     = map[string]map[string]float64{
		definitions.ModeFullOnline:    {"e_result": 0.85, "postal": 0.15},
		definitions.ModePartialOnline: {"counter": 0.75, "postal": 0.25},
	}
)

// Reception and processing outcomes.
const (
	receptionSupplement      = 0.08  // first check at reception: incomplete
	receptionRefuse          = 0.02  // first check at reception: refused
	receptionSupplementAgain = 0.05  // a second request at reception, after a supplement
	supplementGiven          = 0.93  // the applicant supplements in time (else processing stops)
	processingSupplement     = 0.025 // a review step asks for a supplement (when the procedure allows one more)
	stepRefuse               = 0.012 // a task step refuses (when it can)
	consultRefuse            = 0.03  // a consultation answers with an outcome that refuses
	otherOutcomes            = 0.15  // a step with several outcomes takes one other than the first
	feesPaid                 = 0.985 // the applicant pays before the time-out
	withdrawRate             = 0.004 // the applicant withdraws the dossier
	extendShare              = 0.45  // of the late dossiers, those extended with an apology
	ratedShare               = 0.6   // of the returned dossiers, those rated
	satisfiedShare           = 0.96  // of the ratings of dossiers on time, those satisfied
	satisfiedLateShare       = 0.7   // of the ratings of late dossiers, those satisfied
	paidOnlineInPerson       = 0.35  // fees paid through the platform by applicants at the counter
	paidOnlinePostal         = 0.6
	paidOnlineOnline         = 0.97
	reusedOnline             = 0.85 // a re-usable component taken from the data store, online
	reusedInPerson           = 0.5
	scannedEForm             = 0.3 // an e-form component also uploaded as a scan
	optionalGiven            = 0.3 // an optional component given
)

// checkPass is the share of dossiers an automated check passes.
var checkPass = map[string]float64{
	"identity":           0.99,
	"population_lookup":  0.97,
	"duplicate_dossier":  0.98,
	"business_name":      0.92,
	"land_parcel":        0.78,
	"criminal_record_db": 0.9,
}

const defaultCheckPass = 0.95

// Officers per role: the one-stop counters have more.
const (
	officersReception = 30
	officersOther     = 12
)

// Durations. Officers act within office hours: their times are working
// time from the opening of the task; applicants act at any hour.
const (
	// A task takes its allotment × a log-normal factor of this median.
	taskMedian, taskSigma           = 0.3, 0.7
	receptionMedian, receptionSigma = 0.25, 0.7
	// The step of a late dossier passes the appointment by a log-normal
	// working time of this median.
	overshootMedian, overshootSigma = 8 * time.Hour, 0.8
	// A counter pick-up within the allotment, else days later.
	pickupOnTime                      = 0.6
	pickupLateMedian, pickupLateSigma = 12 * time.Hour, 1.0
	// Online payment, wall-clock.
	payOnlineMedian, paySigma = 45 * time.Minute, 1.3
	// Supplements: wall-clock online, working time otherwise.
	supplementOnlineMedian, supplementOnlineSigma = 26 * time.Hour, 1.0
	supplementMedian, supplementSigma             = 16 * time.Hour, 0.8
	// Ratings come after the result, wall-clock.
	rateMedian, rateSigma = 3 * time.Hour, 1.5
	// payNominal is the part of the budget kept for a payment.
	payNominal = 4 * time.Hour
)

// logNormal draws a log-normal value of the given median and sigma.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// logNormalDur draws a log-normal duration, capped at maxD when maxD > 0.
func logNormalDur(r *rand.Rand, median time.Duration, sigma float64, maxD time.Duration) time.Duration {
	d := time.Duration(logNormal(r, float64(median), sigma))
	if maxD > 0 && d > maxD {
		d = maxD
	}
	return max(d, time.Second)
}

// pick draws a key of weights (over keys, in their order) by weight; keys
// without weight count as zero. It returns "" when every weight is zero.
func pick(r *rand.Rand, keys []string, weights map[string]float64) string {
	total := 0.0
	for _, k := range keys {
		total += weights[k]
	}
	if total <= 0 {
		return ""
	}
	x := r.Float64() * total
	for _, k := range keys {
		w := weights[k]
		if x < w {
			return k
		}
		x -= w
	}
	return keys[len(keys)-1]
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }
