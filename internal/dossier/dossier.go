// Package dossier holds the types that the dossier workflow, its activities,
// the read model and the service layer share: statuses, the workflow input,
// the state a query returns, the timeline and the requests people send.
// It has no behaviour beyond small helpers, so every other package can
// import it without cycles.
package dossier

import (
	"time"

	"github.com/motcua/motcua/definitions"
)

// Status is a national portal status code (1–10).
type Status int

// The national portal's dossier statuses.
const (
	StatusNew         Status = 1  // Mới đăng ký
	StatusReceived    Status = 2  // Được tiếp nhận
	StatusRefused     Status = 3  // Không được tiếp nhận
	StatusProcessing  Status = 4  // Đang xử lý
	StatusSupplement  Status = 5  // Yêu cầu bổ sung giấy tờ
	StatusAwaitingFee Status = 6  // Yêu cầu thực hiện nghĩa vụ tài chính
	StatusWithdrawing Status = 7  // Công dân yêu cầu rút hồ sơ
	StatusStopped     Status = 8  // Dừng xử lý
	StatusProcessed   Status = 9  // Đã xử lý xong
	StatusReturned    Status = 10 // Đã trả kết quả
)

var statusNames = map[Status]string{
	StatusNew:         "Mới đăng ký",
	StatusReceived:    "Được tiếp nhận",
	StatusRefused:     "Không được tiếp nhận",
	StatusProcessing:  "Đang xử lý",
	StatusSupplement:  "Yêu cầu bổ sung giấy tờ",
	StatusAwaitingFee: "Yêu cầu thực hiện nghĩa vụ tài chính",
	StatusWithdrawing: "Công dân yêu cầu rút hồ sơ",
	StatusStopped:     "Dừng xử lý",
	StatusProcessed:   "Đã xử lý xong",
	StatusReturned:    "Đã trả kết quả",
}

// String returns the Vietnamese name of the status.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "Không xác định"
}

// Channels a dossier may arrive by, with the national portal's codes.
const (
	ChannelInPerson = "in_person" // 1
	ChannelOnline   = "online"    // 2
	ChannelPostal   = "postal"    // 3
)

// ComponentRef is a dossier component as stored: its file is kept
// content-addressed outside Temporal, only the hash travels.
type ComponentRef struct {
	ID     string `json:"id"`
	SHA256 string `json:"sha256,omitempty"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// Reused is set when the component was taken from a data store
	// (population database, earlier results) instead of being submitted.
	Reused bool `json:"reused,omitempty"`
}

// Applicant identifies who submitted the dossier. Only a reference and the
// contact used for notifications travel in the workflow.
type Applicant struct {
	ID      string `json:"id"` // the citizen's or business's identifier in the identity system
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"` // e-mail or phone for notifications
}

// Input starts a dossier workflow. The plan travels inside, so editing a
// definition never changes a running dossier.
type Input struct {
	Code       string            `json:"code"`
	Plan       *definitions.Plan `json:"plan"`
	Mode       string            `json:"mode"`
	Channel    string            `json:"channel"`
	Applicant  Applicant         `json:"applicant"`
	Form       map[string]any    `json:"form,omitempty"`
	Components []ComponentRef    `json:"components,omitempty"`
	// Delivery is how the applicant chose to receive the result: one of
	// the mode's delivery ways (e_result, postal, counter).
	Delivery   string    `json:"delivery"`
	ReceivedAt time.Time `json:"received_at"`
}

// Actor is who performs an action: a role at an agency, or the applicant.
type Actor struct {
	ID     string `json:"id"`
	Role   string `json:"role,omitempty"`   // empty for the applicant
	Agency string `json:"agency,omitempty"` // empty for the applicant
}

// RoleApplicant names the applicant in timelines and task checks.
const RoleApplicant = "applicant"

// Task is a piece of work waiting for someone.
type Task struct {
	ID       string    `json:"id"`   // unique within the dossier, e.g. "tham_dinh#2"
	Step     string    `json:"step"` // plan step id
	Kind     string    `json:"kind"` // the step kind, or "supplement", "pickup"
	Name     string    `json:"name,omitempty"`
	Role     string    `json:"role"` // who may act: a role id, or "applicant"
	Agency   string    `json:"agency,omitempty"`
	Outcomes []string  `json:"outcomes"`
	OpenedAt time.Time `json:"opened_at"`
	DueAt    time.Time `json:"due_at,omitempty"`
}

// Timeliness says how a step or a dossier finished against its due time.
type Timeliness string

// Timeliness values.
const (
	Early  Timeliness = "early"
	OnTime Timeliness = "on_time"
	Late   Timeliness = "late"
)

// Judge compares a finish time with a due time: before the due day is
// early, on the due day (not after the due instant) on time, after it late.
func Judge(finished, due time.Time) Timeliness {
	if due.IsZero() {
		return OnTime
	}
	if finished.After(due) {
		return Late
	}
	fy, fm, fd := finished.In(Vietnam).Date()
	dy, dm, dd := due.In(Vietnam).Date()
	if fy == dy && fm == dm && fd == dd {
		return OnTime
	}
	return Early
}

// Vietnam is the time zone of every date shown or computed.
var Vietnam = mustLoadLocation("Asia/Ho_Chi_Minh")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("ICT", 7*60*60)
	}
	return loc
}

// Event is one entry of a dossier's timeline (phiếu kiểm soát quá trình).
type Event struct {
	Seq        int        `json:"seq"`
	At         time.Time  `json:"at"`
	Kind       string     `json:"kind"` // see the Event* constants
	Step       string     `json:"step,omitempty"`
	Actor      Actor      `json:"actor,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	Note       string     `json:"note,omitempty"`
	Status     Status     `json:"status"`
	DueAt      time.Time  `json:"due_at,omitempty"`
	Timeliness Timeliness `json:"timeliness,omitempty"`
}

// Event kinds.
const (
	EventSubmitted         = "submitted"
	EventReceived          = "received"
	EventTaskOpened        = "task_opened"
	EventActed             = "acted"
	EventSupplementAsked   = "supplement_requested"
	EventSupplemented      = "supplemented"
	EventPaymentRequested  = "payment_requested"
	EventPaid              = "paid"
	EventConsultSent       = "consult_sent"
	EventConsultAnswered   = "consult_answered"
	EventChecked           = "checked"
	EventNotified          = "notified"
	EventSigned            = "signed"
	EventWarning           = "warning"
	EventOverdue           = "overdue"
	EventExtended          = "extended"
	EventWithdrawRequested = "withdraw_requested"
	EventStopped           = "stopped"
	EventRefused           = "refused"
	EventProcessed         = "processed"
	EventReturned          = "returned"
	EventRated             = "rated"
)

// State is what the state query returns and what an accepted action
// answers with.
type State struct {
	Code          string `json:"code"`
	ProcedureCode string `json:"procedure_code"`
	PlanHash      string `json:"plan_hash"`
	Mode          string `json:"mode"`
	Channel       string `json:"channel"`
	// Delivery is how the applicant chose to receive the result; only the
	// state query carries it.
	Delivery  string    `json:"delivery,omitempty"`
	Agency    string    `json:"agency"`
	Applicant Applicant `json:"applicant"`
	// Components are the dossier's files as now held, supplements
	// included; only their hashes, the files stay outside Temporal.
	Components []ComponentRef `json:"components,omitempty"`
	// Form is the e-form data as now held; only the state query carries
	// it, the read model does not keep it.
	Form                  map[string]any `json:"form,omitempty"`
	Status                Status         `json:"status"`
	StatusName            string         `json:"status_name"`
	ReceivedAt            time.Time      `json:"received_at"`
	AcceptedAt            time.Time      `json:"accepted_at,omitempty"`
	AppointmentAt         time.Time      `json:"appointment_at,omitempty"`
	OriginalAppointmentAt time.Time      `json:"original_appointment_at,omitempty"` // kept when extended
	Extended              bool           `json:"extended,omitempty"`
	CurrentSteps          []string       `json:"current_steps"`
	OpenTasks             []Task         `json:"open_tasks"`
	Paused                bool           `json:"paused"`
	PausedSince           time.Time      `json:"paused_since,omitempty"`
	PausedTotal           time.Duration  `json:"paused_total"` // working time spent waiting for supplements
	Supplements           int            `json:"supplements"`
	FeesDue               int64          `json:"fees_due,omitempty"`
	PaidOnline            bool           `json:"paid_online,omitempty"`
	Result                *Result        `json:"result,omitempty"`
	Rating                *Rating        `json:"rating,omitempty"`
	FinishedAt            time.Time      `json:"finished_at,omitempty"`
	ReturnedAt            time.Time      `json:"returned_at,omitempty"`
	Timeliness            Timeliness     `json:"timeliness,omitempty"`
	Timeline              []Event        `json:"timeline"`
}

// Result is the signed result of a dossier.
type Result struct {
	Code      string    `json:"code"` // <dossier code>-KQ<n>
	Kind      string    `json:"kind"` // document or none
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256,omitempty"`
	Signature string    `json:"signature,omitempty"` // base64 of the signature over the document
	SignedBy  string    `json:"signed_by,omitempty"`
	SignedAt  time.Time `json:"signed_at,omitempty"`
	Delivery  string    `json:"delivery,omitempty"` // e_result, postal or counter
	Refusal   bool      `json:"refusal,omitempty"`  // a written refusal notice instead of a result
}

// Rating is the applicant's rating of the handling.
type Rating struct {
	Satisfied bool      `json:"satisfied"`
	Comment   string    `json:"comment,omitempty"`
	At        time.Time `json:"at"`
}

// Complaint is a citizen's complaint about the handling of a dossier, as
// the citizen feedback system forwards it. It does not pass through the
// workflows: the read model keeps it (store.ComplaintAdd) for the
// satisfaction indicator.
type Complaint struct {
	// Reference is the feedback system's id of the complaint: the same
	// complaint sent twice is recorded once.
	Reference string `json:"reference"`
	// DossierCode is the dossier complained about.
	DossierCode string `json:"dossier_code"`
	// At is when the citizen complained.
	At time.Time `json:"at"`
	// Content is what the citizen wrote (Vietnamese).
	Content string `json:"content,omitempty"`
}

// Projection is what a workflow sends to the read model after a change. It
// is idempotent: events are keyed by workflow id and sequence, and the
// snapshot and open tasks replace older ones only when Seq is newer.
type Projection struct {
	// WorkflowID is the dossier code, or the id of a consultation child
	// workflow of another agency.
	WorkflowID string `json:"workflow_id"`
	// Code is the dossier code.
	Code string `json:"code"`
	// Seq is the sequence of the last event included.
	Seq int `json:"seq"`
	// Snapshot is the dossier's state without its timeline; nil for a
	// consultation child, which only projects its events and tasks.
	Snapshot *State `json:"snapshot,omitempty"`
	// Events are the timeline entries since the previous projection.
	Events []Event `json:"events"`
	// Tasks is the complete set of open tasks of the workflow after the change.
	Tasks []Task `json:"tasks"`
	// Facts are figures the indicators need that the state does not carry.
	Facts Facts `json:"facts"`
}

// Facts are per-dossier figures kept for the indicators.
type Facts struct {
	ProcedureVersion string `json:"procedure_version,omitempty"`
	ResultIsDocument bool   `json:"result_is_document,omitempty"`
	HasFee           bool   `json:"has_fee,omitempty"`
	EResult          bool   `json:"e_result,omitempty"`
	Digitised        bool   `json:"digitised,omitempty"` // every component held electronically
	ReusedComponents int    `json:"reused_components,omitempty"`
}
