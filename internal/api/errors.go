package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"go.temporal.io/api/serviceerror"

	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/service"
)

// Error codes: stable strings clients can branch on.
const (
	CodeBadRequest       = "bad_request"            // 400: malformed JSON, form or query
	CodeUnauthenticated  = "unauthenticated"        // 401: no or bad credential or signature
	CodeForbidden        = "forbidden"              // 403: known caller, not allowed
	CodeNotFound         = "not_found"              // 404
	CodeMethodNotAllowed = "method_not_allowed"     // 405
	CodeConflict         = "conflict"               // 409: the dossier refused the action in its state
	CodeTooLarge         = "payload_too_large"      // 413
	CodeUnsupportedType  = "unsupported_media_type" // 415
	CodeValidation       = "validation_failed"      // 422: well-formed, but wrong for the procedure
	CodeInternal         = "internal"               // 500
	CodeUnavailable      = "unavailable"            // 503: Temporal or the read model unreachable
)

// Error is the body of every error answer, under "error".
type Error struct {
	// Status is the HTTP status; not in the body.
	Status int `json:"-"`
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Message says what is wrong, for a person.
	Message string `json:"message"`
	// Field names the field at fault, when there is one: a JSON field, a
	// form field id, a component id, a query parameter or a header.
	Field string `json:"field,omitempty"`
	// Problems lists every problem of a submission (422).
	Problems []service.Problem `json:"problems,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// ErrorBody is an error answer.
type ErrorBody struct {
	Error     *Error `json:"error"`
	RequestID string `json:"request_id"`
}

func errorf(status int, code, field, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func badRequest(field, format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, CodeBadRequest, field, format, args...)
}

func notFound(format string, args ...any) *Error {
	return errorf(http.StatusNotFound, CodeNotFound, "", format, args...)
}

// toError maps what a handler returned to the answer; internal reports
// whether it is a failure of ours, which is logged in full while the
// client gets a request ID to quote.
func toError(err error) (e *Error, internal bool) {
	var (
		ae    *Error
		den   *access.Denied
		cred  *auth.CredentialError
		verr  *service.ValidationError
		rej   *service.RejectedError
		big   *http.MaxBytesError
		unav  *serviceerror.Unavailable
		dline *serviceerror.DeadlineExceeded
	)
	switch {
	case errors.As(err, &ae):
		return ae, ae.Status >= 500
	case errors.As(err, &den):
		return errorf(http.StatusForbidden, CodeForbidden, "", "%s", den.Message), false
	case errors.Is(err, auth.ErrNoCredential):
		return errorf(http.StatusUnauthorized, CodeUnauthenticated, "Authorization",
			"sign in: send 'Authorization: Bearer <token>'"), false
	case errors.As(err, &cred):
		return errorf(http.StatusUnauthorized, CodeUnauthenticated, "Authorization", "%s", cred.Error()), false
	case errors.As(err, &verr):
		e := &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: verr.Error(), Problems: verr.Problems}
		if len(verr.Problems) > 0 {
			e.Field = verr.Problems[0].Field
		}
		return e, false
	case errors.As(err, &rej):
		return errorf(http.StatusConflict, CodeConflict, "", "%s", rej.Message), false
	case errors.Is(err, service.ErrNotFound):
		return errorf(http.StatusNotFound, CodeNotFound, "", "%s", err.Error()), false
	case errors.As(err, &big):
		return errorf(http.StatusRequestEntityTooLarge, CodeTooLarge, "",
			"the request body is larger than %d bytes", big.Limit), false
	case errors.As(err, &unav), errors.As(err, &dline), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, CodeUnavailable, "",
			"the engine did not answer in time; try again in a moment"), true
	}
	return errorf(http.StatusInternalServerError, CodeInternal, "", "internal error"), true
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
