package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	sdkworker "go.temporal.io/sdk/worker"

	"github.com/motcua/motcua/internal/bench/handwritten"
	"github.com/motcua/motcua/worker"
	"github.com/motcua/motcua/workflows"
)

// Memory is the resident memory a worker process needs for dossiers that
// wait on a human task, measured in a worker process of its own (the
// server and the driver stay in the benchmark's process).
type Memory struct {
	Variant  string `json:"variant"`
	Dossiers int    `json:"dossiers"`
	// StickyCacheSize is the worker's sticky cache (the SDK's default
	// when the options leave it 0).
	StickyCacheSize int `json:"sticky_cache_size"`
	// Before and After are the worker process's samples with no dossier
	// and with every dossier waiting at reception, each after a garbage
	// collection that returns freed memory to the system.
	Before MemorySample `json:"before"`
	After  MemorySample `json:"after"`
	// RSSPer10k and HeapPer10k are After minus Before, scaled to 10,000
	// dossiers, in MiB.
	RSSPer10k  float64 `json:"rss_mib_per_10k"`
	HeapPer10k float64 `json:"heap_mib_per_10k"`
	// GoroutinesPerDossier is the goroutines the cached workflows hold.
	GoroutinesPerDossier float64 `json:"goroutines_per_dossier"`
}

// MemorySample is one reading of the worker process.
type MemorySample struct {
	RSS        uint64 `json:"rss_bytes"`        // VmRSS of /proc/self/status
	HeapInuse  uint64 `json:"heap_inuse_bytes"` // runtime.MemStats.HeapInuse
	Goroutines int    `json:"goroutines"`
	// Waiting is how many dossiers the worker has projected with an
	// open task.
	Waiting int    `json:"waiting"`
	Ready   bool   `json:"ready,omitempty"`
	Error   string `json:"error,omitempty"`
}

// childConfig is the first line the memory child reads.
type childConfig struct {
	Address     string         `json:"address"`
	Namespace   string         `json:"namespace"`
	CodecKeys   string         `json:"codec_keys"`
	Definitions string         `json:"definitions"`
	Dir         string         `json:"dir"`
	Queue       string         `json:"queue"`
	Variant     string         `json:"variant"`
	Worker      worker.Options `json:"worker"`
	HeapProfile string         `json:"heap_profile,omitempty"`
}

// RunMemoryChild is the worker process of a memory measurement (`motcua
// bench` starts it as `motcua bench --memory-child`): it reads its
// configuration as one JSON line from in, starts a worker of one variant
// with the engine's activities, and answers each line "measure" with a JSON
// MemorySample on out ("count" with only its Waiting, without collecting
// garbage first), until "quit" or the end of in.
func RunMemoryChild(ctx context.Context, in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	if !lines.Scan() {
		return errors.New("memory child: no configuration on stdin")
	}
	var cfg childConfig
	if err := json.Unmarshal(lines.Bytes(), &cfg); err != nil {
		return fmt.Errorf("memory child: configuration: %w", err)
	}
	logFile, err := os.Create(filepath.Join(cfg.Dir, "child.log"))
	if err != nil {
		return fmt.Errorf("memory child: %w", err)
	}
	defer logFile.Close()
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cat, err := LoadCatalog(cfg.Definitions, filepath.Join(cfg.Dir, "definitions"))
	if err != nil {
		return err
	}
	c, err := dial(cfg.Address, cfg.Namespace, cfg.CodecKeys, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	built, err := worker.Build(ctx, worker.Config{Catalog: cat, DataDir: filepath.Join(cfg.Dir, "engine"), DevServices: true, Logger: logger})
	if err != nil {
		return err
	}
	defer built.Close()
	b := newBoard(built.Store)
	acts := *built.Activities
	acts.Store = b
	if cfg.Worker.StickyCacheSize > 0 {
		sdkworker.SetStickyWorkflowCacheSize(cfg.Worker.StickyCacheSize)
	}
	w := sdkworker.New(c, cfg.Queue, worker.SDKOptions(cfg.Worker))
	switch cfg.Variant {
	case Interpreted:
		workflows.Register(w)
	case Handwritten:
		handwritten.Register(w)
	default:
		return fmt.Errorf("memory child: unknown variant %q", cfg.Variant)
	}
	w.RegisterActivity(&acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("memory child: starting the worker: %w", err)
	}
	defer w.Stop()
	enc := json.NewEncoder(out)
	s := sample(b)
	s.Ready = true
	if err := enc.Encode(s); err != nil {
		return err
	}
	for lines.Scan() {
		switch strings.TrimSpace(lines.Text()) {
		case "measure":
			s := sample(b)
			if cfg.HeapProfile != "" && s.Waiting > 0 {
				if err := writeHeapProfile(cfg.HeapProfile); err != nil {
					s.Error = err.Error()
				}
			}
			if err := enc.Encode(s); err != nil {
				return err
			}
		case "count":
			if err := enc.Encode(MemorySample{Waiting: b.Waiting()}); err != nil {
				return err
			}
		case "quit":
			return nil
		}
	}
	return lines.Err()
}

// writeHeapProfile writes the heap profile of this process to path.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// sample collects garbage, returns it to the system and reads the
// process's memory.
func sample(b *board) MemorySample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := MemorySample{HeapInuse: ms.HeapInuse, Goroutines: runtime.NumGoroutine(), Waiting: b.Waiting()}
	rss, err := residentBytes()
	if err != nil {
		s.Error = err.Error()
	}
	s.RSS = rss
	return s
}

// residentBytes reads VmRSS from /proc/self/status.
func residentBytes() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("resident memory: %w (Linux only)", err)
	}
	for line := range bytes.Lines(data) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			break
		}
		return kb * 1024, nil
	}
	return 0, errors.New("resident memory: no VmRSS line in /proc/self/status")
}

// memoryChild is a running memory child.
type memoryChild struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *json.Decoder
	mu    sync.Mutex
	waitc chan error
}

// measure asks the child for a sample.
func (m *memoryChild) measure() (MemorySample, error) { return m.ask("measure") }

// count asks the child how many dossiers wait, without collecting garbage.
func (m *memoryChild) count() (int, error) {
	s, err := m.ask("count")
	return s.Waiting, err
}

func (m *memoryChild) ask(command string) (MemorySample, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := io.WriteString(m.in, command+"\n"); err != nil {
		return MemorySample{}, fmt.Errorf("memory child: %w", err)
	}
	return m.read()
}

func (m *memoryChild) read() (MemorySample, error) {
	var s MemorySample
	if err := m.out.Decode(&s); err != nil {
		return s, fmt.Errorf("memory child: reading its answer: %w", err)
	}
	if s.Error != "" {
		return s, fmt.Errorf("memory child: %s", s.Error)
	}
	return s, nil
}

// quit stops the child and waits for it.
func (m *memoryChild) quit() error {
	_, _ = io.WriteString(m.in, "quit\n")
	_ = m.in.Close()
	select {
	case err := <-m.waitc:
		return err
	case <-time.After(time.Minute):
		_ = m.cmd.Process.Kill()
		return <-m.waitc
	}
}

// memory starts a worker process for a variant, starts n dossiers of it
// that wait at reception, and reads the process's memory before and after.
func (e *engine) memory(ctx context.Context, v *variant, cfg Config, progress func(string, ...any)) (Memory, error) {
	n, concurrency, child := cfg.MemoryDossiers, cfg.Concurrency, cfg.MemoryChild
	m := Memory{Variant: v.name, Dossiers: n, StickyCacheSize: e.opts.StickyCacheSize}
	if m.StickyCacheSize == 0 {
		m.StickyCacheSize = defaultStickyCacheSize
	}
	if child == nil {
		return m, errors.New("memory: no command to start the worker process with")
	}
	dir := filepath.Join(e.dir, "memory-"+v.short)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return m, fmt.Errorf("memory: %w", err)
	}
	queue := "motcua-bench-memory-" + strings.ToLower(v.short)
	heap := ""
	if cfg.WorkerHeapProfile != "" {
		ext := filepath.Ext(cfg.WorkerHeapProfile)
		heap = strings.TrimSuffix(cfg.WorkerHeapProfile, ext) + "-" + strings.ToLower(v.short) + ext
		abs, err := filepath.Abs(heap)
		if err != nil {
			return m, fmt.Errorf("memory: %w", err)
		}
		heap = abs
	}
	childCfg, err := json.Marshal(childConfig{Address: e.server.FrontendAddress(), Namespace: e.server.Namespace(), CodecKeys: e.codecKeys,
		Definitions: e.definitions, Dir: dir, Queue: queue, Variant: v.name, Worker: e.opts, HeapProfile: heap})
	if err != nil {
		return m, err
	}
	c, err := startChild(child(), dir)
	if err != nil {
		return m, err
	}
	defer c.quit()
	if _, err := io.WriteString(c.in, string(childCfg)+"\n"); err != nil {
		return m, fmt.Errorf("memory child: %w", err)
	}
	if _, err := c.read(); err != nil { // ready
		return m, err
	}
	settle(ctx, time.Second)
	if m.Before, err = c.measure(); err != nil {
		return m, err
	}

	if err := e.startWaiting(ctx, c, v, queue, n, concurrency, progress); err != nil {
		return m, err
	}
	settle(ctx, 2*time.Second) // the last workflow tasks' tails
	if m.After, err = c.measure(); err != nil {
		return m, err
	}
	scale := 10000 / float64(n) / (1 << 20)
	m.RSSPer10k = (float64(m.After.RSS) - float64(m.Before.RSS)) * scale
	m.HeapPer10k = (float64(m.After.HeapInuse) - float64(m.Before.HeapInuse)) * scale
	m.GoroutinesPerDossier = float64(m.After.Goroutines-m.Before.Goroutines) / float64(n)
	return m, nil
}

// startWaiting starts n dossiers of a variant on the child's queue and
// returns once the child has every one waiting at reception. It keeps a
// window of dossiers on their way, so that the server never holds a
// backlog of thousands of workflow tasks (which it would keep in the
// database and work through far more slowly); it gives up when no dossier
// reaches its task for a while.
func (e *engine) startWaiting(ctx context.Context, c *memoryChild, v *variant, queue string, n, concurrency int, progress func(string, ...any)) error {
	const stall = 3 * time.Minute
	window := max(4*concurrency, 32)
	started, lastWaiting, lastMoved, lastTold := 0, -1, time.Now(), time.Now()
	for {
		waiting, err := c.count()
		if err != nil {
			return err
		}
		if waiting >= n {
			return nil
		}
		if waiting != lastWaiting {
			lastWaiting, lastMoved = waiting, time.Now()
		} else if time.Since(lastMoved) > stall {
			return fmt.Errorf("memory: %d of %d %s dossiers reached their reception task, and none more in %s", waiting, n, v.name, stall)
		}
		if time.Since(lastTold) > 5*time.Second {
			progress("memory, %s: %d/%d dossiers waiting at reception", v.name, waiting, n)
			lastTold = time.Now()
		}
		k := min(window-(started-waiting), n-started)
		if k <= 0 {
			settle(ctx, 100*time.Millisecond)
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		codes := make([]string, k)
		for i := range codes {
			codes[i] = fmt.Sprintf("BENCH-%s-M-%06d", v.short, started+i+1)
		}
		if err := e.startAll(ctx, v, queue, codes, concurrency); err != nil {
			return err
		}
		started += k
	}
}

// startAll starts dossiers of a variant on a queue, concurrency at a time.
func (e *engine) startAll(ctx context.Context, v *variant, queue string, codes []string, concurrency int) error {
	sem := make(chan struct{}, max(1, concurrency))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for _, code := range codes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if _, err := e.client.ExecuteWorkflow(ctx, startOptions(code, queue), v.workflowType, input(code, v.plan)); err != nil {
				mu.Lock()
				firstErr = cmpErr(firstErr, fmt.Errorf("memory: starting %s: %w", code, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}

// defaultStickyCacheSize is the SDK's sticky cache size.
const defaultStickyCacheSize = 10000

// startChild starts the memory child with pipes; its standard error goes
// to a file in dir.
func startChild(cmd *exec.Cmd, dir string) (*memoryChild, error) {
	stderr, err := os.Create(filepath.Join(dir, "child.stderr"))
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	cmd.Stderr = stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("memory: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("memory: starting the worker process %s: %w", cmd.Path, err)
	}
	c := &memoryChild{cmd: cmd, in: in, out: json.NewDecoder(out), waitc: make(chan error, 1)}
	go func() {
		err := cmd.Wait()
		stderr.Close()
		if err != nil {
			if msg, _ := os.ReadFile(stderr.Name()); len(msg) > 0 {
				err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(msg))
			}
		}
		c.waitc <- err
	}()
	return c, nil
}
