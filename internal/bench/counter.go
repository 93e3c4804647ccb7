package bench

import (
	"context"
	"maps"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
)

// activityCounter is a worker interceptor that counts the activities a
// worker runs, by type; local activities are counted as "Type (local)".
type activityCounter struct {
	interceptor.WorkerInterceptorBase
	mu     sync.Mutex
	counts map[string]int
}

func newActivityCounter() *activityCounter { return &activityCounter{counts: map[string]int{}} }

// InterceptActivity counts each activity before it runs.
func (c *activityCounter) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &countingActivity{c: c}
	i.Next = next
	return i
}

// take returns the counts since the last take and starts again.
func (c *activityCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := maps.Clone(c.counts)
	clear(c.counts)
	return out
}

type countingActivity struct {
	interceptor.ActivityInboundInterceptorBase
	c *activityCounter
}

func (i *countingActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	name := info.ActivityType.Name
	if info.IsLocalActivity {
		name += " (local)"
	}
	i.c.mu.Lock()
	i.c.counts[name]++
	i.c.mu.Unlock()
	return i.Next.ExecuteActivity(ctx, in)
}
