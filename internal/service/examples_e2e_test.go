package service_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

// TestExampleProceduresEndToEnd drives every example procedure of the
// catalog, in every mode it offers, from submission to rating through the
// service layer on a real in-process Temporal server: the submission is
// built from the plan alone (form values that satisfy each field's type
// and rules, a file or a re-use for every component), then every open task
// is done as the happy path goes — the first outcome of officers' tasks
// (consultations of other agencies included), the fees paid with the
// payment platform's reference — until the result is returned and rated.
func TestExampleProceduresEndToEnd(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service

	plans := slices.Clone(env.Catalog.Plans())
	slices.SortFunc(plans, func(a, b *definitions.Plan) int { return strings.Compare(a.Code, b.Code) })
	require.NotEmpty(t, plans)
	runs := 0
	for _, plan := range plans {
		require.NotEmpty(t, plan.Modes, "procedure %s offers no mode", plan.Code)
		for _, mp := range plan.Modes {
			runs++
			t.Run(plan.Code+"/"+mp.Mode, func(t *testing.T) {
				runExample(t, env, svc, plan, mp)
			})
		}
	}
	t.Logf("drove %d procedure/mode pairs of %d procedures", runs, len(plans))
}

// runExample submits a generic dossier of one mode of a plan and drives it
// to a rated result.
func runExample(t *testing.T, env *servicetest.Env, svc *service.Service, plan *definitions.Plan, mp definitions.ModePlan) {
	require.NotEmpty(t, mp.Channels)
	require.NotEmpty(t, mp.Delivery)
	req := servicetest.ExampleRequest(t, plan, mp)
	st, err := svc.Submit(ctx(t), req)
	require.NoError(t, err, "submitting %s in mode %s with form %v", plan.Code, mp.Mode, req.Form)
	code := st.Code
	require.Equal(t, dossier.StatusNew, st.Status)
	require.Equal(t, plan.Code, st.ProcedureCode)
	require.Equal(t, mp.Mode, st.Mode)

	roleAgency := map[string]string{}
	for _, r := range plan.Roles {
		roleAgency[r.ID] = r.Agency
	}
	officer := func(task dossier.Task) dossier.Actor {
		agency := roleAgency[task.Role]
		require.NotEmpty(t, agency, "task %s of %s: role %q is not a role of the plan", task.ID, code, task.Role)
		return dossier.Actor{ID: "cb-" + task.Role, Role: task.Role, Agency: agency}
	}

	acted := map[string]bool{} // workflow id | task id
	var steps []string         // what was done, for failure messages
	paid := false
	deadline := time.Now().Add(60 * time.Second)
	for {
		st, err = svc.Status(ctx(t), code)
		require.NoError(t, err)
		if st.Status == dossier.StatusReturned {
			break
		}
		require.NotContains(t, []dossier.Status{dossier.StatusRefused, dossier.StatusStopped, dossier.StatusSupplement,
			dossier.StatusWithdrawing}, st.Status, "%s left the happy path after %v; timeline %+v", code, steps, st.Timeline)
		if time.Now().After(deadline) {
			t.Fatalf("%s did not finish within 60 s: status %d, current steps %v, open tasks %+v, done %v",
				code, st.Status, st.CurrentSteps, st.OpenTasks, steps)
		}

		progressed := false
		for _, task := range st.OpenTasks {
			key := code + "|" + task.ID
			if acted[key] {
				continue
			}
			switch {
			case task.Kind == definitions.KindPay:
				require.Equal(t, dossier.RoleApplicant, task.Role)
				require.Equal(t, dossier.StatusAwaitingFee, st.Status)
				require.Positive(t, st.FeesDue, "a payment task opened for no fee")
				ref := paymentReference(st, task.Step)
				require.NotEmpty(t, ref, "%s: no payment_requested event for step %s", code, task.Step)
				require.Equal(t, "PAY-"+code, ref, "the reference is the payment stand-in's")
				_, err := svc.Pay(ctx(t), code, workflows.PayRequest{Reference: ref, Amount: st.FeesDue,
					Online: st.Channel == dossier.ChannelOnline})
				require.NoError(t, err, "paying %d VND on %s", st.FeesDue, code)
				paid = true
				steps = append(steps, task.ID+":paid")
			case task.Role == dossier.RoleApplicant:
				t.Fatalf("%s: unexpected applicant task %+v on the happy path (done %v)", code, task, steps)
			default:
				require.NotEmpty(t, task.Outcomes, "task %s of %s has no outcome", task.ID, code)
				_, err := svc.Act(ctx(t), code, workflows.ActRequest{Task: task.ID, Outcome: task.Outcomes[0],
					Actor: officer(task), Note: "Đồng ý"})
				require.NoError(t, err, "acting %s on task %s of %s", task.Outcomes[0], task.ID, code)
				steps = append(steps, task.ID+":"+task.Outcomes[0])
			}
			acted[key] = true
			progressed = true
		}
		if progressed {
			continue
		}

		// Consultations of other agencies hold their tasks in their own
		// workflows: the inbox (read model) lists them.
		rows, err := svc.Tasks(ctx(t), service.TasksRequest{Limit: 500})
		require.NoError(t, err)
		for _, row := range rows {
			key := row.WorkflowID + "|" + row.ID
			if row.DossierCode != code || row.WorkflowID == code || acted[key] {
				continue
			}
			require.NotEqual(t, dossier.RoleApplicant, row.Role)
			require.NotEmpty(t, row.Outcomes, "consultation task %s of %s has no outcome", row.ID, row.WorkflowID)
			require.Equal(t, roleAgency[row.Role], row.Agency, "consultation task %s: agency of role %s", row.ID, row.Role)
			_, err := svc.Act(ctx(t), code, workflows.ActRequest{Task: row.ID, Outcome: row.Outcomes[0],
				Actor: officer(row.Task), Note: "Đã phối hợp"})
			require.NoError(t, err, "acting %s on consultation task %s (%s) of %s", row.Outcomes[0], row.ID, row.WorkflowID, code)
			steps = append(steps, row.WorkflowID+"/"+row.ID+":"+row.Outcomes[0])
			acted[key] = true
			progressed = true
		}
		if !progressed {
			time.Sleep(50 * time.Millisecond)
		}
	}
	t.Logf("%s (%s, %s, %s): %s", code, mp.Mode, req.Channel, req.Delivery, strings.Join(steps, " → "))

	// The result is returned as chosen; a document is signed and verifies.
	require.Equal(t, dossier.StatusReturned, st.Status)
	require.Empty(t, st.OpenTasks)
	require.False(t, st.ReturnedAt.IsZero())
	require.Equal(t, paid, st.FeesDue > 0, "fees due %d, paid %v", st.FeesDue, paid)
	require.NotNil(t, st.Result, "%s returned without a result", code)
	require.False(t, st.Result.Refusal)
	require.Equal(t, req.Delivery, st.Result.Delivery)
	if plan.Result.Kind == "document" {
		require.Equal(t, code+"-KQ1", st.Result.Code)
		require.NotEmpty(t, st.Result.Signature)
		v, err := svc.VerifyResult(ctx(t), st.Result.Code)
		require.NoError(t, err)
		require.True(t, v.Trusted)
		require.Equal(t, st.Result.SHA256, v.SHA256)
	}

	// Rating closes the workflow; the read model then answers the same.
	rated, err := svc.Rate(ctx(t), code, workflows.RateRequest{Actor: dossier.Actor{ID: req.Applicant.ID}, Satisfied: true, Comment: "Hài lòng"})
	require.NoError(t, err)
	require.NotNil(t, rated.Rating)
	waitClosed(t, env, code)
	var stored dossier.State
	require.Eventually(t, func() bool {
		stored, err = svc.Status(ctx(t), code)
		return err == nil && stored.Rating != nil
	}, 10*time.Second, 50*time.Millisecond, "the read model never recorded the rating of %s", code)
	require.Equal(t, dossier.StatusReturned, stored.Status)
	require.True(t, stored.Rating.Satisfied)
	require.Equal(t, "Hài lòng", stored.Rating.Comment)
	require.Empty(t, stored.OpenTasks)
	require.Equal(t, plan.Code, stored.ProcedureCode)
	require.Equal(t, mp.Mode, stored.Mode)
	require.Equal(t, st.FeesDue, stored.FeesDue)
	require.NotNil(t, stored.Result)
	require.Equal(t, st.Result.Code, stored.Result.Code)
	require.Equal(t, st.Result.SHA256, stored.Result.SHA256)
	require.Equal(t, req.Delivery, stored.Result.Delivery)
	require.NotEmpty(t, stored.Timeline)
	require.Equal(t, dossier.EventRated, stored.Timeline[len(stored.Timeline)-1].Kind)
	kinds := map[string]bool{}
	for _, e := range stored.Timeline {
		kinds[e.Kind] = true
	}
	for _, k := range []string{dossier.EventReceived, dossier.EventProcessed, dossier.EventReturned} {
		require.True(t, kinds[k], "%s: no %s event in the stored timeline", code, k)
	}
	if plan.Result.Kind == "document" {
		require.True(t, kinds[dossier.EventSigned], "%s: no signed event in the stored timeline", code)
	}
	if paid {
		require.True(t, kinds[dossier.EventPaid], "%s: no paid event in the stored timeline", code)
	}
	// No task of the dossier is left in any inbox.
	require.Eventually(t, func() bool {
		rows, err := svc.Tasks(ctx(t), service.TasksRequest{Limit: 500})
		if err != nil {
			return false
		}
		return !slices.ContainsFunc(rows, func(r store.TaskRow) bool { return r.DossierCode == code })
	}, 10*time.Second, 50*time.Millisecond, "tasks of %s are left in the inbox", code)
}

// paymentReference is the payment order's reference of a pay step, as the
// timeline's payment_requested event records it.
func paymentReference(st dossier.State, step string) string {
	ref := ""
	for _, e := range st.Timeline {
		if e.Kind == dossier.EventPaymentRequested && e.Step == step {
			ref = e.Note
		}
	}
	return ref
}
