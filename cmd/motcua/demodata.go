package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/demodata"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/internal/workcal"
)

// Defaults of demo-data: a year of dossiers, July 2025 to June 2026, when
// every procedure of the example catalog is in force.
const (
	demoFrom  = "2025-07-01"
	demoTo    = "2026-06-30"
	demoBatch = 2000
)

func newDemoDataCmd(s streams) *cobra.Command {
	var (
		dossiers          int
		seed              int64
		from, to          string
		data, readModel   string
		defs              string
		appendToReadModel bool
		batch             int
	)
	cmd := &cobra.Command{
		Use:   "demo-data --dossiers N [--seed S] [--from DATE --to DATE] [--data DIR | --read-model DSN]",
		Short: "Fill a read model with a synthetic history of dossiers, for demonstrations and benchmarks",
		Long: `demo-data writes a synthetic but plausible history straight into the read
model: dossiers submitted over the period, each handled as the dossier
workflow would have (the same events and statuses, due times from the working
calendar, supplements, payments, consultations, lateness, withdrawals,
extensions and ratings in the province's proportions), up to the end of the
period, so the last days' dossiers are still open with their tasks; and what
the read model learns from outside the workflows: which dossiers the national
portal accepted (those of the procedures integrated with it, minutes after
submission) and the citizens' complaints (about 1%, mostly about late or
badly rated dossiers).

The same --seed and flags give the same dossiers, event for event. Dossier
codes follow the service's numbering per agency and day, and the read model's
sequences are moved past them, so the engine can go on numbering.

It refuses a read model that already holds dossiers unless --append is given;
with --append the numbering goes on after what is there. A year of the
province is about 1,700,000 dossiers.`,
		Example: `  motcua demo-data --dossiers 10000
  motcua demo-data --dossiers 1700000 --seed 7 --read-model postgres://motcua@localhost/motcua
  motcua demo-data --dossiers 500 --from 2026-01-01 --to 2026-01-31 --data /tmp/demo --append`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("demo-data takes no arguments, got %q (give the number with --dossiers)", args[0])}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			fl := cmd.Flags()
			switch {
			case !fl.Changed("dossiers"):
				return usageError{errors.New("--dossiers is required: how many dossiers to generate, e.g. --dossiers 100000")}
			case dossiers < 1:
				return usageError{fmt.Errorf("--dossiers %d: generate at least 1 dossier", dossiers)}
			case batch < 1:
				return usageError{fmt.Errorf("--batch %d: write at least 1 dossier per transaction", batch)}
			case fl.Changed("data") && fl.Changed("read-model"):
				return usageError{errors.New("give --data or --read-model, not both")}
			}
			first, err := parseDay("from", from)
			if err != nil {
				return err
			}
			last, err := parseDay("to", to)
			if err != nil {
				return err
			}
			if last.Before(first) {
				return usageError{fmt.Errorf("--to %s is before --from %s", to, from)}
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			cat, err := definitions.LoadCatalog(defs)
			if err != nil {
				return fmt.Errorf("loading the catalog from %s (give --definitions): %w", defs, err)
			}
			cal, err := workcal.FromCatalog(cat)
			if err != nil {
				return fmt.Errorf("the catalog in %s: %w", defs, err)
			}
			dsn := readModel
			if dsn == "" {
				if err := os.MkdirAll(data, 0o750); err != nil {
					return fmt.Errorf("creating the data folder: %w", err)
				}
				dsn = filepath.Join(data, "read.db")
			}
			st, err := store.Open(ctx, dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			d := &demoLoad{s: s, st: st, where: redact(dsn), total: dossiers, started: time.Now()}
			return d.run(ctx, cat, cal, demodata.Options{Dossiers: dossiers, Seed: seed, From: first, To: last.AddDate(0, 0, 1)},
				appendToReadModel, batch)
		},
	}
	f := cmd.Flags()
	f.IntVar(&dossiers, "dossiers", 0, "how many dossiers to generate (required)")
	f.Int64Var(&seed, "seed", 1, "seed of the random history: the same seed gives the same dossiers")
	f.StringVar(&from, "from", demoFrom, "first day dossiers are submitted on (YYYY-MM-DD, Vietnam)")
	f.StringVar(&to, "to", demoTo, "last day dossiers are submitted on, included; the history ends at the end of that day")
	f.StringVar(&data, "data", ".motcua", "data folder: the read model is DATA/read.db (the folder is created when missing)")
	f.StringVar(&readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file) instead of DATA/read.db")
	f.StringVar(&defs, "definitions", "definitions", "catalog folder holding procedures/ and calendars/")
	f.BoolVar(&appendToReadModel, "append", false, "add to a read model that already holds dossiers")
	f.IntVar(&batch, "batch", demoBatch, "dossiers written per transaction")
	_ = f.MarkHidden("batch")
	return cmd
}

// parseDay reads a --from or --to date.
func parseDay(flag, v string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, v, dossier.Vietnam)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--%s %q: write a date YYYY-MM-DD, e.g. %s", flag, v, demoFrom)}
	}
	return t, nil
}

// redact hides a PostgreSQL password.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		return u.Redacted()
	}
	return dsn
}

// demoLoad is one run of demo-data.
type demoLoad struct {
	s       streams
	st      *store.Store
	where   string
	total   int
	started time.Time

	// Written by the generating goroutine, read once it is done.
	dossiers, events, open, tasks           int
	processed, late, online, inPerson, mail int
	synced, complaints                      int
	seqs                                    map[[2]string]int
	// outside holds, by dossier code, the outside data (portal sync,
	// complaints) of the dossiers generated and not yet written, for
	// BulkLoad's Outside.
	outside sync.Map

	// Progress, from BulkLoad's callbacks.
	mu                   sync.Mutex
	loaded, loadedEvents int
	lastPrint            time.Time
}

func (d *demoLoad) run(ctx context.Context, cat *definitions.Catalog, cal *workcal.Calendar, opts demodata.Options,
	appendToReadModel bool, batch int,
) error {
	n, err := d.st.DossierCount(ctx, store.DossierListParams{})
	if err != nil {
		return err
	}
	if n > 0 && !appendToReadModel {
		return fmt.Errorf("the read model at %s already holds %s dossiers: demo data would mix with them; give --append to add to them, or an empty read model (--data, --read-model)",
			d.where, groupDigits(int64(n)))
	}
	used := map[[2]string]int{}
	if n > 0 {
		seqs, err := d.st.SequenceList(ctx)
		if err != nil {
			return err
		}
		for _, q := range seqs {
			used[[2]string{q.Agency, q.Day}] = q.N
		}
	}
	opts.Numbered = func(agency string, day time.Time) int { return used[[2]string{agency, day.Format(time.DateOnly)}] }
	seq, err := demodata.Generate(cat, cal, opts)
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []dossier.Projection, 2)
	var genErr error
	done := make(chan struct{})
	d.seqs = map[[2]string]int{}
	go func() {
		defer close(done)
		defer close(batches)
		var cur []dossier.Projection
		k := 0
		for dos, err := range seq {
			if err != nil {
				genErr = err
				return
			}
			d.count(&dos)
			if !dos.PortalSyncedAt.IsZero() || len(dos.Complaints) > 0 {
				d.outside.Store(dos.Code, store.Outside{PortalSyncedAt: dos.PortalSyncedAt, Complaints: dos.Complaints})
			}
			cur = append(cur, dos.Projections...)
			if k++; k == batch {
				select {
				case batches <- cur:
				case <-ctx.Done():
					return
				}
				cur, k = nil, 0
			}
		}
		if len(cur) > 0 {
			select {
			case batches <- cur:
			case <-ctx.Done():
			}
		}
	}()
	loadErr := d.st.BulkLoad(ctx, store.BulkLoadParams{Batches: batches, Committed: d.progress, Outside: d.outsideOf})
	cancel()
	<-done
	d.endProgress()

	// Move the sequences past the numbers used, even after a failure: a
	// number skipped does no harm, one handed out twice does.
	raise := make([]store.Sequence, 0, len(d.seqs))
	for k, n := range d.seqs {
		raise = append(raise, store.Sequence{Agency: k[0], Day: k[1], N: n})
	}
	raiseErr := d.st.SequenceRaise(context.WithoutCancel(ctx), raise)
	switch {
	case loadErr != nil:
		return loadErr
	case genErr != nil:
		return fmt.Errorf("generating the dossiers: %w", genErr)
	case raiseErr != nil:
		return raiseErr
	}
	d.summary(opts)
	return nil
}

// outsideOf gives BulkLoad the outside data of a dossier, once.
func (d *demoLoad) outsideOf(p *dossier.Projection) store.Outside {
	if o, ok := d.outside.LoadAndDelete(p.Code); ok {
		return o.(store.Outside)
	}
	return store.Outside{}
}

// count adds a generated dossier to the summary.
func (d *demoLoad) count(dos *demodata.Dossier) {
	st := dos.State()
	d.dossiers++
	d.events += dos.Events()
	for _, p := range dos.Projections {
		d.tasks += len(p.Tasks)
	}
	switch st.Status {
	case dossier.StatusRefused, dossier.StatusStopped, dossier.StatusReturned:
	default:
		d.open++
	}
	if st.Timeliness != "" {
		d.processed++
		if st.Timeliness == dossier.Late {
			d.late++
		}
	}
	switch st.Channel {
	case dossier.ChannelOnline:
		d.online++
	case dossier.ChannelInPerson:
		d.inPerson++
	case dossier.ChannelPostal:
		d.mail++
	}
	if !dos.PortalSyncedAt.IsZero() {
		d.synced++
	}
	d.complaints += len(dos.Complaints)
	key := [2]string{dos.Agency, dos.Day}
	d.seqs[key] = max(d.seqs[key], dos.N)
}

// progress prints what was written so far on stderr: on a terminal one
// line kept up to date, otherwise a line every ten seconds.
func (d *demoLoad) progress(c store.BulkCounts) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.loaded += c.Dossiers
	d.loadedEvents += c.Events
	tty := isTerminal(d.s.err)
	every := 10 * time.Second
	if tty {
		every = 250 * time.Millisecond
	}
	if time.Since(d.lastPrint) < every {
		return
	}
	d.lastPrint = time.Now()
	line := d.progressLine()
	if tty {
		fmt.Fprintf(d.s.err, "\r%s ", line)
	} else {
		fmt.Fprintln(d.s.err, line)
	}
}

func (d *demoLoad) progressLine() string {
	secs := max(time.Since(d.started).Seconds(), 1e-3)
	return fmt.Sprintf("%s / %s hồ sơ (%d%%) · %s hồ sơ/s · %s sự kiện/s",
		groupDigits(int64(d.loaded)), groupDigits(int64(d.total)), d.loaded*100/max(d.total, 1),
		groupDigits(int64(float64(d.loaded)/secs)), groupDigits(int64(float64(d.loadedEvents)/secs)))
}

func (d *demoLoad) endProgress() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if isTerminal(d.s.err) && !d.lastPrint.IsZero() {
		fmt.Fprintf(d.s.err, "\r%s\n", d.progressLine())
	}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// summary tells, in Vietnamese, what was written.
func (d *demoLoad) summary(opts demodata.Options) {
	secs := max(time.Since(d.started).Seconds(), 1e-3)
	pct := func(k, n int) string {
		if n == 0 {
			return "—"
		}
		return strings.Replace(strconv.FormatFloat(100*float64(k)/float64(n), 'f', 1, 64), ".", ",", 1) + "%"
	}
	w := d.s.out
	fmt.Fprintf(w, "Đã tạo dữ liệu mẫu: %s hồ sơ, %s sự kiện (%s sự kiện/hồ sơ).\n", groupDigits(int64(d.dossiers)),
		groupDigits(int64(d.events)), strings.Replace(strconv.FormatFloat(float64(d.events)/float64(max(d.dossiers, 1)), 'f', 1, 64), ".", ",", 1))
	fmt.Fprintf(w, "  Tiếp nhận từ %s đến %s, hạt giống (seed) %d.\n", opts.From.Format("02/01/2006"),
		opts.To.AddDate(0, 0, -1).Format("02/01/2006"), opts.Seed)
	fmt.Fprintf(w, "  Đúng hạn: %s số hồ sơ đã giải quyết xong (%s hồ sơ, %s trễ hạn).\n", pct(d.processed-d.late, d.processed),
		groupDigits(int64(d.processed)), groupDigits(int64(d.late)))
	fmt.Fprintf(w, "  Trực tuyến: %s (trực tiếp %s, bưu chính %s).\n", pct(d.online, d.dossiers), pct(d.inPerson, d.dossiers), pct(d.mail, d.dossiers))
	fmt.Fprintf(w, "  Còn đang giải quyết: %s hồ sơ, %s việc đang mở.\n", groupDigits(int64(d.open)), groupDigits(int64(d.tasks)))
	fmt.Fprintf(w, "  Đồng bộ lên Cổng Dịch vụ công quốc gia: %s; phản ánh, kiến nghị: %s.\n", pct(d.synced, d.dossiers),
		groupDigits(int64(d.complaints)))
	fmt.Fprintf(w, "  Đã ghi vào %s trong %s giây: %s hồ sơ/giây, %s sự kiện/giây.\n", d.where,
		strings.Replace(strconv.FormatFloat(secs, 'f', 1, 64), ".", ",", 1),
		groupDigits(int64(float64(d.dossiers)/secs)), groupDigits(int64(float64(d.events)/secs)))
}

// groupDigits writes a number the Vietnamese way, 1.700.000.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
