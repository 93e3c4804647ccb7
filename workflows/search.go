package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Search attributes of dossier workflows; the server must have them
// registered (the embedded server does it at start).
var (
	SearchProcedure   = temporal.NewSearchAttributeKeyKeyword("MotcuaProcedure")
	SearchAgency      = temporal.NewSearchAttributeKeyKeyword("MotcuaAgency")
	SearchStatus      = temporal.NewSearchAttributeKeyInt64("MotcuaStatus")
	SearchMode        = temporal.NewSearchAttributeKeyKeyword("MotcuaMode")
	SearchAppointment = temporal.NewSearchAttributeKeyTime("MotcuaAppointment")
)

// SearchAttributes lists every search attribute key, for registration.
var SearchAttributes = []temporal.SearchAttributeKey{SearchProcedure, SearchAgency, SearchStatus, SearchMode, SearchAppointment}

// upsertSearch keeps the search attributes in step with the state; it
// writes only what changed.
func (r *run) upsertSearch(ctx workflow.Context) error {
	var updates []temporal.SearchAttributeUpdate
	if !r.searchSet {
		updates = append(updates, SearchProcedure.ValueSet(r.plan.Code), SearchAgency.ValueSet(r.plan.Agency), SearchMode.ValueSet(r.in.Mode))
		r.searchSet = true
	}
	if int64(r.st.Status) != r.searchStatus {
		r.searchStatus = int64(r.st.Status)
		updates = append(updates, SearchStatus.ValueSet(r.searchStatus))
	}
	if !r.st.AppointmentAt.Equal(r.searchAppointment) {
		r.searchAppointment = r.st.AppointmentAt
		updates = append(updates, SearchAppointment.ValueSet(r.searchAppointment))
	}
	if len(updates) == 0 {
		return nil
	}
	return workflow.UpsertTypedSearchAttributes(ctx, updates...)
}
