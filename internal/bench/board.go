package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/dossier"
)

// board is what the officers and citizens of the benchmark see: the open
// tasks and status of each dossier, as its projections reach the read
// model. It wraps the read model as the projection activity's Store, so a
// person acts when the task shows in the inbox, as in the office, and never
// before.
type board struct {
	next activities.Store // the read model; nil keeps the board only

	mu       sync.Mutex
	dossiers map[string]*view
	// waiting counts the dossiers with an open task.
	waiting int
}

// view is one dossier as the read model last showed it.
type view struct {
	seq       int
	tasks     []dossier.Task
	status    dossier.Status
	reference string // the payment order
	changed   chan struct{}
}

func newBoard(next activities.Store) *board {
	return &board{next: next, dossiers: map[string]*view{}}
}

// ProjectionApply applies a projection to the read model, then shows it.
func (b *board) ProjectionApply(ctx context.Context, p dossier.Projection) error {
	if b.next != nil {
		if err := b.next.ProjectionApply(ctx, p); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.view(p.Code)
	for _, e := range p.Events {
		if e.Kind == dossier.EventPaymentRequested {
			v.reference = e.Note
		}
	}
	if p.Seq > v.seq { // projections may arrive out of order
		had := len(v.tasks) > 0
		v.seq, v.tasks = p.Seq, p.Tasks
		if p.Snapshot != nil {
			v.status = p.Snapshot.Status
		}
		switch has := len(v.tasks) > 0; {
		case has && !had:
			b.waiting++
		case had && !has:
			b.waiting--
		}
	}
	close(v.changed)
	v.changed = make(chan struct{})
	return nil
}

// view returns the dossier's view, creating it; b.mu is held.
func (b *board) view(code string) *view {
	v := b.dossiers[code]
	if v == nil {
		v = &view{changed: make(chan struct{})}
		b.dossiers[code] = v
	}
	return v
}

// Waiting returns how many dossiers have an open task.
func (b *board) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}

// forget drops a dossier that will not be looked at again.
func (b *board) forget(code string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if v := b.dossiers[code]; v != nil && len(v.tasks) > 0 {
		b.waiting--
	}
	delete(b.dossiers, code)
}

// waitTask waits until a task with the given id is open on the dossier and
// returns the payment reference the dossier was given, if any.
func (b *board) waitTask(ctx context.Context, code, taskID string) (string, error) {
	var ref string
	err := b.wait(ctx, code, func(v *view) bool {
		ref = v.reference
		return slices.ContainsFunc(v.tasks, func(t dossier.Task) bool { return t.ID == taskID })
	})
	if err != nil {
		return "", fmt.Errorf("waiting for task %s of %s: %w", taskID, code, err)
	}
	return ref, nil
}

// waitStatus waits until the dossier shows the status.
func (b *board) waitStatus(ctx context.Context, code string, s dossier.Status) error {
	if err := b.wait(ctx, code, func(v *view) bool { return v.status == s }); err != nil {
		return fmt.Errorf("waiting for %s to be %s: %w", code, s, err)
	}
	return nil
}

func (b *board) wait(ctx context.Context, code string, ok func(*view) bool) error {
	for {
		b.mu.Lock()
		v := b.view(code)
		if ok(v) {
			b.mu.Unlock()
			return nil
		}
		ch := v.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
