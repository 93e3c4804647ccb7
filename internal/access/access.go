// Package access decides who may see and do what, the same way for the
// HTTP API and the web console:
//
//   - a citizen sees and acts on only the dossiers whose applicant is
//     them, and submits only for themself, online or by post;
//   - an officer sees the dossiers of their agency, and those another
//     agency consults theirs on, and acts only on open tasks of their
//     agency with one of their roles; they enter dossiers received at
//     their agency's counter; they read their agency's indicators;
//   - an analyst reads the catalog, the indicators and the analysis of a
//     procedure's versions, not dossiers;
//   - an admin reads everything, the audit log included, and acts on
//     nothing.
//
// Every decision that says no returns a *Denied with a message a person
// can act on. Nothing here writes anything.
package access

import (
	"fmt"
	"slices"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
)

// Denied is a refusal: the caller is known but may not do this.
type Denied struct{ Message string }

func (d *Denied) Error() string { return d.Message }

func deny(format string, args ...any) error {
	return &Denied{Message: fmt.Sprintf(format, args...)}
}

// ReadCatalog: everyone signed in may read procedures.
func ReadCatalog(p auth.Principal) error { return nil }

// ReadIndicators: analysts, officers and admins; an officer reads only
// their own agency's (IndicatorAgency says which agency a report covers).
func ReadIndicators(p auth.Principal) error {
	if p.Kind == auth.KindCitizen {
		return deny("citizens cannot read indicators")
	}
	return nil
}

// IndicatorAgency decides whether p may read the indicators of the agency
// asked for ("" for every agency) and returns the agency the report must
// be filtered by: analysts and admins read every agency's and get what
// they ask; an officer reads only their own agency's, whether they asked
// for it or for none, and is denied another's; citizens are denied.
func IndicatorAgency(p auth.Principal, asked string) (string, error) {
	if err := ReadIndicators(p); err != nil {
		return "", err
	}
	if p.Kind != auth.KindOfficer {
		return asked, nil
	}
	if p.Agency == "" {
		return "", deny("your account names no agency")
	}
	if asked != "" && asked != p.Agency {
		return "", deny("officers read the indicators of their own agency only: %s is not yours (%s)", asked, p.Agency)
	}
	return p.Agency, nil
}

// ReadAnalysis: analysts and admins read the analysis of a procedure's
// versions (internal/analysis). It spans every agency that handles the
// procedure, so officers, who read their own agency's indicators only,
// are denied it, as citizens are.
func ReadAnalysis(p auth.Principal) error {
	switch p.Kind {
	case auth.KindAnalyst, auth.KindAdmin:
		return nil
	case auth.KindOfficer:
		return deny("only analysts and administrators read the analysis of a procedure: it spans every agency handling the procedure (you are %s)", describe(p))
	}
	return deny("only analysts and administrators read the analysis of a procedure (you are %s)", describe(p))
}

// ReadAudit: admins only.
func ReadAudit(p auth.Principal) error {
	if p.Kind != auth.KindAdmin {
		return deny("only administrators may read the audit log (you are %s)", describe(p))
	}
	return nil
}

// UseCodec: only administrators may seal or open the payloads of Temporal
// histories (the codec endpoint): they hold citizens' personal data.
func UseCodec(p auth.Principal) error {
	if p.Kind != auth.KindAdmin {
		return deny("only administrators may use the payload codec: it opens citizens' personal data (you are %s)", describe(p))
	}
	return nil
}

// Inbox: officers have an inbox of their agency's tasks.
func Inbox(p auth.Principal) error {
	if p.Kind != auth.KindOfficer {
		return deny("only officers have an inbox (you are %s)", describe(p))
	}
	return nil
}

// ListDossiers: citizens list their own, officers their agency's, admins
// all. Analysts work on indicators.
func ListDossiers(p auth.Principal) error {
	if p.Kind == auth.KindAnalyst {
		return deny("analysts read indicators, not dossiers")
	}
	return nil
}

// ReadDossier decides whether p may see a dossier. tasks are the open
// tasks of the dossier and of its consultations (the read model's), so an
// officer of a consulted agency sees the dossier it is asked about.
func ReadDossier(p auth.Principal, st dossier.State, tasks []dossier.Task) error {
	switch p.Kind {
	case auth.KindAdmin:
		return nil
	case auth.KindCitizen:
		if applicant(p) != "" && st.Applicant.ID == applicant(p) {
			return nil
		}
		return deny("dossier %s is not yours: citizens see only the dossiers they submitted", st.Code)
	case auth.KindOfficer:
		if p.Agency == "" {
			return deny("your account names no agency")
		}
		if st.Agency == p.Agency || involved(p.Agency, st, tasks) {
			return nil
		}
		return deny("dossier %s belongs to agency %s, not yours (%s)", st.Code, st.Agency, p.Agency)
	default:
		return deny("analysts read indicators, not dossiers")
	}
}

// involved reports whether an agency has or had work on a dossier.
func involved(agency string, st dossier.State, tasks []dossier.Task) bool {
	for _, t := range tasks {
		if t.Agency == agency {
			return true
		}
	}
	for _, t := range st.OpenTasks {
		if t.Agency == agency {
			return true
		}
	}
	for _, e := range st.Timeline {
		if e.Actor.Agency == agency {
			return true
		}
	}
	return false
}

// Act decides whether an officer may act on an open task: the task's
// role must be one of theirs and its agency (the dossier's when the task
// names none) theirs. The returned actor is who the workflow records:
// always the principal, never what a request claims.
func Act(p auth.Principal, st dossier.State, task dossier.Task) (dossier.Actor, error) {
	if p.Kind != auth.KindOfficer {
		return dossier.Actor{}, deny("only officers act on tasks (you are %s)", describe(p))
	}
	agency := task.Agency
	if agency == "" {
		agency = st.Agency
	}
	if task.Role == dossier.RoleApplicant {
		return dossier.Actor{}, deny("task %s of dossier %s waits for the applicant, not an officer", task.ID, st.Code)
	}
	if agency != p.Agency {
		return dossier.Actor{}, deny("task %s of dossier %s is for agency %s, not yours (%s)", task.ID, st.Code, agency, p.Agency)
	}
	if !p.HasRole(task.Role) {
		return dossier.Actor{}, deny("task %s of dossier %s needs role %s; you have %s", task.ID, st.Code, task.Role, roles(p))
	}
	return Officer(p), nil
}

// Extend decides whether an officer may move a dossier's appointment: an
// officer of the dossier's agency (the workflow checks the role).
func Extend(p auth.Principal, st dossier.State) (dossier.Actor, error) {
	if p.Kind != auth.KindOfficer {
		return dossier.Actor{}, deny("only officers extend an appointment (you are %s)", describe(p))
	}
	if st.Agency != p.Agency {
		return dossier.Actor{}, deny("dossier %s belongs to agency %s, not yours (%s)", st.Code, st.Agency, p.Agency)
	}
	return Officer(p), nil
}

// Officer is the actor an officer principal is recorded as. Its role is
// the first of their roles; the workflow checks the task's.
func Officer(p auth.Principal) dossier.Actor {
	a := dossier.Actor{ID: p.Subject, Agency: p.Agency}
	if len(p.Roles) > 0 {
		a.Role = p.Roles[0]
	}
	return a
}

// OfficerFor is the actor recorded for an officer acting on a task: with
// the task's role, which Act has checked they hold.
func OfficerFor(p auth.Principal, task dossier.Task) dossier.Actor {
	a := Officer(p)
	if task.Role != "" {
		a.Role = task.Role
	}
	return a
}

// Applicant decides whether p may act as the applicant of a dossier
// (supplement, withdraw, rate) and returns the actor recorded.
func Applicant(p auth.Principal, st dossier.State) (dossier.Actor, error) {
	if p.Kind != auth.KindCitizen {
		return dossier.Actor{}, deny("only the applicant may do this (you are %s)", describe(p))
	}
	if applicant(p) == "" || st.Applicant.ID != applicant(p) {
		return dossier.Actor{}, deny("dossier %s is not yours: only its applicant may do this", st.Code)
	}
	return dossier.Actor{ID: applicant(p), Role: dossier.RoleApplicant}, nil
}

// Submit decides whether p may submit a dossier of plan by channel for
// applicantID. Citizens submit for themselves, online or by post;
// officers of the procedure's agency enter dossiers received at the
// counter or by post.
func Submit(p auth.Principal, plan *definitions.Plan, channel, applicantID string) error {
	switch p.Kind {
	case auth.KindCitizen:
		if applicant(p) == "" {
			return deny("your account carries no identity number to submit with")
		}
		if strings.TrimSpace(applicantID) != "" && strings.TrimSpace(applicantID) != applicant(p) {
			return deny("citizens submit only for themselves: applicant.id %q is not yours", applicantID)
		}
		if channel == dossier.ChannelInPerson {
			return deny("citizens submit online or by post; dossiers brought to the counter are entered by its officer")
		}
		return nil
	case auth.KindOfficer:
		if plan != nil && plan.Agency != p.Agency {
			return deny("procedure %s is handled by agency %s, not yours (%s)", plan.Code, plan.Agency, p.Agency)
		}
		if channel == dossier.ChannelOnline {
			return deny("officers enter dossiers received at the counter or by post; online dossiers are submitted by the citizen")
		}
		return nil
	default:
		return deny("only citizens and officers submit dossiers (you are %s)", describe(p))
	}
}

// applicant is the identity number a citizen's dossiers carry.
func applicant(p auth.Principal) string {
	if p.ApplicantID != "" {
		return p.ApplicantID
	}
	return p.Subject
}

// ApplicantID is the identity number a citizen's dossiers carry.
func ApplicantID(p auth.Principal) string { return applicant(p) }

func describe(p auth.Principal) string {
	if p.Kind == auth.KindOfficer {
		return fmt.Sprintf("an officer of %s", p.Agency)
	}
	return article(string(p.Kind)) + " " + string(p.Kind)
}

func roles(p auth.Principal) string {
	if len(p.Roles) == 0 {
		return "none"
	}
	r := slices.Clone(p.Roles)
	slices.Sort(r)
	return strings.Join(r, ", ")
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// FindTask finds an open task by id, or by step when exactly one task of
// that step is open, among the dossier's tasks and its consultations'
// (lists may repeat a task).
func FindTask(ref string, lists ...[]dossier.Task) (dossier.Task, bool) {
	var byStep []dossier.Task
	for _, l := range lists {
		for _, t := range l {
			if t.ID == ref {
				return t, true
			}
			if t.Step == ref && !slices.ContainsFunc(byStep, func(x dossier.Task) bool { return x.ID == t.ID }) {
				byStep = append(byStep, t)
			}
		}
	}
	if len(byStep) == 1 {
		return byStep[0], true
	}
	return dossier.Task{}, false
}
