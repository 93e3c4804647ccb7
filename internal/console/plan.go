package console

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/access"
	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/dossier"
)

// dossierFor reads a dossier the principal may see, with the open tasks of
// its consultations, as the API does: the state from the service, the
// tasks from the read model, access.ReadDossier deciding.
func (c *Console) dossierFor(ctx context.Context, p auth.Principal, code string) (dossier.State, []dossier.Task, error) {
	st, err := c.svc.Status(ctx, code)
	if err != nil {
		return dossier.State{}, nil, err
	}
	tasks, err := c.svc.OpenTasks(ctx, st.Code)
	if err != nil {
		return dossier.State{}, nil, err
	}
	if err := access.ReadDossier(p, st, tasks); err != nil {
		return dossier.State{}, nil, err
	}
	return st, tasks, nil
}

// openTasks merges the dossier's open tasks with its consultations', once
// each.
func openTasks(lists ...[]dossier.Task) []dossier.Task {
	var out []dossier.Task
	for _, l := range lists {
		for _, t := range l {
			if !slices.ContainsFunc(out, func(x dossier.Task) bool { return x.ID == t.ID }) {
				out = append(out, t)
			}
		}
	}
	return out
}

// taskIDs lists the officers' open tasks, for messages.
func taskIDs(tasks []dossier.Task) string {
	var ids []string
	for _, t := range tasks {
		if t.Role != dossier.RoleApplicant {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return "không có"
	}
	return strings.Join(ids, ", ")
}

// planOf returns the plan a dossier runs: the catalog's version with the
// dossier's hash when it still has it, else the procedure's current one;
// nil when the catalog lost the procedure.
func (c *Console) planOf(st dossier.State) *definitions.Plan {
	for _, p := range c.svc.Catalog().Plans() {
		if p.Hash == st.PlanHash && p.Code == st.ProcedureCode {
			return p
		}
	}
	return c.svc.Catalog().Plan(st.ProcedureCode)
}

// names resolves the ids of a plan (steps, roles, components, form
// fields) to the names people read. A nil plan names nothing: ids stay.
type names struct {
	plan     *definitions.Plan
	mode     string
	agencies map[string]string
}

func (c *Console) names(p *definitions.Plan, mode string) names {
	return names{plan: p, mode: mode, agencies: c.agencies}
}

func (n names) procedure(code string) string {
	if n.plan != nil && n.plan.Name != "" {
		return n.plan.Name
	}
	return code
}

func (n names) step(id string) string {
	if n.plan == nil || id == "" {
		return id
	}
	if mp := n.plan.Mode(n.mode); mp != nil {
		if s := mp.Step(id); s != nil && s.Name != "" {
			return s.Name
		}
	}
	for i := range n.plan.Modes {
		if s := n.plan.Modes[i].Step(id); s != nil && s.Name != "" {
			return s.Name
		}
	}
	return id
}

func (n names) role(id string) string {
	if id == dossier.RoleApplicant {
		return "Người nộp hồ sơ"
	}
	if n.plan != nil {
		for _, r := range n.plan.Roles {
			if r.ID == id && r.Name != "" {
				return r.Name
			}
		}
	}
	return id
}

func (n names) agency(id string) string {
	if n.plan != nil {
		for _, a := range n.plan.Agencies {
			if a.ID == id && a.Name != "" {
				return a.Name
			}
		}
	}
	if name := n.agencies[id]; name != "" {
		return name
	}
	return id
}

func (n names) component(id string) definitions.Component {
	if n.plan != nil {
		for _, c := range n.plan.Components {
			if c.ID == id {
				return c
			}
		}
	}
	return definitions.Component{ID: id, Name: id}
}

// taskName names a task: its step's name, with what kind of work it is
// when that is not the step itself (a supplement, a pickup, a withdrawal).
func (n names) task(t dossier.Task) string {
	name := t.Name
	if name == "" {
		name = n.step(t.Step)
	}
	switch t.Kind {
	case "supplement":
		return name + " — chờ công dân bổ sung"
	case "pickup":
		return name + " — chờ công dân nhận kết quả"
	case "withdrawal":
		return name + " — ra thông báo dừng xử lý (công dân rút hồ sơ)"
	}
	return name
}

// actor writes who acted: id, role and agency.
func (n names) actor(a dossier.Actor) string {
	var parts []string
	if a.ID != "" {
		parts = append(parts, a.ID)
	}
	var detail []string
	if a.Role != "" {
		detail = append(detail, n.role(a.Role))
	}
	if a.Agency != "" {
		detail = append(detail, n.agency(a.Agency))
	}
	if len(detail) > 0 {
		if len(parts) == 0 {
			return strings.Join(detail, ", ")
		}
		parts = append(parts, fmt.Sprintf("(%s)", strings.Join(detail, ", ")))
	}
	if len(parts) == 0 {
		return "Hệ thống"
	}
	return strings.Join(parts, " ")
}
