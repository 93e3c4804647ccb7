package clustertest

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// process is a child process whose output is kept (in memory and in a
// log file) and watched for the line saying it is ready.
type process struct {
	name   string
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []string
	exited chan error
	done   bool
}

// startProcess runs bin with args, appends its output to logPath, and
// waits (up to wait) for a line starting with ready; "" means no wait.
func startProcess(t *testing.T, name, logPath, ready string, wait time.Duration, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("%s: log file: %v", name, err)
	}
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.Env = append(os.Environ(), "MOTCUA_CONFIG=") // nothing from the caller's environment file
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: starting %s: %v", name, bin, err)
	}
	readyCh := make(chan struct{})
	var once sync.Once
	go func() {
		defer logFile.Close()
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = logFile.WriteString(line + "\n")
			p.mu.Lock()
			p.lines = append(p.lines, line)
			if len(p.lines) > 400 {
				p.lines = p.lines[len(p.lines)-200:]
			}
			p.mu.Unlock()
			if ready != "" && strings.Contains(line, ready) {
				once.Do(func() { close(readyCh) })
			}
		}
	}()
	go func() {
		err := p.cmd.Wait()
		pw.Close()
		p.exited <- err
	}()
	t.Cleanup(func() { p.stop(syscall.SIGKILL) })
	if ready == "" {
		return p
	}
	select {
	case <-readyCh:
	case err := <-p.exited:
		p.done = true
		t.Fatalf("%s exited before it was ready: %v\n%s", name, err, p.tail())
	case <-time.After(wait):
		t.Fatalf("%s was not ready after %s:\n%s", name, wait, p.tail())
	}
	return p
}

// tail is the last lines of the process's output.
func (p *process) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := p.lines
	if len(lines) > 60 {
		lines = lines[len(lines)-60:]
	}
	return strings.Join(lines, "\n")
}

// stop sends sig and waits for the process to exit (SIGKILL after 60 s).
func (p *process) stop(sig syscall.Signal) {
	if p.done {
		return
	}
	p.done = true
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}
