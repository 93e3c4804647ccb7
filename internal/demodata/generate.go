package demodata

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// Options say what Generate makes.
type Options struct {
	// Dossiers is how many dossiers are submitted over the period
	// (required, at least 1).
	Dossiers int
	// Seed makes the history: the same seed and options give the same
	// dossiers, event for event. Default 0, a seed like any other.
	Seed int64
	// From and To bound the days dossiers are submitted on, [From, To), in
	// Vietnam; times of day are ignored (required).
	From, To time.Time
	// Now is when the history stops: what would happen later is left out,
	// so dossiers still being handled then are open, with their tasks.
	// Default To; it may not be before To.
	Now time.Time
	// Mix weighs procedures by code; default DefaultMix, and DefaultWeight
	// for a procedure it does not name. A weight of 0 leaves a procedure
	// out. A procedure receives dossiers only from its effective date. A
	// procedure Mix names must be in the catalog; DefaultMix's may be
	// missing from it.
	Mix map[string]float64
	// Numbered returns the last number an agency (by its code) already
	// handed out on a day, so that numbering goes on after it; nil: none.
	Numbered func(agencyCode string, day time.Time) int
	// Signer is the name on the result signatures (the certificate's
	// common name); default "Cơ quan giải quyết thủ tục hành chính
	// (motcua)", as a worker without a configured agency signs.
	Signer string
	// Workers simulate dossiers in parallel; default GOMAXPROCS. The
	// output does not depend on it.
	Workers int
}

// DefaultSigner is the default of Options.Signer.
const DefaultSigner = "Cơ quan giải quyết thủ tục hành chính (motcua)"

// Dossier is the history of one generated dossier.
type Dossier struct {
	Code string
	// Agency, Day (YYYY-MM-DD) and N are the agency code, day and number
	// the code was made of, as store.SequenceNext would have handed out.
	Agency string
	Day    string
	N      int
	// Projections are what the workflows would have projected last: the
	// dossier's own (with its snapshot and facts) first, then one per
	// consultation of another agency. Each carries the whole timeline of
	// its workflow.
	Projections []dossier.Projection
	// PortalSyncedAt and Complaints are what the read model learns of the
	// dossier from outside its workflows, up to Options.Now: when the
	// national portal first accepted a status push of it (zero: not
	// synced), and the citizen's complaints (see the package
	// documentation). They are not in the projections: a loader passes
	// them to store.BulkLoad (BulkLoadParams.Outside).
	PortalSyncedAt time.Time
	Complaints     []dossier.Complaint
}

// State returns the dossier's last snapshot.
func (d *Dossier) State() *dossier.State { return d.Projections[0].Snapshot }

// Events counts the dossier's events, its consultations' included.
func (d *Dossier) Events() int {
	n := 0
	for _, p := range d.Projections {
		n += len(p.Events)
	}
	return n
}

// Generate returns the dossiers submitted over the period, in order of
// submission, each with its complete history up to Options.Now. Errors in
// the options or the catalog are returned at once; an error met while
// simulating (a date without a working calendar) ends the sequence.
func Generate(cat *definitions.Catalog, cal *workcal.Calendar, opts Options) (iter.Seq2[Dossier, error], error) {
	g, err := newGenerator(cat, cal, opts)
	if err != nil {
		return nil, err
	}
	return g.all, nil
}

// generator holds what every dossier of a run shares.
type generator struct {
	cal     *workcal.Calendar
	cat     *definitions.Catalog
	opts    Options
	from    time.Time
	to      time.Time
	cut     time.Time
	seedDay uint64
	seedSim uint64
	seedPop uint64
	seedOut uint64 // the outside data (outside.go)
	pool    uint64 // how many different applicants there are
	signer  string
	procs   []*procedure
	spans   map[int][]span
}

type span struct{ from, to time.Duration }

// procedure is a plan with what generating its dossiers needs.
type procedure struct {
	plan      *definitions.Plan
	weight    float64
	late      float64
	agency    string // the agency code of its dossier codes
	portal    bool   // integrated with the national portal (outside.go)
	effective time.Time
	form      *planForm
	full      *modeInfo
	partial   *modeInfo
}

// modeInfo is a mode's plan with the allotted time still to come from each
// step.
type modeInfo struct {
	mp *definitions.ModePlan
	// rest is the longest allotment from a step (included) to the end;
	// restAfter the same from the steps after it.
	rest, restAfter map[string]time.Duration
	// limit is the time limit in working time.
	limit time.Duration
}

func midnight(t time.Time) time.Time {
	t = t.In(dossier.Vietnam)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, dossier.Vietnam)
}

// splitmix64 spreads a seed over 64 bits.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func newGenerator(cat *definitions.Catalog, cal *workcal.Calendar, opts Options) (*generator, error) {
	switch {
	case cat == nil:
		return nil, errors.New("demodata: no catalog")
	case cal == nil:
		return nil, errors.New("demodata: no working calendar")
	case opts.Dossiers < 1:
		return nil, fmt.Errorf("demodata: Options.Dossiers is %d: generate at least 1 dossier", opts.Dossiers)
	case opts.From.IsZero() || opts.To.IsZero():
		return nil, errors.New("demodata: Options.From and Options.To are required: the days dossiers are submitted on")
	}
	g := &generator{cal: cal, cat: cat, opts: opts, from: midnight(opts.From), to: midnight(opts.To), signer: opts.Signer,
		spans: map[int][]span{}}
	if !g.to.After(g.from) {
		return nil, fmt.Errorf("demodata: the period from %s to %s is empty", g.from.Format(time.DateOnly), g.to.Format(time.DateOnly))
	}
	g.cut = opts.Now
	if g.cut.IsZero() {
		g.cut = g.to
	}
	if g.cut.Before(g.to) {
		return nil, fmt.Errorf("demodata: Options.Now (%s) is before the end of the period (%s)",
			g.cut.In(dossier.Vietnam).Format(time.DateTime), g.to.Format(time.DateOnly))
	}
	if g.signer == "" {
		g.signer = DefaultSigner
	}
	seed := uint64(opts.Seed)
	g.seedDay, g.seedSim, g.seedPop = splitmix64(seed), splitmix64(seed^0xda7a), splitmix64(seed^0x9e0b1e)
	g.seedOut = splitmix64(seed ^ 0x0a751de)
	g.pool = uint64(max(1000, opts.Dossiers*4/5))

	// Every year dossiers are handled in needs a calendar: the period, and
	// the time limits running past its end.
	horizon := g.cut.AddDate(0, 3, 0)
	for y := g.from.Year(); y <= horizon.Year(); y++ {
		if _, err := cal.IsWorkingDay(time.Date(y, 6, 1, 12, 0, 0, 0, dossier.Vietnam)); err != nil {
			return nil, fmt.Errorf("demodata: dossiers of %s to %s are handled until about %s: %w",
				g.from.Format(time.DateOnly), g.to.AddDate(0, 0, -1).Format(time.DateOnly), horizon.Format(time.DateOnly), err)
		}
		c := cat.Calendar(y)
		hours := definitions.DefaultOfficeHours
		if c != nil && len(c.OfficeHours) > 0 {
			hours = c.OfficeHours
		}
		for _, h := range hours {
			from, err1 := time.Parse("15:04", h.From)
			to, err2 := time.Parse("15:04", h.To)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("demodata: office hours %s-%s of %d", h.From, h.To, y)
			}
			g.spans[y] = append(g.spans[y], span{clock(from), clock(to)})
		}
	}

	mix := opts.Mix
	if mix == nil {
		mix = DefaultMix
	}
	var problems []string
	for _, p := range cat.Plans() {
		w, ok := mix[p.Code]
		if !ok {
			w = DefaultWeight
		}
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("demodata: procedure %s has weight %v: give a weight of 0 or more", p.Code, w)
		}
		if w == 0 {
			continue
		}
		proc, err := newProcedure(p, w)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		g.procs = append(g.procs, proc)
	}
	// The default mix describes the example catalog: a smaller catalog
	// (say, one procedure's earlier version) leaves the others out. A mix
	// the caller gave must name procedures of the catalog.
	for _, code := range sortedKeys(opts.Mix) {
		if cat.Plan(code) == nil && mix[code] > 0 {
			problems = append(problems, fmt.Sprintf("procedure %s of the mix is not in the catalog", code))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("demodata: %s", strings.Join(problems, "; "))
	}
	inForce := false
	for _, p := range g.procs {
		inForce = inForce || p.effective.Before(g.to)
	}
	if !inForce {
		return nil, fmt.Errorf("demodata: no procedure of the catalog is in force between %s and %s",
			g.from.Format(time.DateOnly), g.to.Format(time.DateOnly))
	}
	return g, nil
}

func clock(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func newProcedure(p *definitions.Plan, weight float64) (*procedure, error) {
	proc := &procedure{plan: p, weight: weight, late: defaultLate, agency: agencyCode(p), effective: p.EffectiveFrom.Time(),
		portal: integrated(p.Code)}
	if l, ok := lateRates[p.Code]; ok {
		proc.late = l
	}
	if len(p.Components) == 0 {
		return nil, fmt.Errorf("procedure %s has no components", p.Code)
	}
	var err error
	if proc.form, err = newPlanForm(p); err != nil {
		return nil, err
	}
	for i := range p.Modes {
		mp := &p.Modes[i]
		if len(mp.Steps) == 0 || len(mp.Channels) == 0 || len(mp.Delivery) == 0 {
			return nil, fmt.Errorf("procedure %s: mode %s has no steps, channels or deliveries", p.Code, mp.Mode)
		}
		if mp.Steps[0].Kind != definitions.KindReception {
			return nil, fmt.Errorf("procedure %s: mode %s does not start with a reception step", p.Code, mp.Mode)
		}
		for _, st := range mp.Steps {
			if st.Parent == "" {
				continue
			}
			switch st.Kind {
			case definitions.KindTask, definitions.KindSign, definitions.KindConsult, definitions.KindAuto,
				definitions.KindNotify, definitions.KindDecide:
			default:
				return nil, fmt.Errorf("procedure %s: a %s step (%q) inside parallel step %q is not simulated", p.Code, st.Kind, st.ID, st.Parent)
			}
		}
		m := newModeInfo(mp)
		switch mp.Mode {
		case definitions.ModeFullOnline:
			proc.full = m
		case definitions.ModePartialOnline:
			proc.partial = m
		}
	}
	if proc.full == nil && proc.partial == nil {
		return nil, fmt.Errorf("procedure %s offers no mode", p.Code)
	}
	return proc, nil
}

// agencyCode is the national code of the plan's competent agency, else its
// id in capitals, as the service numbers dossiers.
func agencyCode(p *definitions.Plan) string {
	for _, a := range p.Agencies {
		if a.ID == p.Agency {
			if a.Code != "" {
				return a.Code
			}
			break
		}
	}
	return strings.ToUpper(p.Agency)
}

// dossierCode is the service's default format, <agency>-<YYMMDD>-<NNNN>.
func dossierCode(agency string, day time.Time, n int) string {
	return fmt.Sprintf("%s-%s-%04d", agency, day.In(dossier.Vietnam).Format("060102"), n)
}

func (p *procedure) componentName(id string) string {
	for _, c := range p.plan.Components {
		if c.ID == id {
			return c.Name
		}
	}
	return id
}

// upload is a file of a component as the applicant sends it.
func (p *procedure) upload(r *rand.Rand, id, channel string) dossier.ComponentRef {
	ext, limit := "pdf", int64(10)
	for _, c := range p.plan.Components {
		if c.ID == id {
			if len(c.FileTypes) > 0 {
				ext = c.FileTypes[0]
			}
			if c.MaxSizeMB > 0 {
				limit = int64(c.MaxSizeMB)
			}
		}
	}
	if channel != dossier.ChannelOnline {
		ext = "pdf" // scanned at the counter
	}
	size := min(int64(logNormal(r, 350_000, 0.8)), limit<<20)
	return dossier.ComponentRef{ID: id, SHA256: hexDigits(r, 64), Name: id + "." + ext, Size: max(size, 2048)}
}

func newModeInfo(mp *definitions.ModePlan) *modeInfo {
	m := &modeInfo{mp: mp, rest: map[string]time.Duration{}, restAfter: map[string]time.Duration{}}
	tl := mp.TimeLimit
	switch {
	case tl.SameDay:
		m.limit = definitions.HoursPerDay * time.Hour
	default:
		m.limit = time.Duration(tl.WorkingDays*definitions.HoursPerDay+tl.WorkingHours) * time.Hour
	}
	visiting := map[string]bool{}
	var restOf func(id string) time.Duration
	restOf = func(id string) time.Duration {
		switch id {
		case "", definitions.TargetRefused, definitions.TargetStopped, definitions.TargetJoin:
			return 0
		}
		if v, ok := m.rest[id]; ok {
			return v
		}
		st := mp.Step(id)
		if st == nil || visiting[id] {
			return 0
		}
		visiting[id] = true
		own := m.nominal(st)
		for _, b := range st.Branches {
			own = max(own, restOf(b.Start))
		}
		var after time.Duration
		for _, e := range st.Exits {
			after = max(after, restOf(e.Target))
		}
		visiting[id] = false
		m.restAfter[id] = after
		m.rest[id] = own + after
		return own + after
	}
	for _, st := range mp.Steps {
		restOf(st.ID)
	}
	return m
}

// nominal is a step's allotted working time, as the budget counts it: a
// payment keeps payNominal; the return step none (the dossier is
// processed when it starts).
func (m *modeInfo) nominal(st *definitions.PlanStep) time.Duration {
	switch st.Kind {
	case definitions.KindPay:
		return payNominal
	case definitions.KindReturn:
		return 0
	}
	if st.Within == nil {
		return 0
	}
	return time.Duration(st.Within.Hours() * float64(time.Hour))
}

// Arrivals.

// arrival is a dossier as submitted.
type arrival struct {
	index   uint64
	proc    *procedure
	mode    *modeInfo
	channel string
	at      time.Time
	agency  string
	day     time.Time
	n       int
}

// Factors of the number of dossiers by month (a rush before Tết) and by
// weekday (Mondays busiest).
var (
	monthFactor   = [13]float64{0, 1.1, 0.85, 1.05, 1, 0.95, 1, 1, 0.95, 1, 1.05, 1.05, 1.1}
	weekdayFactor = [7]float64{0.8, 1.15, 1.05, 1, 1, 0.9, 0.8} // Sunday first; weekend days worked
)

// dayPlan is how many dossiers a day receives.
type dayPlan struct {
	mid     time.Time
	working bool
	n       int
}

// days spreads the dossiers over the days of the period: a working day
// gets its weekday's and month's share with some noise, a day off a small
// share (online submissions only).
func (g *generator) days() ([]dayPlan, error) {
	var plans []dayPlan
	var weights []float64
	total := 0.0
	for d := g.from; d.Before(g.to); d = d.AddDate(0, 0, 1) {
		working, err := g.cal.IsWorkingDay(d)
		if err != nil {
			return nil, err
		}
		r := rand.New(rand.NewPCG(g.seedDay, uint64(d.Unix())))
		w := monthFactor[d.Month()] * (0.88 + 0.24*r.Float64())
		if working {
			w *= weekdayFactor[d.Weekday()]
		} else {
			w *= weekendWeight
		}
		if len(g.available(d, !working)) == 0 {
			w = 0
		}
		plans = append(plans, dayPlan{mid: d, working: working})
		weights = append(weights, w)
		total += w
	}
	if total == 0 {
		return nil, errors.New("demodata: no procedure takes dossiers in the period")
	}
	// Cumulative rounding: the counts add up to Dossiers exactly.
	cum, prev := 0.0, 0
	for i, w := range weights {
		cum += w
		upto := int(math.Round(float64(g.opts.Dossiers) * cum / total))
		plans[i].n = upto - prev
		prev = upto
	}
	return plans, nil
}

// available lists the procedures in force on a day (online-capable ones
// only for a day off).
func (g *generator) available(day time.Time, onlineOnly bool) []*procedure {
	var out []*procedure
	for _, p := range g.procs {
		if p.effective.After(day) {
			continue
		}
		if onlineOnly && !p.takesOnline() {
			continue
		}
		out = append(out, p)
	}
	return out
}

func (p *procedure) takesOnline() bool {
	for _, m := range []*modeInfo{p.full, p.partial} {
		if m != nil && slices.Contains(m.mp.Channels, dossier.ChannelOnline) {
			return true
		}
	}
	return false
}

// arrivals draws a day's dossiers, orders them by submission time and
// numbers them per agency.
func (g *generator) arrivals(d dayPlan, next *uint64) []arrival {
	r := rand.New(rand.NewPCG(g.seedDay, uint64(d.mid.Unix())|1<<62))
	procs := g.available(d.mid, !d.working)
	weights := make([]float64, len(procs))
	for i, p := range procs {
		weights[i] = p.weight
	}
	out := make([]arrival, d.n)
	for i := range out {
		p := procs[pickIndex(r, weights)]
		mode, channel := g.modeChannel(r, p, !d.working)
		out[i] = arrival{proc: p, mode: mode, channel: channel, at: g.arrivalTime(r, d, channel), day: d.mid, agency: p.agency}
	}
	slices.SortStableFunc(out, func(a, b arrival) int { return a.at.Compare(b.at) })
	numbers := map[string]int{}
	for i := range out {
		a := &out[i]
		n, ok := numbers[a.agency]
		if !ok && g.opts.Numbered != nil {
			n = g.opts.Numbered(a.agency, d.mid)
		}
		n++
		numbers[a.agency] = n
		a.n = n
		a.index = *next
		*next++
	}
	return out
}

// modeChannel draws how a dossier is submitted.
func (g *generator) modeChannel(r *rand.Rand, p *procedure, onlineOnly bool) (*modeInfo, string) {
	var m *modeInfo
	var channels map[string]float64
	switch {
	case p.full != nil && p.partial != nil:
		m, channels = p.partial, partialChannels
		if chance(r, fullOnlineShare) {
			m, channels = p.full, partialOnlyChannels
		}
	case p.full != nil:
		m, channels = p.full, partialOnlyChannels
	default:
		m, channels = p.partial, partialOnlyChannels
	}
	if onlineOnly && !slices.Contains(m.mp.Channels, dossier.ChannelOnline) {
		for _, other := range []*modeInfo{p.full, p.partial} {
			if other != nil && slices.Contains(other.mp.Channels, dossier.ChannelOnline) {
				m = other
			}
		}
	}
	if onlineOnly {
		return m, dossier.ChannelOnline
	}
	ch := pick(r, m.mp.Channels, channels)
	if ch == "" {
		ch = m.mp.Channels[r.IntN(len(m.mp.Channels))]
	}
	return m, ch
}

// arrivalTime draws when a dossier is submitted on its day: within office
// hours at the counter and by post; online mostly in office hours too, the
// rest in the evening, and any time of a day off.
func (g *generator) arrivalTime(r *rand.Rand, d dayPlan, channel string) time.Time {
	var off time.Duration
	switch {
	case !d.working:
		off = 7*time.Hour + time.Duration(r.Int64N(int64(15*time.Hour)))
	case channel == dossier.ChannelOnline && chance(r, offHoursOnline):
		off = 6*time.Hour + time.Duration(r.Int64N(int64(17*time.Hour)))
	default:
		spans := g.spans[d.mid.Year()]
		total := time.Duration(0)
		for _, s := range spans {
			total += s.to - s.from - time.Minute
		}
		x := time.Duration(r.Int64N(int64(total)))
		for _, s := range spans {
			if l := s.to - s.from - time.Minute; x < l {
				off = s.from + x
				break
			} else {
				x -= l
			}
		}
	}
	return d.mid.Add(off.Truncate(time.Second))
}

// Simulation.

func (g *generator) simulate(a arrival, sc *script) (Dossier, error) {
	r := rand.New(rand.NewPCG(g.seedSim, a.index))
	code := dossierCode(a.agency, a.day, a.n)
	p := a.proc
	s := &sim{g: g, p: p, m: a.mode, mp: a.mode.mp, r: r, code: code, channel: a.channel,
		now: a.at, cut: g.cut, visits: map[string]int{}, script: sc,
		main: &flow{id: code, count: map[string]int{}, active: true}}
	s.applicant = applicantFor(g.seedPop, r.Uint64N(g.pool))
	s.delivery = pick(r, s.mp.Delivery, deliveryWeights[s.mp.Mode])
	if s.delivery == "" {
		s.delivery = s.mp.Delivery[0]
	}
	s.form = p.form.generate(r)
	s.env = p.form.env(s.form, s.mp.Mode, s.channel)
	if err := s.components(); err != nil {
		return Dossier{}, fmt.Errorf("dossier %s: %w", code, err)
	}
	if sc != nil {
		sc.form, sc.delivery, sc.components = s.form, s.delivery, slices.Clone(s.comps)
	}
	s.late = chance(r, p.late)
	s.extend = chance(r, extendShare)
	if chance(r, withdrawRate) {
		// Early in the handling, mostly: while it waits at reception, for a
		// supplement, a payment or the first review.
		at, err := g.cal.AddWorkingTime(a.at, time.Duration((0.02+0.3*r.Float64())*float64(a.mode.limit)))
		if err != nil {
			return Dossier{}, fmt.Errorf("dossier %s: %w", code, err)
		}
		s.withdrawAt = at
	}
	s.st = dossier.State{Code: code, ProcedureCode: p.plan.Code, PlanHash: p.plan.Hash, Mode: s.mp.Mode, Channel: a.channel,
		Agency: p.plan.Agency, Applicant: s.applicant, Status: dossier.StatusNew, ReceivedAt: a.at}
	if err := s.run(); err != nil {
		return Dossier{}, fmt.Errorf("dossier %s: %w", code, err)
	}
	d := Dossier{Code: code, Agency: a.agency, Day: a.day.Format(time.DateOnly), N: a.n, Projections: s.projections()}
	g.outside(&d, a, p.portal)
	return d, nil
}

// components are the files and re-used data the applicant submits, in the
// plan's order, as the service checks them: conditional components when
// their condition holds, optional ones sometimes, an e-form filled in
// (sometimes with a scan), re-usable documents taken from their data store
// most of the time online.
func (s *sim) components() error {
	reuse, scan := reusedInPerson, 0.9
	if s.channel == dossier.ChannelOnline {
		reuse, scan = reusedOnline, scannedEForm
	}
	for _, c := range s.p.plan.Components {
		if c.When != "" {
			ok, err := s.p.form.eval(c.When, s.env)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		if c.Optional && !chance(s.r, optionalGiven) {
			continue
		}
		switch {
		case len(c.Form) > 0:
			if chance(s.r, scan) {
				s.comps = append(s.comps, s.p.upload(s.r, c.ID, s.channel))
			}
		case c.Reuse != "" && chance(s.r, reuse):
			s.comps = append(s.comps, dossier.ComponentRef{ID: c.ID, Name: c.Name, Reused: true})
		default:
			s.comps = append(s.comps, s.p.upload(s.r, c.ID, s.channel))
		}
	}
	return nil
}

// all yields the dossiers in order; with several workers, chunks of them
// are simulated in parallel and put back in order.
func (g *generator) all(yield func(Dossier, error) bool) {
	plans, err := g.days()
	if err != nil {
		yield(Dossier{}, err)
		return
	}
	workers := g.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		var next uint64
		for _, d := range plans {
			for _, a := range g.arrivals(d, &next) {
				dos, err := g.simulate(a, nil)
				if !yield(dos, err) || err != nil {
					return
				}
			}
		}
		return
	}

	type result struct {
		dossiers []Dossier
		err      error
	}
	type job struct {
		arrivals []arrival
		out      chan result
	}
	const chunk = 256
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs := make(chan *job, workers)
	order := make(chan *job, 4*workers)
	go func() {
		defer close(jobs)
		defer close(order)
		var next uint64
		var batch []arrival
		send := func() bool {
			j := &job{arrivals: batch, out: make(chan result, 1)}
			batch = nil
			select {
			case order <- j:
			case <-ctx.Done():
				return false
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return false
			}
			return true
		}
		for _, d := range plans {
			batch = append(batch, g.arrivals(d, &next)...)
			for len(batch) >= chunk {
				rest := slices.Clone(batch[chunk:])
				batch = batch[:chunk]
				if !send() {
					return
				}
				batch = rest
			}
		}
		if len(batch) > 0 {
			send()
		}
	}()
	for range workers {
		go func() {
			for j := range jobs {
				res := result{dossiers: make([]Dossier, 0, len(j.arrivals))}
				for _, a := range j.arrivals {
					d, err := g.simulate(a, nil)
					if err != nil {
						res.err = err
						break
					}
					res.dossiers = append(res.dossiers, d)
				}
				j.out <- res
			}
		}()
	}
	for j := range order {
		res := <-j.out
		for _, d := range res.dossiers {
			if !yield(d, nil) {
				return
			}
		}
		if res.err != nil {
			yield(Dossier{}, res.err)
			return
		}
	}
}
