package reqid

import (
	"context"

	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

// WorkerInterceptor adds the request ID that the Propagator brought in to
// the loggers of workflows (workflow.GetLogger) and activities
// (activity.GetLogger). Register it in worker.Options.Interceptors.
func WorkerInterceptor() interceptor.WorkerInterceptor { return &workerInterceptor{} }

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
}

func (*workerInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	in := &activityInbound{}
	in.Next = next
	return in
}

func (*workerInterceptor) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	in := &workflowInbound{}
	in.Next = next
	return in
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *activityInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	out := &activityOutbound{}
	out.Next = outbound
	return a.Next.Init(out)
}

type activityOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
}

func (a *activityOutbound) GetLogger(ctx context.Context) log.Logger {
	l := a.Next.GetLogger(ctx)
	if id := From(ctx); id != "" {
		return log.With(l, "request_id", id)
	}
	return l
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *workflowInbound) Init(outbound interceptor.WorkflowOutboundInterceptor) error {
	out := &workflowOutbound{}
	out.Next = outbound
	return w.Next.Init(out)
}

type workflowOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

func (w *workflowOutbound) GetLogger(ctx workflow.Context) log.Logger {
	l := w.Next.GetLogger(ctx)
	if id := FromWorkflow(ctx); id != "" {
		return log.With(l, "request_id", id)
	}
	return l
}
