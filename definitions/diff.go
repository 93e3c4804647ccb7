package definitions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// PlanDiff is what changed between two versions of a procedure: the summary
// of a re-engineering (tái cấu trúc quy trình). It is plain data with stable
// JSON names; empty parts are left out of the JSON. Lists follow the
// document order of the new plan (removed items: of the old one).
type PlanDiff struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Version Change `json:"version"`
	Hash    Change `json:"hash"`
	// Unchanged is true when nothing but the version label differs.
	Unchanged bool `json:"unchanged"`
	// Changes are changes to the procedure itself: code, name, sector,
	// level, agency, effective_from.
	Changes           []Change `json:"changes,omitempty"`
	LegalBasisAdded   []string `json:"legal_basis_added,omitempty"`
	LegalBasisRemoved []string `json:"legal_basis_removed,omitempty"`
	// OnlineLevel is the highest online level offered (full_online,
	// partial_online or none) when it changed.
	OnlineLevel  *Change       `json:"online_level,omitempty"`
	ModesAdded   []ModeSummary `json:"modes_added,omitempty"`
	ModesRemoved []ModeSummary `json:"modes_removed,omitempty"`
	// Modes holds the modes offered by both versions that changed.
	Modes      []ModeDiff `json:"modes,omitempty"`
	Agencies   *ListDiff  `json:"agencies,omitempty"`
	Roles      *ListDiff  `json:"roles,omitempty"`
	Components *ListDiff  `json:"components,omitempty"`
	Fees       *ListDiff  `json:"fees,omitempty"`
	// Result holds changes to result.kind and result.name.
	Result []Change `json:"result,omitempty"`
}

// Change is one value that differs, written as text. Field names the value
// (e.g. "within", "copies") and is empty where the context says it.
type Change struct {
	Field string `json:"field,omitempty"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// IntChange is a count that differs.
type IntChange struct {
	Old int `json:"old"`
	New int `json:"new"`
}

// HoursChange is an amount of working hours that differs.
type HoursChange struct {
	Old float64 `json:"old"`
	New float64 `json:"new"`
}

// ModeSummary describes a mode that one version offers and the other not.
type ModeSummary struct {
	Mode           string   `json:"mode"`
	TimeLimit      string   `json:"time_limit"`
	InPersonVisits int      `json:"in_person_visits"`
	Channels       []string `json:"channels"`
	Delivery       []string `json:"delivery"`
	Steps          int      `json:"steps"`
	// LongestPathHours is the allotted working time along the longest path.
	LongestPathHours float64 `json:"longest_path_hours"`
}

// ModeDiff is what changed in a mode both versions offer.
type ModeDiff struct {
	Mode             string       `json:"mode"`
	TimeLimit        *Change      `json:"time_limit,omitempty"`
	InPersonVisits   *IntChange   `json:"in_person_visits,omitempty"`
	LongestPathHours *HoursChange `json:"longest_path_hours,omitempty"`
	Start            *Change      `json:"start,omitempty"`
	ChannelsAdded    []string     `json:"channels_added,omitempty"`
	ChannelsRemoved  []string     `json:"channels_removed,omitempty"`
	DeliveryAdded    []string     `json:"delivery_added,omitempty"`
	DeliveryRemoved  []string     `json:"delivery_removed,omitempty"`
	Steps            *ListDiff    `json:"steps,omitempty"`
}

// ListDiff compares two lists of items with ids: steps, components, fees,
// roles, agencies or form fields.
type ListDiff struct {
	Added   []Item     `json:"added,omitempty"`
	Removed []Item     `json:"removed,omitempty"`
	Changed []ItemDiff `json:"changed,omitempty"`
}

// Item names an added or removed item; Detail sums it up (e.g. a step's
// kind, role and allotted time).
type Item struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ItemDiff is what changed in an item both versions have.
type ItemDiff struct {
	ID      string   `json:"id"`
	Name    string   `json:"name,omitempty"`
	Changes []Change `json:"changes,omitempty"`
	// Form compares the e-form fields of a component.
	Form *ListDiff `json:"form,omitempty"`
}

func (l *ListDiff) empty() bool {
	return l == nil || len(l.Added)+len(l.Removed)+len(l.Changed) == 0
}

func (md *ModeDiff) empty() bool {
	return md.TimeLimit == nil && md.InPersonVisits == nil && md.LongestPathHours == nil && md.Start == nil &&
		len(md.ChannelsAdded)+len(md.ChannelsRemoved)+len(md.DeliveryAdded)+len(md.DeliveryRemoved) == 0 &&
		md.Steps.empty()
}

// Empty reports whether nothing but the version label (and so the hash)
// differs.
func (d *PlanDiff) Empty() bool {
	return len(d.Changes) == 0 && len(d.LegalBasisAdded)+len(d.LegalBasisRemoved) == 0 && d.OnlineLevel == nil &&
		len(d.ModesAdded)+len(d.ModesRemoved)+len(d.Modes) == 0 &&
		d.Agencies.empty() && d.Roles.empty() && d.Components.empty() && d.Fees.empty() && len(d.Result) == 0
}

// Diff compares two plans of a procedure, old before new.
func Diff(old, new *Plan) *PlanDiff {
	d := &PlanDiff{
		Code:    new.Code,
		Name:    new.Name,
		Version: Change{Old: old.Version, New: new.Version},
		Hash:    Change{Old: old.Hash, New: new.Hash},
	}
	d.Changes = changes(
		field("code", old.Code, new.Code),
		field("name", old.Name, new.Name),
		field("sector", old.Sector, new.Sector),
		field("level", old.Level, new.Level),
		field("agency", old.Agency, new.Agency),
		field("effective_from", string(old.EffectiveFrom), string(new.EffectiveFrom)),
	)
	d.LegalBasisAdded, d.LegalBasisRemoved = addedRemoved(old.LegalBasis, new.LegalBasis)
	if lo, ln := onlineLevel(old), onlineLevel(new); lo != ln {
		d.OnlineLevel = &Change{Old: lo, New: ln}
	}
	for _, m := range new.Modes {
		if old.Mode(m.Mode) == nil {
			d.ModesAdded = append(d.ModesAdded, summarizeMode(&m))
		}
	}
	for _, m := range old.Modes {
		if new.Mode(m.Mode) == nil {
			d.ModesRemoved = append(d.ModesRemoved, summarizeMode(&m))
		}
	}
	for _, mode := range AllModes {
		om, nm := old.Mode(mode), new.Mode(mode)
		if om == nil || nm == nil {
			continue
		}
		if md := diffMode(om, nm); !md.empty() {
			d.Modes = append(d.Modes, md)
		}
	}
	d.Agencies = diffList(old.Agencies, new.Agencies,
		func(a Agency) string { return a.ID },
		func(a Agency) Item { return Item{ID: a.ID, Name: a.Name, Detail: levelsVI[a.Level]} },
		func(a, b Agency) ItemDiff {
			return ItemDiff{ID: b.ID, Name: b.Name, Changes: changes(field("name", a.Name, b.Name), field("level", a.Level, b.Level))}
		})
	d.Roles = diffList(old.Roles, new.Roles,
		func(r Role) string { return r.ID },
		func(r Role) Item { return Item{ID: r.ID, Name: r.Name, Detail: "thuộc " + r.Agency} },
		func(a, b Role) ItemDiff {
			return ItemDiff{ID: b.ID, Name: b.Name, Changes: changes(field("name", a.Name, b.Name), field("agency", a.Agency, b.Agency))}
		})
	d.Components = diffList(old.Components, new.Components,
		func(c Component) string { return c.ID },
		func(c Component) Item { return Item{ID: c.ID, Name: c.Name, Detail: componentDetail(c)} },
		diffComponent)
	d.Fees = diffList(old.Fees, new.Fees,
		func(f Fee) string { return f.ID },
		func(f Fee) Item { return Item{ID: f.ID, Name: f.Name, Detail: feeDetail(f)} },
		func(a, b Fee) ItemDiff {
			return ItemDiff{ID: b.ID, Name: b.Name, Changes: changes(
				field("name", a.Name, b.Name),
				field("amount", formatVND(a.Amount), formatVND(b.Amount)),
				field("online_amount", formatVNDPtr(a.OnlineAmount), formatVNDPtr(b.OnlineAmount)),
				field("payable_online", yesNo(a.PayableOnline), yesNo(b.PayableOnline)),
				field("when", a.When, b.When),
				field("note", a.Note, b.Note),
			)}
		})
	d.Result = changes(field("kind", old.Result.Kind, new.Result.Kind), field("name", old.Result.Name, new.Result.Name))
	d.Unchanged = d.Empty()
	return d
}

// onlineLevel is the highest online level a plan offers.
func onlineLevel(p *Plan) string {
	for _, m := range AllModes {
		if p.Mode(m) != nil {
			return m
		}
	}
	return "none"
}

func summarizeMode(m *ModePlan) ModeSummary {
	return ModeSummary{
		Mode: m.Mode, TimeLimit: FormatTimeLimit(m.TimeLimit), InPersonVisits: m.InPersonVisits,
		Channels: m.Channels, Delivery: m.Delivery, Steps: len(m.Steps), LongestPathHours: m.LongestPathHours(),
	}
}

func diffMode(om, nm *ModePlan) ModeDiff {
	md := ModeDiff{Mode: nm.Mode}
	if om.TimeLimit != nm.TimeLimit {
		md.TimeLimit = &Change{Old: FormatTimeLimit(om.TimeLimit), New: FormatTimeLimit(nm.TimeLimit)}
	}
	if om.InPersonVisits != nm.InPersonVisits {
		md.InPersonVisits = &IntChange{Old: om.InPersonVisits, New: nm.InPersonVisits}
	}
	if ho, hn := om.LongestPathHours(), nm.LongestPathHours(); ho != hn {
		md.LongestPathHours = &HoursChange{Old: ho, New: hn}
	}
	if om.Start != nm.Start {
		md.Start = &Change{Old: om.Start, New: nm.Start}
	}
	md.ChannelsAdded, md.ChannelsRemoved = addedRemoved(om.Channels, nm.Channels)
	md.DeliveryAdded, md.DeliveryRemoved = addedRemoved(om.Delivery, nm.Delivery)
	md.Steps = diffList(om.Steps, nm.Steps,
		func(s PlanStep) string { return s.ID },
		func(s PlanStep) Item { return Item{ID: s.ID, Name: s.Name, Detail: stepDetail(s)} },
		diffStep)
	return md
}

func diffStep(a, b PlanStep) ItemDiff {
	cs := changes(
		field("name", a.Name, b.Name),
		field("kind", a.Kind, b.Kind),
		field("role", a.Role, b.Role),
		field("agency", a.Agency, b.Agency),
		field("within", formatDurationPtr(a.Within), formatDurationPtr(b.Within)),
	)
	cs = append(cs, diffExits(a.Exits, b.Exits)...)
	cs = append(cs, changes(
		field("in_person", yesNo(a.InPerson), yesNo(b.InPerson)),
		field("supplement", yesNo(a.Supplement), yesNo(b.Supplement)),
		field("parent", a.Parent, b.Parent),
		field("branches", formatBranches(a.Branches), formatBranches(b.Branches)),
		field("request", a.Request, b.Request),
		field("fees", strings.Join(a.Fees, ", "), strings.Join(b.Fees, ", ")),
		field("timeout", formatDurationPtr(a.Timeout), formatDurationPtr(b.Timeout)),
		field("check", a.Check, b.Check),
		field("to", a.To, b.To),
		field("message", a.Message, b.Message),
	)...)
	return ItemDiff{ID: b.ID, Name: b.Name, Changes: cs}
}

// exitKey names a way out: its outcome, or [condition] for a decide case.
func exitKey(e Exit) string {
	if e.When != "" {
		return "[" + e.When + "]"
	}
	return e.Outcome
}

// diffExits compares the ways out of a step one by one: the field
// "exits.OUTCOME" holds the old and new target ("" when the way out is new
// or gone). When only the order changed (decide cases are tried in order),
// the whole list is one change of the field "exits".
func diffExits(old, new []Exit) []Change {
	oldTo := map[string]string{}
	for _, e := range old {
		oldTo[exitKey(e)] = e.Target
	}
	newTo := map[string]string{}
	for _, e := range new {
		newTo[exitKey(e)] = e.Target
	}
	var out []Change
	for _, e := range old {
		if _, ok := newTo[exitKey(e)]; !ok {
			out = append(out, Change{Field: "exits." + exitKey(e), Old: e.Target})
		}
	}
	for _, e := range new {
		if t := oldTo[exitKey(e)]; t != e.Target {
			out = append(out, Change{Field: "exits." + exitKey(e), Old: t, New: e.Target})
		}
	}
	if len(out) == 0 && !slices.Equal(old, new) {
		out = append(out, Change{Field: "exits", Old: formatExits(old), New: formatExits(new)})
	}
	return out
}

func diffComponent(a, b Component) ItemDiff {
	id := ItemDiff{ID: b.ID, Name: b.Name, Changes: changes(
		field("name", a.Name, b.Name),
		field("optional", yesNo(a.Optional), yesNo(b.Optional)),
		field("when", a.When, b.When),
		field("copies", formatCopies(a.Copies), formatCopies(b.Copies)),
		field("reuse", a.Reuse, b.Reuse),
		field("file_types", formatFileTypes(a.FileTypes), formatFileTypes(b.FileTypes)),
		field("max_size_mb", formatMaxSize(a.MaxSizeMB), formatMaxSize(b.MaxSizeMB)),
		field("note", a.Note, b.Note),
	)}
	id.Form = diffList(a.Form, b.Form,
		func(f Field) string { return f.ID },
		func(f Field) Item { return Item{ID: f.ID, Name: f.Label, Detail: fieldDetail(f)} },
		func(x, y Field) ItemDiff {
			return ItemDiff{ID: y.ID, Name: y.Label, Changes: changes(
				field("label", x.Label, y.Label),
				field("type", x.Type, y.Type),
				field("rules", x.Rules, y.Rules),
				field("options", strings.Join(x.Options, ", "), strings.Join(y.Options, ", ")),
				field("help", x.Help, y.Help),
			)}
		})
	if id.Form.empty() {
		id.Form = nil
	}
	return id
}

// diffList compares two lists by id. Removed items follow the old order,
// added and changed ones the new order. It returns nil when nothing differs.
func diffList[T any](old, new []T, id func(T) string, item func(T) Item, compare func(a, b T) ItemDiff) *ListDiff {
	l := &ListDiff{}
	oldByID := map[string]T{}
	for _, o := range old {
		oldByID[id(o)] = o
	}
	newIDs := map[string]bool{}
	for _, n := range new {
		newIDs[id(n)] = true
	}
	for _, o := range old {
		if !newIDs[id(o)] {
			l.Removed = append(l.Removed, item(o))
		}
	}
	for _, n := range new {
		o, ok := oldByID[id(n)]
		if !ok {
			l.Added = append(l.Added, item(n))
			continue
		}
		if c := compare(o, n); len(c.Changes) > 0 || !c.Form.empty() {
			l.Changed = append(l.Changed, c)
		}
	}
	if l.empty() {
		return nil
	}
	return l
}

// field returns the change of one value, or nil when it is the same.
func field(name, old, new string) *Change {
	if old == new {
		return nil
	}
	return &Change{Field: name, Old: old, New: new}
}

func changes(cs ...*Change) []Change {
	var out []Change
	for _, c := range cs {
		if c != nil {
			out = append(out, *c)
		}
	}
	return out
}

// addedRemoved returns the values of new missing from old, and those of old
// missing from new, each in its list's order.
func addedRemoved(old, new []string) (added, removed []string) {
	for _, n := range new {
		if !slices.Contains(old, n) {
			added = append(added, n)
		}
	}
	for _, o := range old {
		if !slices.Contains(new, o) {
			removed = append(removed, o)
		}
	}
	return added, removed
}

// LongestPathHours is the allotted working time, in hours, along the
// longest path from the start of the mode to an end. A parallel step counts
// its longest branch; edges back to a step on the path (loops) are not
// followed. Only steps whose time counts toward the time limit add to it.
func (mp *ModePlan) LongestPathHours() float64 {
	memo := map[string]float64{}
	onPath := map[string]bool{}
	var walk func(id string) float64
	walk = func(id string) float64 {
		if h, ok := memo[id]; ok {
			return h
		}
		s := mp.Step(id)
		if s == nil || onPath[id] {
			return 0
		}
		onPath[id] = true
		defer delete(onPath, id)
		self := 0.0
		if timedKinds[s.Kind] && s.Within != nil {
			self = s.Within.Hours()
		}
		for _, b := range s.Branches {
			if b.Start != "" {
				self = max(self, walk(b.Start))
			}
		}
		best := 0.0
		for _, e := range s.Exits {
			if !isTerminal(e.Target) && !onPath[e.Target] {
				best = max(best, walk(e.Target))
			}
		}
		memo[id] = self + best
		return self + best
	}
	return walk(mp.Start)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func formatDurationPtr(d *Duration) string {
	if d == nil {
		return ""
	}
	return FormatDuration(*d)
}

// formatExits writes the ways out of a step, e.g. "approve → ky_duyet,
// refuse → refused"; a decide case is written [condition] → step.
func formatExits(exits []Exit) string {
	parts := make([]string, len(exits))
	for i, e := range exits {
		label := e.Outcome
		if e.When != "" {
			label = "[" + e.When + "]"
		}
		parts[i] = label + " → " + e.Target
	}
	return strings.Join(parts, ", ")
}

func formatCopies(c Copies) string {
	var parts []string
	if c.Original > 0 {
		parts = append(parts, fmt.Sprintf("%d bản chính", c.Original))
	}
	if c.Copy > 0 {
		parts = append(parts, fmt.Sprintf("%d bản sao", c.Copy))
	}
	if c.CertifiedCopy > 0 {
		parts = append(parts, fmt.Sprintf("%d bản sao chứng thực", c.CertifiedCopy))
	}
	return strings.Join(parts, ", ")
}

// formatFileTypes writes the accepted file types, with the default spelt out
// so that leaving the key out and writing the default compare equal.
func formatFileTypes(types []string) string {
	if len(types) == 0 {
		return "pdf, jpg, png"
	}
	return strings.Join(types, ", ")
}

func formatMaxSize(mb int) string {
	if mb == 0 {
		mb = 10
	}
	return fmt.Sprintf("%d MB", mb)
}

// formatVND writes an amount with dots between thousands, e.g. "50.000 đồng".
func formatVND(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String() + " đồng"
	}
	return b.String() + " đồng"
}

func formatVNDPtr(v *int64) string {
	if v == nil {
		return ""
	}
	return formatVND(*v)
}

func stepDetail(s PlanStep) string {
	kind := kindNamesVI[s.Kind]
	if kind == "" {
		kind = s.Kind
	}
	parts := []string{kind}
	if s.Role != "" {
		parts = append(parts, s.Role)
	}
	if s.Within != nil {
		parts = append(parts, FormatDuration(*s.Within))
	}
	if s.Parent != "" {
		parts = append(parts, "trong "+s.Parent)
	}
	if s.InPerson {
		parts = append(parts, "đến trực tiếp")
	}
	return strings.Join(parts, ", ")
}

func componentDetail(c Component) string {
	var parts []string
	if cp := formatCopies(c.Copies); cp != "" {
		parts = append(parts, cp)
	}
	if c.Optional {
		parts = append(parts, "không bắt buộc")
	}
	if c.When != "" {
		parts = append(parts, "khi "+c.When)
	}
	if c.Reuse != "" {
		parts = append(parts, "tái sử dụng từ "+c.Reuse)
	}
	return strings.Join(parts, ", ")
}

func feeDetail(f Fee) string {
	s := formatVND(f.Amount)
	if f.OnlineAmount != nil {
		s += ", trực tuyến " + formatVND(*f.OnlineAmount)
	}
	if f.PayableOnline {
		s += ", nộp trực tuyến được"
	}
	if f.When != "" {
		s += ", khi " + f.When
	}
	return s
}

func fieldDetail(f Field) string {
	s := f.Type
	if f.Rules != "" {
		s += ", " + f.Rules
	}
	return s
}

// changeLabelsVI names the fields of changes in Text.
var changeLabelsVI = map[string]string{
	"code":           "mã thủ tục",
	"name":           "tên",
	"sector":         "lĩnh vực",
	"level":          "cấp thực hiện",
	"agency":         "cơ quan",
	"effective_from": "ngày hiệu lực",
	"kind":           "loại",
	"role":           "vai trò",
	"within":         "thời gian",
	"exits":          "hướng đi",
	"in_person":      "đến trực tiếp",
	"supplement":     "yêu cầu bổ sung",
	"parent":         "thuộc bước song song",
	"branches":       "các nhánh",
	"request":        "nội dung xin ý kiến",
	"fees":           "phí thu",
	"timeout":        "hạn nộp phí",
	"check":          "kiểm tra tự động",
	"to":             "gửi đến",
	"message":        "nội dung",
	"optional":       "không bắt buộc",
	"when":           "điều kiện",
	"copies":         "số bản",
	"reuse":          "tái sử dụng dữ liệu",
	"file_types":     "loại tệp",
	"max_size_mb":    "dung lượng tối đa",
	"note":           "ghi chú",
	"amount":         "mức thu",
	"online_amount":  "mức thu trực tuyến",
	"payable_online": "nộp trực tuyến",
	"label":          "nhãn",
	"type":           "kiểu",
	"rules":          "ràng buộc",
	"options":        "lựa chọn",
	"help":           "hướng dẫn",
}

func levelVI(level string) string {
	if vi, ok := modeNamesVI[level]; ok {
		return vi
	}
	if level == "none" {
		return "không trực tuyến"
	}
	return level
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// Text writes the diff for people, in Vietnamese: + added, - removed,
// ~ changed.
func (d *PlanDiff) Text() string {
	var b strings.Builder
	line := func(indent int, format string, args ...any) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	line(0, "Thủ tục %s %s", d.Code, d.Name)
	if d.Version.Old == d.Version.New {
		line(0, "Phiên bản: %s (không đổi)", d.Version.New)
	} else {
		line(0, "Phiên bản: %s → %s", d.Version.Old, d.Version.New)
	}
	if d.Hash.Old == d.Hash.New {
		line(0, "Mã băm: %s (không đổi)", shortHash(d.Hash.New))
	} else {
		line(0, "Mã băm: %s → %s", shortHash(d.Hash.Old), shortHash(d.Hash.New))
	}
	if d.Empty() {
		line(0, "Không có thay đổi nào về nội dung.")
		return b.String()
	}
	writeChanges := func(indent int, cs []Change) {
		for _, c := range cs {
			label := changeLabelsVI[c.Field]
			if outcome, ok := strings.CutPrefix(c.Field, "exits."); ok {
				label = "hướng đi " + outcome
			} else if label == "" {
				label = c.Field
			}
			o, n := c.Old, c.New
			if boolFields[c.Field] {
				o, n = boolVI(o), boolVI(n)
			}
			line(indent, "~ %s: %s → %s", label, orNone(o), orNone(n))
		}
	}
	var writeList func(indent int, title string, l *ListDiff)
	writeList = func(indent int, title string, l *ListDiff) {
		if l.empty() {
			return
		}
		line(indent, "%s:", title)
		for _, it := range l.Removed {
			line(indent+1, "- %s", describeItem(it))
		}
		for _, it := range l.Added {
			line(indent+1, "+ %s", describeItem(it))
		}
		for _, c := range l.Changed {
			line(indent+1, "~ %s", describeItem(Item{ID: c.ID, Name: c.Name}))
			writeChanges(indent+3, c.Changes)
			writeList(indent+3, "Trường biểu mẫu", c.Form)
		}
	}
	if len(d.Changes) > 0 || len(d.LegalBasisAdded)+len(d.LegalBasisRemoved) > 0 {
		b.WriteByte('\n')
		line(0, "Thông tin chung:")
		writeChanges(1, d.Changes)
		for _, l := range d.LegalBasisRemoved {
			line(1, "- căn cứ pháp lý: %s", l)
		}
		for _, l := range d.LegalBasisAdded {
			line(1, "+ căn cứ pháp lý: %s", l)
		}
	}
	if d.OnlineLevel != nil {
		b.WriteByte('\n')
		line(0, "Mức độ trực tuyến: %s → %s", levelVI(d.OnlineLevel.Old), levelVI(d.OnlineLevel.New))
	}
	writeSummary := func(sign string, m ModeSummary) {
		line(1, "%s %s: thời hạn %s; đến trực tiếp %d lần; nộp qua %s; trả kết quả qua %s; %d bước; tổng thời gian theo đường dài nhất %s",
			sign, modeLabel(m.Mode), m.TimeLimit, m.InPersonVisits, strings.Join(m.Channels, ", "),
			strings.Join(m.Delivery, ", "), m.Steps, formatHoursVI(m.LongestPathHours))
	}
	if len(d.ModesAdded)+len(d.ModesRemoved) > 0 {
		b.WriteByte('\n')
		line(0, "Hình thức cung cấp:")
		for _, m := range d.ModesRemoved {
			writeSummary("-", m)
		}
		for _, m := range d.ModesAdded {
			writeSummary("+", m)
		}
	}
	for _, md := range d.Modes {
		b.WriteByte('\n')
		line(0, "Hình thức %s:", modeLabel(md.Mode))
		if md.TimeLimit != nil {
			line(1, "~ thời hạn giải quyết: %s → %s", md.TimeLimit.Old, md.TimeLimit.New)
		}
		if md.InPersonVisits != nil {
			line(1, "~ số lần công dân đến trực tiếp: %d → %d", md.InPersonVisits.Old, md.InPersonVisits.New)
		}
		if md.LongestPathHours != nil {
			line(1, "~ tổng thời gian theo đường dài nhất: %s → %s", formatHoursVI(md.LongestPathHours.Old), formatHoursVI(md.LongestPathHours.New))
		}
		if md.Start != nil {
			line(1, "~ bước đầu tiên: %s → %s", md.Start.Old, md.Start.New)
		}
		for _, c := range md.ChannelsRemoved {
			line(1, "- kênh nộp hồ sơ: %s", c)
		}
		for _, c := range md.ChannelsAdded {
			line(1, "+ kênh nộp hồ sơ: %s", c)
		}
		for _, c := range md.DeliveryRemoved {
			line(1, "- cách trả kết quả: %s", c)
		}
		for _, c := range md.DeliveryAdded {
			line(1, "+ cách trả kết quả: %s", c)
		}
		writeList(1, "Các bước", md.Steps)
	}
	for _, part := range []struct {
		title string
		list  *ListDiff
	}{
		{"Thành phần hồ sơ", d.Components},
		{"Phí, lệ phí", d.Fees},
		{"Vai trò", d.Roles},
		{"Cơ quan", d.Agencies},
	} {
		if !part.list.empty() {
			b.WriteByte('\n')
			writeList(0, part.title, part.list)
		}
	}
	if len(d.Result) > 0 {
		b.WriteByte('\n')
		line(0, "Kết quả:")
		writeChanges(1, d.Result)
	}
	return b.String()
}

// boolFields are the fields whose values are yes or no.
var boolFields = map[string]bool{"in_person": true, "supplement": true, "optional": true, "payable_online": true}

func boolVI(s string) string {
	switch s {
	case "yes":
		return "có"
	case "no":
		return "không"
	}
	return s
}

// levelsVI names administrative levels.
var levelsVI = map[string]string{"central": "trung ương", "province": "cấp tỉnh", "district": "cấp huyện", "commune": "cấp xã"}

func orNone(s string) string {
	if s == "" {
		return "(không có)"
	}
	return s
}

func describeItem(it Item) string {
	s := it.ID
	if it.Name != "" {
		s += " (" + it.Name + ")"
	}
	if it.Detail != "" {
		s += ": " + it.Detail
	}
	return s
}

// formatBranches writes the branches of a parallel step, e.g.
// "Đăng ký thường trú: dang_ky_thuong_tru; nhánh 2: cap_the".
func formatBranches(bs []PlanBranch) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		name := b.Name
		if name == "" {
			name = fmt.Sprintf("nhánh %d", i+1)
		}
		start := b.Start
		if start == "" {
			start = "(không có bước)"
		}
		parts[i] = name + ": " + start
	}
	return strings.Join(parts, "; ")
}
