package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/motcua/motcua/internal/catalogtest"
	"github.com/motcua/motcua/worker"
)

// Report is the outcome of a run: the figures of the table and every
// measurement behind them.
type Report struct {
	Machine Machine `json:"machine"`
	// Command reproduces the run.
	Command  string    `json:"command"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"`
	Settings Settings  `json:"settings"`
	Figures  []Figure  `json:"figures"`

	Throughput []Round        `json:"throughput,omitempty"`
	Histories  []History      `json:"histories,omitempty"`
	Latency    []LatencyRound `json:"latency,omitempty"`
	Memory     []Memory       `json:"memory,omitempty"`
	Lint       []LintRound    `json:"lint,omitempty"`
	YearReport *YearReport    `json:"year_report,omitempty"`
}

// Settings are the sizes and options a run used.
type Settings struct {
	Rounds         int            `json:"rounds"`
	Dossiers       int            `json:"dossiers"`
	Concurrency    int            `json:"concurrency"`
	LatencySamples int            `json:"latency_samples"`
	MemoryDossiers int            `json:"memory_dossiers"`
	ReportDossiers int            `json:"report_dossiers"`
	Phases         []string       `json:"phases"`
	Worker         worker.Options `json:"worker"`
}

func settingsOf(c Config) Settings {
	return Settings{Rounds: c.Rounds, Dossiers: c.Dossiers, Concurrency: c.Concurrency, LatencySamples: c.LatencySamples,
		MemoryDossiers: c.MemoryDossiers, ReportDossiers: c.ReportDossiers, Phases: c.Only, Worker: c.Worker}
}

// Machine describes where a run ran.
type Machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	MemoryGiB int    `json:"memory_gib"`
	OS        string `json:"os"`
	Go        string `json:"go"`
}

// DescribeMachine reads the CPU model and memory from /proc where there is
// one.
func DescribeMachine() Machine {
	m := Machine{CPU: "unknown CPU", Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version()}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		if kb, err := strconv.ParseFloat(strings.Fields(v)[0], 64); err == nil {
			m.MemoryGiB = int(math.Round(kb / (1 << 20)))
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// String is the machine as the table's column shows it.
func (m Machine) String() string {
	mem := ""
	if m.MemoryGiB > 0 {
		mem = fmt.Sprintf(", %d GiB", m.MemoryGiB)
	}
	return fmt.Sprintf("%s, %d cores%s, %s, %s", m.CPU, m.Cores, mem, m.OS, m.Go)
}

// Stat is a median with the smallest and largest of the rounds.
type Stat struct {
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	N      int     `json:"n"`
}

func statOf(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{Median: med, Min: s[0], Max: s[len(s)-1], N: len(s)}
}

// Figure is one row of the table.
type Figure struct {
	ID     string `json:"id"`
	Figure string `json:"figure"`
	Unit   string `json:"unit"`
	Motcua Stat   `json:"motcua"`
	// Baseline is what motcua is measured against; BaselineName says
	// what it is.
	Baseline     Stat   `json:"baseline"`
	BaselineName string `json:"baseline_name"`
	// Ratio is Motcua over Baseline: the median of the rounds' ratios,
	// with the smallest and largest.
	Ratio Stat `json:"ratio"`
	// Target is the target; Verdict "met", "missed" or "" when
	// the figure is only reported.
	Target  string `json:"target"`
	Verdict string `json:"verdict,omitempty"`
	Machine string `json:"machine"`
}

// figures builds the table's rows from what was measured.
func (r *Report) figures(cfg Config) []Figure {
	var out []Figure
	machine := r.Machine.String()
	add := func(f Figure) {
		f.Machine = machine
		out = append(out, f)
	}
	if len(r.Throughput) > 0 {
		by := map[string][]float64{}
		perRound := map[int]map[string]float64{}
		for _, t := range r.Throughput {
			by[t.Variant] = append(by[t.Variant], t.PerSecond)
			if perRound[t.Round] == nil {
				perRound[t.Round] = map[string]float64{}
			}
			perRound[t.Round][t.Variant] = t.PerSecond
		}
		var ratios []float64
		for _, rr := range perRound {
			if rr[Handwritten] > 0 {
				ratios = append(ratios, rr[Interpreted]/rr[Handwritten])
			}
		}
		f := Figure{ID: "throughput", Unit: "dossiers/s",
			Figure: fmt.Sprintf("throughput, dossiers per second from submission to the end of the workflow: the 6-step procedure "+
				"(reception, automated check, review, fee, signature, return at the counter, rating), %d dossiers per round, %d in flight, "+
				"people acting as soon as their task shows in the read model; median of %d rounds (min–max)", cfg.Dossiers, cfg.Concurrency, len(by[Interpreted])),
			Motcua: statOf(by[Interpreted]), Baseline: statOf(by[Handwritten]),
			BaselineName: "the same procedure as a hand-written Go workflow, same activities, same server, rounds alternating",
			Target:       "≥ 0.9 ×"}
		f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, ratios)
		f.Verdict = verdict(f.Ratio.Median >= 0.9)
		add(f)

		cpu := map[string][]float64{}
		var cpuRatios []float64
		for _, t := range r.Throughput {
			if t.CPUSeconds > 0 {
				cpu[t.Variant] = append(cpu[t.Variant], 1000*t.CPUSeconds/float64(t.Dossiers))
			}
		}
		for _, rr := range perRoundCPU(r.Throughput) {
			if rr[Handwritten] > 0 {
				cpuRatios = append(cpuRatios, rr[Interpreted]/rr[Handwritten])
			}
		}
		if len(cpu[Interpreted]) > 0 && len(cpu[Handwritten]) > 0 {
			f := Figure{ID: "cpu_per_dossier", Unit: "ms",
				Figure: "CPU time per dossier in the throughput rounds: this process's user and system time (embedded server, SQLite, workers, " +
					"driver) over the round's dossiers, median of the rounds; what other processes on the machine take changes it little",
				Motcua: statOf(cpu[Interpreted]), Baseline: statOf(cpu[Handwritten]), BaselineName: "the hand-written workflow, same rounds",
				Target: "report (the inverse of throughput when the CPU is the limit)"}
			f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, cpuRatios)
			add(f)
		}
	}
	if len(r.Histories) == 2 {
		m, b := r.Histories[0], r.Histories[1]
		f := Figure{ID: "history_events", Unit: "events",
			Figure:       fmt.Sprintf("history events per dossier (mean over the last round's %d dossiers of each; fewest–most)", m.Dossiers),
			Motcua:       Stat{Median: m.Events, Min: float64(m.EventsMin), Max: float64(m.EventsMax), N: m.Dossiers},
			Baseline:     Stat{Median: b.Events, Min: float64(b.EventsMin), Max: float64(b.EventsMax), N: b.Dossiers},
			BaselineName: "the hand-written workflow", Target: "≤ 1.1 ×"}
		f.Ratio = ratioStat(m.Events, b.Events, nil)
		f.Verdict = verdict(f.Ratio.Median <= 1.1)
		add(f)
		f = Figure{ID: "history_bytes", Unit: "KiB",
			Figure:   "history size per dossier, encoded (the plan travels in the interpreted dossier's input)",
			Motcua:   Stat{Median: m.Bytes / 1024, Min: m.Bytes / 1024, Max: m.Bytes / 1024, N: m.Dossiers},
			Baseline: Stat{Median: b.Bytes / 1024, Min: b.Bytes / 1024, Max: b.Bytes / 1024, N: b.Dossiers}, BaselineName: "the hand-written workflow",
			Target: "report"}
		f.Ratio = ratioStat(m.Bytes, b.Bytes, nil)
		add(f)
	}
	if len(r.Latency) > 0 {
		var s50, s99, r50, r99, q50, q99 []float64
		for _, l := range r.Latency {
			s50, s99, r50, r99 = append(s50, l.ServiceP50), append(s99, l.ServiceP99), append(r50, l.RawP50), append(r99, l.RawP99)
			q50, q99 = append(q50, l.ServiceP50/l.RawP50), append(q99, l.ServiceP99/l.RawP99)
		}
		what := fmt.Sprintf("an officer's action (acceptance at reception) through the service layer, %%s, median of %d rounds of %d", len(r.Latency), cfg.LatencySamples)
		f := Figure{ID: "action_p50", Unit: "ms", Figure: fmt.Sprintf(what, "p50"), Motcua: statOf(s50), Baseline: statOf(r50),
			BaselineName: "a raw Temporal Update on a no-op workflow, same server, alternating", Target: "report"}
		f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, q50)
		add(f)
		f = Figure{ID: "action_p99", Unit: "ms", Figure: fmt.Sprintf(what, "p99"), Motcua: statOf(s99), Baseline: statOf(r99),
			BaselineName: "a raw Temporal Update on a no-op workflow, same server, alternating", Target: "≤ 1.2 × at p99"}
		f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, q99)
		f.Verdict = verdict(f.Ratio.Median <= 1.2)
		add(f)
	}
	if len(r.Memory) == 2 {
		m, b := r.Memory[0], r.Memory[1]
		f := Figure{ID: "worker_memory", Unit: "MiB",
			Figure: fmt.Sprintf("worker memory per 10,000 open dossiers waiting on a human task: resident memory (VmRSS) of a worker process, "+
				"measured with %d dossiers, sticky cache %d", m.Dossiers, m.StickyCacheSize),
			Motcua: Stat{Median: m.RSSPer10k, Min: m.RSSPer10k, Max: m.RSSPer10k, N: 1}, Baseline: Stat{Median: b.RSSPer10k, Min: b.RSSPer10k, Max: b.RSSPer10k, N: 1},
			BaselineName: "a worker process of the hand-written workflow, same dossiers", Target: "report"}
		f.Ratio = ratioStat(m.RSSPer10k, b.RSSPer10k, nil)
		add(f)
	}
	if len(r.Lint) > 0 {
		var l, u, q []float64
		for _, x := range r.Lint {
			l, u, q = append(l, x.LintMS), append(u, x.UnmarshalMS), append(q, x.LintMS/x.UnmarshalMS)
		}
		f := Figure{ID: "lint", Unit: "ms",
			Figure: fmt.Sprintf("lint of %s generated definitions from disk, median of %d", thousands(catalogtest.ProvinceCatalogSize), len(r.Lint)),
			Motcua: statOf(l), Baseline: statOf(u), BaselineName: "reading and yaml.Unmarshal of the same files", Target: "< 1 s"}
		f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, q)
		f.Verdict = verdict(f.Motcua.Median < 1000)
		add(f)
	}
	if y := r.YearReport; y != nil && len(y.Rounds) > 0 {
		var rp, c, q []float64
		for _, x := range y.Rounds {
			rp, c, q = append(rp, x.ReportMS), append(c, x.CountMS), append(q, x.ReportMS/x.CountMS)
		}
		f := Figure{ID: "report_year", Unit: "ms",
			Figure: fmt.Sprintf("full indicator report over a year of %s dossiers (%s), median of %d", thousands(y.Dossiers), sourceKind(y.Source), len(y.Rounds)),
			Motcua: statOf(rp), Baseline: statOf(c), BaselineName: "SELECT count(*) FROM dossiers, same run",
			Target: "< 2 s for the province's year (1.7 million) on PostgreSQL"}
		f.Ratio = ratioStat(f.Motcua.Median, f.Baseline.Median, q)
		if y.Dossiers >= 1_700_000 {
			f.Verdict = verdict(f.Motcua.Median < 2000)
		} else {
			f.Target += "; not judged at this size"
		}
		add(f)
	}
	return out
}

// perRoundCPU is the CPU milliseconds per dossier of each variant, by round.
func perRoundCPU(rounds []Round) map[int]map[string]float64 {
	out := map[int]map[string]float64{}
	for _, t := range rounds {
		if out[t.Round] == nil {
			out[t.Round] = map[string]float64{}
		}
		out[t.Round][t.Variant] = 1000 * t.CPUSeconds / float64(t.Dossiers)
	}
	return out
}

// ratioStat is the ratio of motcua to its baseline: the median of the
// rounds' own ratios when there are some (each round measures both, back
// to back, so a machine busy with something else for a while weighs on
// both), else the ratio of m to b.
func ratioStat(m, b float64, perRound []float64) Stat {
	if len(perRound) > 0 {
		return statOf(perRound)
	}
	if b == 0 {
		return Stat{}
	}
	return Stat{Median: m / b, Min: m / b, Max: m / b, N: 1}
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

func sourceKind(dsn string) string {
	if strings.HasPrefix(dsn, "postgres") {
		return "PostgreSQL"
	}
	return "SQLite"
}

// JSON writes the report as indented JSON.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Table writes the figures as a Markdown table with the line that says how
// to reproduce them.
func (r *Report) Table(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("| figure | motcua | baseline | ratio | target | machine |\n|---|---|---|---|---|---|\n")
	for _, f := range r.Figures {
		target := f.Target
		if f.Verdict != "" {
			target += ": " + f.Verdict
		}
		fmt.Fprintf(&b, "| %s | %s | %s: %s | %s | %s | %s |\n", cell(f.Figure), formatStat(f.Motcua, f.Unit),
			cell(f.BaselineName), formatStat(f.Baseline, f.Unit), formatRatio(f.Ratio), cell(target), cell(f.Machine))
	}
	fmt.Fprintf(&b, "\nRatios are motcua over its baseline: the median of the rounds' own ratios (each round measures both back to back), "+
		"with the smallest and largest. Reproduce: `%s` (measured %s, %s).\n", r.Command, r.Started.Format("2006-01-02"), (time.Duration(r.Seconds) * time.Second).String())
	_, err := w.Write(b.Bytes())
	return err
}

// Markdown writes the table and, below it, where the events, activities
// and latency go.
func (r *Report) Markdown(w io.Writer) error {
	if err := r.Table(w); err != nil {
		return err
	}
	var b bytes.Buffer
	if len(r.Histories) == 2 {
		m, h := r.Histories[0], r.Histories[1]
		fmt.Fprintf(&b, "\nWhere the events go: mean history events per dossier by type, over the last round's %d dossiers of each variant.\n\n", m.Dossiers)
		b.WriteString("| event type | motcua | hand-written | difference |\n|---|---|---|---|\n")
		types := keys(m.ByType, h.ByType)
		slices.SortStableFunc(types, func(x, y string) int { return -cmpFloat(m.ByType[x]+h.ByType[x], m.ByType[y]+h.ByType[y]) })
		for _, t := range types {
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %+.1f |\n", t, m.ByType[t], h.ByType[t], m.ByType[t]-h.ByType[t])
		}
		fmt.Fprintf(&b, "| **total** | **%.1f** | **%.1f** | **%+.1f** |\n", m.Events, h.Events, m.Events-h.Events)
		fmt.Fprintf(&b, "\nTimers started and neither fired nor cancelled: %.1f per motcua dossier, %.1f per hand-written one. "+
			"motcua's deadline loop keeps one timer while the next warning or due time stays the same and cancels it when that time no longer matters "+
			"(TimerCanceled above). The hand-written workflow waits with AwaitWithTimeout, whose timer the SDK (v1.50) leaves running when the condition comes true: "+
			"on a dossier that stays open, as in an office where it waits hours or days for people and 30 days for the rating, "+
			"each such timer fires later and wakes the workflow (TimerFired and a workflow task, 4 events), which the dossiers here, "+
			"acted on and rated at once, do not show.\n", m.TimersLeft, h.TimersLeft)
		b.WriteString("\nActivities run per dossier, as the workers counted them (local activities marked):\n\n")
		b.WriteString("| activity | motcua | hand-written |\n|---|---|---|\n")
		for _, a := range keys(m.Activities, h.Activities) {
			fmt.Fprintf(&b, "| %s | %.2f | %.2f |\n", a, m.Activities[a], h.Activities[a])
		}
	}
	if len(r.Latency) > 0 {
		var u50, u99 []float64
		for _, l := range r.Latency {
			u50, u99 = append(u50, l.UpdateP50), append(u99, l.UpdateP99)
		}
		fmt.Fprintf(&b, "\nWhere the officer action's time goes: the same acceptance sent as a raw Update straight to the dossier's workflow "+
			"(no read-model lookup of the task's workflow before, its answer not decoded) takes %s at p50 and %s at p99 (medians of the rounds); "+
			"the no-op Update is the floor of a round trip, and the acceptance does real work in its workflow task: the appointment (a local activity over the calendar) "+
			"and the projection to the read model (a local activity), both done before the Update returns.\n",
			formatStat(statOf(u50), "ms"), formatStat(statOf(u99), "ms"))
	}
	if len(r.Memory) == 2 {
		b.WriteString("\nMemory of the worker processes (after a garbage collection):\n\n")
		b.WriteString("| variant | dossiers | RSS before | RSS after | per 10,000 | Go heap per 10,000 | goroutines per dossier |\n|---|---|---|---|---|---|---|\n")
		for _, m := range r.Memory {
			fmt.Fprintf(&b, "| %s | %s | %.0f MiB | %.0f MiB | %.0f MiB | %.0f MiB | %.1f |\n", m.Variant, thousands(m.Dossiers),
				float64(m.Before.RSS)/(1<<20), float64(m.After.RSS)/(1<<20), m.RSSPer10k, m.HeapPer10k, m.GoroutinesPerDossier)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// keys returns the keys of both maps, sorted.
func keys(a, b map[string]float64) []string {
	out := slices.Collect(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// formatStat shows a median with its range when the rounds differ.
func formatStat(s Stat, unit string) string {
	v := func(x float64) string {
		switch {
		case unit == "MiB", unit == "ms" && x >= 100:
			return thousands(int(math.Round(x)))
		case unit == "events", unit == "ms", unit == "KiB":
			return strconv.FormatFloat(x, 'f', 1, 64)
		}
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	suffix := " " + unit
	if unit == "dossiers/s" {
		suffix = "/s"
	}
	out := v(s.Median) + suffix
	if s.N > 1 && v(s.Min) != v(s.Max) {
		out += " (" + v(s.Min) + "–" + v(s.Max) + ")"
	}
	return out
}

func formatRatio(s Stat) string {
	out := strconv.FormatFloat(s.Median, 'f', 2, 64)
	if s.N > 1 {
		lo, hi := strconv.FormatFloat(s.Min, 'f', 2, 64), strconv.FormatFloat(s.Max, 'f', 2, 64)
		if lo != hi {
			out += " (" + lo + "–" + hi + ")"
		}
	}
	return out
}

// thousands writes an integer with commas: 1,622.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
