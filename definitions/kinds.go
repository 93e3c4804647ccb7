package definitions

// Step kinds.
const (
	KindReception = "reception"
	KindTask      = "task"
	KindSign      = "sign"
	KindPay       = "pay"
	KindConsult   = "consult"
	KindParallel  = "parallel"
	KindDecide    = "decide"
	KindAuto      = "auto"
	KindNotify    = "notify"
	KindReturn    = "return"
)

// Modes of online service.
const (
	ModeFullOnline    = "full_online"
	ModePartialOnline = "partial_online"
)

// AllModes lists the modes in the order plans and diagrams use.
var AllModes = []string{ModeFullOnline, ModePartialOnline}

// Targets that end a dossier instead of naming a step.
const (
	TargetRefused = "refused" // ends with a refusal notice and its reasons
	TargetStopped = "stopped" // processing stopped (national status 8)
)

// stepKind says which keys a step kind takes, beside id, kind, name and modes.
type stepKind struct {
	Kind     string
	Doc      string
	Required []string
	Optional []string
}

// commonStepKeys are taken by every kind.
var commonStepKeys = []string{"id", "kind", "name", "modes"}

// stepKinds is the one table of what each step kind takes; the linter and the
// JSON Schema both read it.
var stepKinds = []stepKind{
	{KindReception, "The one-stop section checks the dossier: accept (next), ask for a supplement, or refuse.",
		[]string{"role", "within"}, []string{"next", "supplement", "in_person"}},
	{KindTask, "An officer reviews the dossier and chooses one of the named outcomes.",
		[]string{"role", "within", "outcomes"}, []string{"supplement", "in_person"}},
	{KindSign, "A leader approves and signs the result digitally (outcome signed, unless outcomes are given).",
		[]string{"role", "within"}, []string{"next", "outcomes"}},
	{KindPay, "The citizen pays the fees (outcome paid) before the time-out (outcome on_timeout, default stopped).",
		[]string{"timeout"}, []string{"fees", "on_timeout", "next"}},
	{KindConsult, "Another agency is consulted (liên thông) within its own allotted time and answers with an outcome.",
		[]string{"agency", "role", "within"}, []string{"request", "outcomes", "next", "supplement"}},
	{KindParallel, "Branches run at the same time; the step ends when all have joined.",
		[]string{"branches"}, []string{"next"}},
	{KindDecide, "Goes to the first case whose condition on the form data holds, else to otherwise.",
		[]string{"cases", "otherwise"}, nil},
	{KindAuto, "A named automated check; passes to next, fails to on_fail.",
		[]string{"check", "on_fail"}, []string{"next"}},
	{KindNotify, "Sends a message to the applicant or to a role.",
		[]string{"to", "message"}, []string{"next"}},
	{KindReturn, "The result is returned (e-result, post or counter); the dossier ends.",
		[]string{"role"}, []string{"within", "in_person"}},
}

func findStepKind(kind string) (stepKind, bool) {
	for _, k := range stepKinds {
		if k.Kind == kind {
			return k, true
		}
	}
	return stepKind{}, false
}

// humanKinds are the kinds whose allotted time counts toward the time limit.
var timedKinds = map[string]bool{KindReception: true, KindTask: true, KindSign: true, KindConsult: true, KindReturn: true}

// KnownChecks are the automated checks an auto step may name, with what the
// engine does for each.
var KnownChecks = []struct{ Name, Doc string }{
	{"identity", "verify the applicant's identity with VNeID / the national population database"},
	{"population_lookup", "fetch the applicant's personal data from the national population database"},
	{"duplicate_dossier", "look for an open dossier of the same applicant and procedure"},
	{"business_name", "check the business name against the business registry"},
	{"land_parcel", "look up the land parcel in the land registry"},
	{"criminal_record_db", "search the judicial record database"},
}

func knownCheckNames() []string {
	out := make([]string, len(KnownChecks))
	for i, c := range KnownChecks {
		out[i] = c.Name
	}
	return out
}
