// Package activities holds every side effect of a dossier: due-time
// computation over the working calendar, read-model projection,
// notifications, result signing, portal sync, payments, automated checks and
// postal delivery. Activities are methods on Activities, which holds their
// dependencies; workflows refer to them by method value.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/workcal"
)

// Store is the read model as the projection activity sees it.
type Store interface {
	ProjectionApply(ctx context.Context, p dossier.Projection) error
}

// PortalRecorder is what a Store also implements to keep which dossiers
// the national portal accepted a status push of, for the sync rate: the
// read model (*store.Store) does, and SyncPortal tells it of each accepted
// push. It is a separate interface so that a Store without it (the
// workflows' test recorders) still serves; such a Store is not told.
type PortalRecorder interface {
	// PortalSynced records that the portal accepted a push of the
	// dossier's status at that time; the earliest counts. A dossier the
	// read model does not hold yet is an error.
	PortalSynced(ctx context.Context, code string, at time.Time) error
}

// Notification is a message to the applicant or to officers of a role.
type Notification struct {
	Code    string `json:"code"`
	To      string `json:"to"`      // "applicant" or a role id
	Agency  string `json:"agency"`  // the agency of the role
	Contact string `json:"contact"` // the applicant's contact, when To is applicant
	Kind    string `json:"kind"`    // event kind that caused it
	Subject string `json:"subject"` // Vietnamese
	Body    string `json:"body"`    // Vietnamese
	// Key identifies the notification, so that a retried delivery can be
	// recognised by the receiver.
	Key string `json:"key"`
}

// Notifier delivers notifications.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// SignRequest asks for the result of a dossier to be issued and signed.
type SignRequest struct {
	Code      string             `json:"code"`
	N         int                `json:"n"` // the result's number: <code>-KQ<n>
	Procedure string             `json:"procedure"`
	Result    definitions.Result `json:"result"`
	Applicant dossier.Applicant  `json:"applicant"`
	SignedBy  dossier.Actor      `json:"signed_by"`
	Refusal   string             `json:"refusal,omitempty"` // reasons, for a refusal notice
	At        time.Time          `json:"at"`
}

// ResultIssuer produces and signs result documents.
type ResultIssuer interface {
	Issue(ctx context.Context, r SignRequest) (dossier.Result, error)
}

// PortalStatus is what the national portal is told of a dossier.
type PortalStatus struct {
	Code       string         `json:"code"`
	Procedure  string         `json:"procedure"`
	Agency     string         `json:"agency"`
	Status     dossier.Status `json:"status"`
	StatusName string         `json:"status_name"`
	Step       string         `json:"step,omitempty"`
	Seq        int            `json:"seq"`
	At         time.Time      `json:"at"`
	ResultCode string         `json:"result_code,omitempty"`
}

// Portal receives status pushes.
type Portal interface {
	PushStatus(ctx context.Context, s PortalStatus) error
}

// PaymentRequest asks the payment platform for a payment order.
type PaymentRequest struct {
	Code     string    `json:"code"`
	Amount   int64     `json:"amount"` // VND
	Fees     []string  `json:"fees"`
	Payer    string    `json:"payer"`
	Deadline time.Time `json:"deadline"`
}

// PaymentOrder is the platform's answer: where the citizen pays.
type PaymentOrder struct {
	Reference string `json:"reference"`
	URL       string `json:"url,omitempty"`
}

// Payments is the payment platform.
type Payments interface {
	RequestPayment(ctx context.Context, r PaymentRequest) (PaymentOrder, error)
}

// CheckRequest asks for a named automated check.
type CheckRequest struct {
	Code      string            `json:"code"`
	Check     string            `json:"check"`
	Applicant dossier.Applicant `json:"applicant"`
	Form      map[string]any    `json:"form,omitempty"`
}

// CheckResult is the answer of an automated check.
type CheckResult struct {
	Passed bool   `json:"passed"`
	Note   string `json:"note,omitempty"`
}

// Checker runs automated checks against other systems.
type Checker interface {
	Check(ctx context.Context, r CheckRequest) (CheckResult, error)
}

// Shipment asks the postal service to deliver a result.
type Shipment struct {
	Code       string            `json:"code"`
	ResultCode string            `json:"result_code"`
	Applicant  dossier.Applicant `json:"applicant"`
}

// Postal is the public postal service.
type Postal interface {
	Ship(ctx context.Context, s Shipment) (tracking string, err error)
}

// Activities holds the dependencies of every activity. A nil Portal turns
// portal sync off; a nil Payments, Checker or Postal makes the activities
// that need it fail with a clear error.
type Activities struct {
	Calendar *workcal.Calendar
	Store    Store
	Notifier Notifier
	Issuer   ResultIssuer
	Portal   Portal
	Payments Payments
	Checker  Checker
	Postal   Postal
	// ObserveProjection, when set, is told how long after its newest event
	// each projection reached the read model (the projection lag).
	ObserveProjection func(lag time.Duration)
}

// Deadline is a due time with the time its warning is due.
type Deadline struct {
	Due  time.Time `json:"due"`
	Warn time.Time `json:"warn"`
}

// AppointmentRequest asks for the appointment date of a dossier.
type AppointmentRequest struct {
	ReceivedAt time.Time             `json:"received_at"`
	TimeLimit  definitions.TimeLimit `json:"time_limit"`
}

// Appointment computes the appointment date (ngày hẹn trả) of a dossier
// and its warning time. The calendar changes every year, so the answer is
// recorded in history, never recomputed.
func (a *Activities) Appointment(ctx context.Context, r AppointmentRequest) (Deadline, error) {
	due, err := a.Calendar.Appointment(r.ReceivedAt, r.TimeLimit)
	if err != nil {
		return Deadline{}, err
	}
	return a.withWarning(due)
}

// StepDueRequest asks for the due time of a step.
type StepDueRequest struct {
	Start    time.Time            `json:"start"`
	Within   definitions.Duration `json:"within"`
	Counting string               `json:"counting"`
}

// StepDue computes when a step started at Start is due, and its warning.
func (a *Activities) StepDue(ctx context.Context, r StepDueRequest) (Deadline, error) {
	due, err := a.Calendar.StepDue(r.Start, r.Within, r.Counting)
	if err != nil {
		return Deadline{}, err
	}
	return a.withWarning(due)
}

func (a *Activities) withWarning(due time.Time) (Deadline, error) {
	warn, err := a.Calendar.WarningTime(due)
	if err != nil {
		return Deadline{}, err
	}
	return Deadline{Due: due, Warn: warn}, nil
}

// ShiftRequest asks how much working time a pause took and where the due
// times move to.
type ShiftRequest struct {
	PausedFrom time.Time   `json:"paused_from"`
	PausedTo   time.Time   `json:"paused_to"`
	Dues       []time.Time `json:"dues"`
}

// ShiftResult is the paused working time and the shifted deadlines, in the
// order of the request's Dues.
type ShiftResult struct {
	Paused    time.Duration `json:"paused"`
	Deadlines []Deadline    `json:"deadlines"`
}

// Shift computes the working time between the start and end of a pause and
// moves each due time forward by it.
func (a *Activities) Shift(ctx context.Context, r ShiftRequest) (ShiftResult, error) {
	paused, err := a.Calendar.WorkingTimeBetween(r.PausedFrom, r.PausedTo)
	if err != nil {
		return ShiftResult{}, err
	}
	res := ShiftResult{Paused: paused}
	for _, due := range r.Dues {
		if due.IsZero() {
			res.Deadlines = append(res.Deadlines, Deadline{})
			continue
		}
		shifted, err := a.Calendar.AddWorkingTime(due, paused)
		if err != nil {
			return ShiftResult{}, err
		}
		dl, err := a.withWarning(shifted)
		if err != nil {
			return ShiftResult{}, err
		}
		res.Deadlines = append(res.Deadlines, dl)
	}
	return res, nil
}

// Project applies a projection to the read model.
func (a *Activities) Project(ctx context.Context, p dossier.Projection) error {
	if a.Store == nil {
		return errors.New("project: no read model configured")
	}
	if err := a.Store.ProjectionApply(ctx, p); err != nil {
		return fmt.Errorf("projecting %s #%d: %w", p.WorkflowID, p.Seq, err)
	}
	if a.ObserveProjection != nil && len(p.Events) > 0 {
		a.ObserveProjection(time.Since(p.Events[len(p.Events)-1].At))
	}
	return nil
}

// Notify sends a notification.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	if a.Notifier == nil {
		return nil
	}
	if err := a.Notifier.Notify(ctx, n); err != nil {
		return fmt.Errorf("notifying %s of %s: %w", n.To, n.Code, err)
	}
	return nil
}

// IssueResult produces and signs the result (or refusal notice) of a dossier.
func (a *Activities) IssueResult(ctx context.Context, r SignRequest) (dossier.Result, error) {
	if a.Issuer == nil {
		return dossier.Result{}, errors.New("issue result: no result issuer configured")
	}
	res, err := a.Issuer.Issue(ctx, r)
	if err != nil {
		return dossier.Result{}, fmt.Errorf("issuing result of %s: %w", r.Code, err)
	}
	return res, nil
}

// SyncPortal pushes a status change to the national portal; it does
// nothing when no portal is configured. It reports whether the portal
// accepted the push, and fails (to be retried) when it did not.
//
// When the portal accepts the push and the Store is a PortalRecorder, the
// acceptance is recorded in the read model at the activity's clock. A
// failure to record it (a dossier whose projection has not reached the
// read model, the database unreachable) is logged and the activity still
// succeeds: the push went through, and a retry would push it again.
func (a *Activities) SyncPortal(ctx context.Context, s PortalStatus) (bool, error) {
	if a.Portal == nil {
		return false, nil
	}
	if err := a.Portal.PushStatus(ctx, s); err != nil {
		return false, fmt.Errorf("syncing %s status %d to the portal: %w", s.Code, s.Status, err)
	}
	if rec, ok := a.Store.(PortalRecorder); ok {
		if err := rec.PortalSynced(ctx, s.Code, time.Now()); err != nil {
			logger(ctx).Warn("portal sync not recorded in the read model: the sync rate misses it",
				"code", s.Code, "status", int(s.Status), "error", err)
		}
	}
	return true, nil
}

// logger is the activity's logger, or the default one outside an
// activity.
func logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}

// RequestPayment asks the payment platform for a payment order.
func (a *Activities) RequestPayment(ctx context.Context, r PaymentRequest) (PaymentOrder, error) {
	if a.Payments == nil {
		return PaymentOrder{}, errors.New("request payment: no payment platform configured")
	}
	o, err := a.Payments.RequestPayment(ctx, r)
	if err != nil {
		return PaymentOrder{}, fmt.Errorf("requesting payment of %d VND for %s: %w", r.Amount, r.Code, err)
	}
	return o, nil
}

// RunCheck runs a named automated check.
func (a *Activities) RunCheck(ctx context.Context, r CheckRequest) (CheckResult, error) {
	if a.Checker == nil {
		return CheckResult{}, fmt.Errorf("check %q: no checker configured", r.Check)
	}
	res, err := a.Checker.Check(ctx, r)
	if err != nil {
		return CheckResult{}, fmt.Errorf("check %q of %s: %w", r.Check, r.Code, err)
	}
	return res, nil
}

// ShipResult hands the result to the postal service and returns the
// tracking number.
func (a *Activities) ShipResult(ctx context.Context, s Shipment) (string, error) {
	if a.Postal == nil {
		return "", errors.New("ship result: no postal service configured")
	}
	tracking, err := a.Postal.Ship(ctx, s)
	if err != nil {
		return "", fmt.Errorf("shipping result %s: %w", s.ResultCode, err)
	}
	return tracking, nil
}
