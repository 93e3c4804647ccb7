package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
)

// Names of the workflow types, queries and updates.
const (
	DossierWorkflow      = "Dossier"
	ConsultationWorkflow = "Consultation"

	QueryState = "state"

	UpdateAct        = "act"
	UpdateSupplement = "supplement"
	UpdateWithdraw   = "withdraw"
	UpdateRate       = "rate"
	UpdatePay        = "pay"
	UpdateExtend     = "extend"
)

// TaskQueue is the task queue of the competent agencies' dossiers.
const TaskQueue = "motcua"

// AgencyTaskQueue is the task queue on which an agency's consultations run.
func AgencyTaskQueue(agency string) string { return "motcua-agency-" + agency }

// Outcomes with a meaning of their own, beside those a definition names.
const (
	OutcomeAccept     = "accept"
	OutcomeRefuse     = "refuse"
	OutcomeSupplement = "supplement"
	OutcomeReturned   = "returned" // the citizen collected the result at the counter
	OutcomeStop       = "stop"     // the stop notice after a withdrawal
)

// ActRequest is an officer's action on an open task.
type ActRequest struct {
	Task    string        `json:"task" validate:"required"`
	Outcome string        `json:"outcome" validate:"required"`
	Actor   dossier.Actor `json:"actor"`
	Note    string        `json:"note,omitempty" validate:"max=2000"`
	// Items lists what is missing or wrong, for a supplement request.
	Items []string `json:"items,omitempty" validate:"omitempty,max=50,dive,required,max=500"`
}

// SupplementRequest is the applicant's supplement.
type SupplementRequest struct {
	Actor      dossier.Actor          `json:"actor"`
	Components []dossier.ComponentRef `json:"components,omitempty" validate:"dive"`
	Form       map[string]any         `json:"form,omitempty"`
	Note       string                 `json:"note,omitempty" validate:"max=2000"`
}

// WithdrawRequest is the applicant's request to withdraw the dossier.
type WithdrawRequest struct {
	Actor  dossier.Actor `json:"actor"`
	Reason string        `json:"reason" validate:"required,max=2000"`
}

// RateRequest is the applicant's rating after the result.
type RateRequest struct {
	Actor     dossier.Actor `json:"actor"`
	Satisfied bool          `json:"satisfied"`
	Comment   string        `json:"comment,omitempty" validate:"max=2000"`
}

// PayRequest confirms a payment, as the payment platform reports it.
type PayRequest struct {
	Reference string `json:"reference" validate:"required"`
	Amount    int64  `json:"amount" validate:"gte=0"`
	Online    bool   `json:"online"`
}

// ExtendRequest moves the appointment once, with the apology letter's reason.
type ExtendRequest struct {
	Actor          dossier.Actor `json:"actor"`
	NewAppointment time.Time     `json:"new_appointment" validate:"required"`
	Reason         string        `json:"reason" validate:"required,max=2000"`
}

// ConsultationInput starts a consultation of another agency.
type ConsultationInput struct {
	DossierCode string               `json:"dossier_code"`
	WorkflowID  string               `json:"workflow_id"`
	Procedure   string               `json:"procedure"`
	Step        definitions.PlanStep `json:"step"`
	Counting    string               `json:"counting"`
	From        string               `json:"from"` // the agency asking
}

// ConsultationResult is the other agency's answer.
type ConsultationResult struct {
	Outcome    string             `json:"outcome"`
	Note       string             `json:"note,omitempty"`
	Actor      dossier.Actor      `json:"actor"`
	At         time.Time          `json:"at"`
	Timeliness dossier.Timeliness `json:"timeliness"`
}

// workflowOptions registers a workflow function under its stable name.
func workflowOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

// Registry is where workflows are registered: a worker, or the SDK's test
// environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
}

// Register registers the Dossier and Consultation workflows under their
// names.
func Register(r Registry) {
	r.RegisterWorkflowWithOptions(Dossier, workflowOptions(DossierWorkflow))
	r.RegisterWorkflowWithOptions(Consultation, workflowOptions(ConsultationWorkflow))
}
