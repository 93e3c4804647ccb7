package api

import (
	"net/http"
	"slices"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/analysis"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/indicators"
	"github.com/motcua/motcua/internal/signing"
	"github.com/motcua/motcua/internal/store"
)

// Common error statuses of signed-in routes.
var (
	authErrs    = []int{http.StatusUnauthorized}
	readErrs    = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound}
	actionErrs  = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}
	callbackErr = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}
	// The feedback callback refuses nothing in the dossier's state.
	feedbackErrs = []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity}
)

var pageParams = []param{
	{name: "page", doc: "Page number, from 1.", integer: true},
	{name: "per_page", doc: "Items per page, 1–200 (default 50).", integer: true},
}

// table declares every route of the API.
func (s *Server) table() []*route {
	return []*route{
		{method: "GET", pattern: "/healthz", id: "health", tag: "operations", access: public,
			summary: "The process is up.", result: Health{}, handle: s.health},
		{method: "GET", pattern: "/readyz", id: "ready", tag: "operations", access: public,
			summary: "The read model and Temporal answer.", result: Health{}, errors: []int{http.StatusServiceUnavailable}, handle: s.readyz},
		{method: "GET", pattern: "/metrics", id: "metrics", tag: "operations", access: public,
			summary: "Prometheus metrics.", produces: "text/plain", handle: s.serveMetrics},
		{method: "POST", pattern: "/codec/encode", id: "codecEncode", tag: "operations", access: signedIn, action: "codec.encode",
			summary: "Seal payloads with the payload codec (administrators; Temporal's remote codec protocol).",
			body:    CodecPayloads{}, result: CodecPayloads{}, errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge},
			handle: s.codecRoute},
		{method: "POST", pattern: "/codec/decode", id: "codecDecode", tag: "operations", access: signedIn, action: "codec.decode",
			summary: "Open payloads sealed by the payload codec, for the Temporal UI and CLI (administrators; every use is audited).",
			body:    CodecPayloads{}, result: CodecPayloads{}, errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusRequestEntityTooLarge},
			handle: s.codecRoute},
		{method: "OPTIONS", pattern: "/codec/encode", id: "codecEncodePreflight", tag: "operations", access: public, status: http.StatusNoContent,
			summary: "CORS preflight of the codec endpoint, for the origins the server allows.", errors: []int{http.StatusForbidden},
			handle: s.codecPreflight},
		{method: "OPTIONS", pattern: "/codec/decode", id: "codecDecodePreflight", tag: "operations", access: public, status: http.StatusNoContent,
			summary: "CORS preflight of the codec endpoint, for the origins the server allows.", errors: []int{http.StatusForbidden},
			handle: s.codecPreflight},
		{method: "GET", pattern: "/openapi.json", id: "openapi", tag: "operations", access: public,
			summary: "This document.", produces: "application/json", handle: s.serveOpenAPI},

		{method: "GET", pattern: "/v1/me", id: "me", tag: "account", access: signedIn,
			summary: "Who the credential belongs to.", result: Me{}, errors: authErrs, handle: s.me},

		{method: "GET", pattern: "/v1/procedures", id: "listProcedures", tag: "catalog", access: signedIn,
			summary: "The catalog of procedures.", result: ProcedureList{}, errors: []int{http.StatusBadRequest, http.StatusUnauthorized},
			query: []param{
				{name: "sector", doc: "Only procedures of this sector (exact)."},
				{name: "level", doc: "Only procedures of this agency level.", enum: []string{"province", "district", "commune"}},
				{name: "mode", doc: "Only procedures offering this mode.", enum: []string{"full_online", "partial_online"}},
			}, handle: s.listProcedures},
		{method: "GET", pattern: "/v1/procedures/{code}", id: "getProcedure", tag: "catalog", access: signedIn,
			summary: "One procedure: components, fees, time limits and steps of each mode.", result: Procedure{}, errors: readErrs, handle: s.getProcedure},
		{method: "GET", pattern: "/v1/procedures/{code}/diagram", id: "getProcedureDiagram", tag: "catalog", access: signedIn,
			summary: "The diagram of one mode: SVG, Mermaid or Graphviz DOT.", produces: "image/svg+xml", errors: readErrs,
			query: []param{
				{name: "mode", doc: "The mode; default the procedure's first."},
				{name: "format", doc: "Default svg.", enum: []string{"svg", "mermaid", "dot"}},
			}, handle: s.getDiagram},
		{method: "GET", pattern: "/v1/procedures/{code}/analysis", id: "getProcedureAnalysis", tag: "indicators", access: signedIn,
			summary: "The versions of a procedure compared (re-engineering evidence): per version the on-time rate, handling time (mean, median, 90th percentile), each step's working time against its allotted time and share of the lateness (the bottleneck), supplements per component, in-person visits; then two versions before and after. What `motcua analyze --format json` prints. Analysts and administrators only: it spans every agency handling the procedure. 404 when the procedure has no dossier in the period.", result: analysis.Analysis{},
			errors: readErrs, query: analysisParams, handle: s.getAnalysis},
		{method: "GET", pattern: "/v1/procedures/{code}/analysis/chart", id: "getProcedureAnalysisChart", tag: "indicators", access: signedIn,
			summary: "The steps of the later version compared (or of the only one) drawn: each step's median working time next to its allotted time, SVG or PNG (404 when there is nothing to draw). Who reads it as for the analysis.", errors: readErrs,
			produces: "image/svg+xml", alsoProduces: []string{"image/png"}, query: analysisChartParams, handle: s.getAnalysisChart},

		{method: "POST", pattern: "/v1/dossiers", id: "submitDossier", tag: "dossiers", access: signedIn, action: "dossier.submit",
			status: http.StatusCreated, summary: "Submit a dossier: multipart/form-data with the form fields and one file per component, or JSON without files. An Idempotency-Key header makes it safe to send again: the same key answers with the first attempt's dossier.",
			body: SubmitBody{}, multipart: true, result: dossier.State{}, errors: actionErrs, handle: s.submit},
		{method: "GET", pattern: "/v1/dossiers", id: "listDossiers", tag: "dossiers", access: signedIn,
			summary: "Dossiers the caller may see: a citizen's own, an officer's agency's, all for an admin.", result: DossierList{}, errors: readErrs,
			query: append([]param{
				{name: "status", doc: "National status 1–10.", integer: true},
				{name: "procedure", doc: "Procedure code."},
			}, pageParams...), handle: s.listDossiers},
		{method: "GET", pattern: "/v1/dossiers/{code}", id: "getDossier", tag: "dossiers", access: signedIn,
			summary: "A dossier's state and timeline.", result: dossier.State{}, errors: readErrs, handle: s.getDossier},
		{method: "GET", pattern: "/v1/dossiers/{code}/files/{sha256}", id: "getDossierFile", tag: "dossiers", access: signedIn, action: "dossier.file",
			summary: "Download a component file of the dossier by its SHA-256.", produces: "application/octet-stream", errors: readErrs, handle: s.getFile},
		{method: "POST", pattern: "/v1/dossiers/{code}/supplement", id: "supplementDossier", tag: "dossiers", access: signedIn, action: "dossier.supplement",
			summary: "The applicant's supplement: files and/or form fields (multipart/form-data or JSON).", body: SupplementBody{}, multipart: true,
			result: dossier.State{}, errors: actionErrs, handle: s.supplement},
		{method: "POST", pattern: "/v1/dossiers/{code}/withdraw", id: "withdrawDossier", tag: "dossiers", access: signedIn, action: "dossier.withdraw",
			summary: "The applicant asks to withdraw the dossier.", body: WithdrawBody{}, result: dossier.State{}, errors: actionErrs, handle: s.withdraw},
		{method: "POST", pattern: "/v1/dossiers/{code}/rating", id: "rateDossier", tag: "dossiers", access: signedIn, action: "dossier.rate",
			summary: "The applicant rates the handling after the result.", body: RatingBody{}, result: dossier.State{}, errors: actionErrs, handle: s.rate},
		{method: "POST", pattern: "/v1/dossiers/{code}/actions", id: "actOnTask", tag: "officers", access: signedIn, action: "dossier.act",
			summary: "An officer acts on an open task (accept, supplement, approve …).", body: ActBody{}, result: dossier.State{}, errors: actionErrs, handle: s.act},
		{method: "POST", pattern: "/v1/dossiers/{code}/extension", id: "extendDossier", tag: "officers", access: signedIn, action: "dossier.extend",
			summary: "Move the appointment once, with the apology's reason.", body: ExtendBody{}, result: dossier.State{}, errors: actionErrs, handle: s.extend},
		{method: "GET", pattern: "/v1/dossiers/{code}/result", id: "getResult", tag: "dossiers", access: signedIn, action: "dossier.result",
			summary: "Download the signed result document.", produces: "application/json", errors: readErrs, handle: s.getResult},
		{method: "GET", pattern: "/v1/dossiers/{code}/result/signature", id: "getResultSignature", tag: "dossiers", access: signedIn,
			summary: "Download the detached signature of the result.", produces: "application/json", errors: readErrs, handle: s.getResultSignature},
		{method: "GET", pattern: "/v1/dossiers/{code}/result/verification", id: "verifyResult", tag: "dossiers", access: signedIn,
			summary: "Verify the result's signature.", result: signing.VerifiedSignature{}, errors: readErrs, handle: s.verifyResult},

		{method: "GET", pattern: "/v1/inbox", id: "inbox", tag: "officers", access: signedIn,
			summary: "Open tasks for the caller's roles at their agency: overdue first, then by due time.", result: Inbox{}, errors: readErrs,
			query: append([]param{
				{name: "procedure", doc: "Procedure code."},
				{name: "due", doc: "overdue, soon (within 24 h) or on_time.", enum: []string{"overdue", "soon", "on_time"}},
				{name: "code", doc: "Dossier code or its beginning."},
			}, pageParams...), handle: s.inbox},

		{method: "GET", pattern: "/v1/reports", id: "getReport", tag: "indicators", access: signedIn,
			summary: "The indicators of a period (Decision 766/QĐ-TTg), each with its numerator, denominator and formula: what `motcua report --format json` prints. Analysts and administrators read every agency's, officers their own agency's.", result: indicators.Report{},
			errors: []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden}, query: reportParams, handle: s.getReport},
		{method: "GET", pattern: "/v1/reports/chart", id: "getReportChart", tag: "indicators", access: signedIn,
			summary: "The indicators of a period drawn: the monthly on-time trend or the channel mix, SVG or PNG (404 when there is nothing to draw). Who reads what as for /v1/reports.", errors: readErrs,
			produces: "image/svg+xml", alsoProduces: []string{"image/png"}, query: slices.Concat(reportParams, chartParams), handle: s.getReportChart},

		{method: "GET", pattern: "/v1/audit", id: "audit", tag: "operations", access: signedIn,
			summary: "The audit log, newest first (administrators).", result: AuditList{}, errors: readErrs,
			query: append([]param{
				{name: "subject", doc: "Who."}, {name: "target", doc: "The dossier code."},
				{name: "decision", doc: "accepted, denied or failed.", enum: []string{"accepted", "denied", "failed"}},
				{name: "action", doc: "e.g. dossier.act."},
			}, pageParams...), handle: s.auditList},

		{method: "POST", pattern: "/v1/callbacks/payments", id: "paymentCallback", tag: "callbacks", access: signed, action: "callback.payment",
			summary: "The payment platform reports a payment (HMAC-signed: X-Motcua-Timestamp, X-Motcua-Signature).", body: PaymentCallback{},
			result: CallbackAnswer{}, errors: callbackErr, handle: s.paymentCallback},
		{method: "POST", pattern: "/v1/callbacks/portal", id: "portalCallback", tag: "callbacks", access: signed, action: "callback.portal",
			summary: "The national portal acknowledges a status sync (HMAC-signed).", body: PortalCallback{},
			result: CallbackAnswer{}, errors: callbackErr, handle: s.portalCallback},
		{method: "POST", pattern: "/v1/callbacks/notifications", id: "notificationCallback", tag: "callbacks", access: signed, action: "callback.notification",
			summary: "The notification service reports a delivery (HMAC-signed).", body: NotificationCallback{},
			result: CallbackAnswer{}, errors: callbackErr, handle: s.notificationCallback},
		{method: "POST", pattern: "/v1/callbacks/feedback", id: "feedbackCallback", tag: "callbacks", access: signed, action: "callback.feedback",
			summary: "The citizen feedback system sends a complaint about a dossier (HMAC-signed), counted by the satisfaction indicator: `recorded`, or `duplicate` for a reference already recorded (nothing changes); 404 when the read model holds no such dossier.", body: FeedbackCallback{},
			result: CallbackAnswer{}, errors: feedbackErrs, handle: s.feedbackCallback},
	}
}

// Health answers /healthz and /readyz.
type Health struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// Me is the caller.
type Me struct {
	Subject     string   `json:"subject"`
	Name        string   `json:"name,omitempty"`
	Kind        string   `json:"kind"`
	Roles       []string `json:"roles,omitempty"`
	Agency      string   `json:"agency,omitempty"`
	ApplicantID string   `json:"applicant_id,omitempty"`
	// Authenticator is how the caller was recognised: tokens or oidc.
	Authenticator string `json:"authenticator"`
}

// ProcedureList is the catalog.
type ProcedureList struct {
	Items []ProcedureSummary `json:"items"`
}

// ProcedureSummary is one procedure of the catalog.
type ProcedureSummary struct {
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	Sector        string   `json:"sector"`
	Level         string   `json:"level"`
	Agency        string   `json:"agency"`
	Version       string   `json:"version"`
	Hash          string   `json:"hash"`
	EffectiveFrom string   `json:"effective_from"`
	Modes         []string `json:"modes"`
	FullOnline    bool     `json:"full_online"`
}

// Procedure is one procedure with its compiled plan.
type Procedure struct {
	ProcedureSummary
	Plan *definitions.Plan `json:"plan"`
	// Diagrams link the SVG diagram of each mode.
	Diagrams map[string]string `json:"diagrams"`
}

// DossierList is a page of dossiers.
type DossierList struct {
	Items   []dossier.State `json:"items"`
	Total   int             `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"per_page"`
}

// Inbox is a page of open tasks.
type Inbox struct {
	Items   []store.TaskRow `json:"items"`
	Total   int             `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"per_page"`
}

// AuditList is a page of the audit log.
type AuditList struct {
	Items   []store.AuditEntry `json:"items"`
	Page    int                `json:"page"`
	PerPage int                `json:"per_page"`
}

// CallbackAnswer acknowledges a callback.
type CallbackAnswer struct {
	Status string `json:"status"` // "confirmed", "recorded" or "duplicate"
}
