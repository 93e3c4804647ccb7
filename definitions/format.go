package definitions

// This file is the single specification of the procedure format. The YAML
// decoder, the validator rules (`validate` tags), the JSON Schema and the
// reference documentation are all derived from these types and their tags:
//
//   - `yaml` names the key; `omitempty` marks it optional in the schema.
//   - `validate` holds go-playground/validator rules; `required` and `oneof`
//     also become `required` and `enum` in the JSON Schema.
//   - `doc` is the one-line description shown in the schema and the docs.
//
// Step kinds share one Go type; which keys each kind takes is the stepKinds
// table in kinds.go, used by both the linter and the schema.

// Definition is one administrative procedure as a business analyst writes it.
type Definition struct {
	Code          string      `yaml:"code" validate:"required,procedure_code" doc:"National catalog code of the procedure, e.g. \"1.001193\"."`
	Name          string      `yaml:"name" validate:"required" doc:"Official name of the procedure, in Vietnamese."`
	Sector        string      `yaml:"sector" validate:"required" doc:"Sector (lĩnh vực), e.g. \"Hộ tịch\"."`
	Level         string      `yaml:"level" validate:"required,oneof=province district commune" doc:"Level of the competent agency."`
	Agency        string      `yaml:"agency" validate:"required,ident" doc:"Id of the competent agency, one of agencies."`
	LegalBasis    []string    `yaml:"legal_basis,omitempty" validate:"omitempty,dive,required" doc:"Legal documents the procedure rests on."`
	Version       string      `yaml:"version" validate:"required" doc:"Version label chosen by the analyst, e.g. \"2025.2\"."`
	EffectiveFrom Date        `yaml:"effective_from" validate:"required" doc:"Date (YYYY-MM-DD) from which this version applies."`
	Modes         Modes       `yaml:"modes" doc:"The online service levels offered and what differs per level."`
	TimeLimit     TimeLimit   `yaml:"time_limit" doc:"Legal time limit for handling a dossier."`
	Supplements   Supplements `yaml:"supplements,omitempty" doc:"How supplement requests are limited."`
	Fees          []Fee       `yaml:"fees,omitempty" validate:"omitempty,dive" doc:"Fees and charges (phí, lệ phí)."`
	Result        Result      `yaml:"result" doc:"What the citizen receives."`
	Agencies      []Agency    `yaml:"agencies" validate:"required,min=1,dive" doc:"Agencies taking part: the competent one and any consulted."`
	Roles         []Role      `yaml:"roles" validate:"required,min=1,dive" doc:"Roles of the officers who act on the dossier."`
	Components    []Component `yaml:"components" validate:"required,min=1,dive" doc:"Dossier components (thành phần hồ sơ)."`
	Steps         []Step      `yaml:"steps" validate:"required,min=1,dive" doc:"Steps, in order; a step without next goes on to the one below it."`
}

// Modes lists the online service levels a procedure offers. At least one
// must be present.
type Modes struct {
	FullOnline    *ModeSpec `yaml:"full_online,omitempty" doc:"Full-online service (toàn trình): everything online, result online or by post."`
	PartialOnline *ModeSpec `yaml:"partial_online,omitempty" doc:"Partial-online service (một phần): some step needs the citizen in person."`
}

// ModeSpec says how one mode is delivered.
type ModeSpec struct {
	Channels  []string   `yaml:"channels" validate:"required,min=1,unique,dive,oneof=online in_person postal" doc:"Channels a dossier may arrive by in this mode."`
	Delivery  []string   `yaml:"delivery" validate:"required,min=1,unique,dive,oneof=e_result postal counter" doc:"Ways the result may be returned in this mode."`
	TimeLimit *TimeLimit `yaml:"time_limit,omitempty" doc:"Time limit of this mode when it differs from the procedure's."`
	Note      string     `yaml:"note,omitempty" doc:"What else differs in this mode, for the reader."`
}

// TimeLimit is the legal time for handling a dossier, counted in working
// time from the day after reception (Civil Code 2015 Art. 147).
type TimeLimit struct {
	WorkingDays  int    `yaml:"working_days,omitempty" validate:"gte=0,lte=365" doc:"Limit in working days."`
	WorkingHours int    `yaml:"working_hours,omitempty" validate:"gte=0,lte=2000" doc:"Limit in working hours (8 hours a working day)."`
	SameDay      bool   `yaml:"same_day,omitempty" doc:"Result the same working day when received before the cut-off, else the next one."`
	Counting     string `yaml:"counting,omitempty" validate:"omitempty,oneof=days hours" doc:"days: whole working days (Civil Code); hours: office hours rounded to half days. Default: days, or hours when working_hours is set."`
	Cutoff       string `yaml:"cutoff,omitempty" validate:"omitempty,clock" doc:"Afternoon cut-off (HH:MM): a dossier received later counts from the next working day."`
}

// Supplements limits supplement requests (yêu cầu bổ sung hồ sơ).
type Supplements struct {
	Max    int       `yaml:"max,omitempty" validate:"gte=0,lte=10" doc:"Supplement requests allowed per dossier during processing; the indicators count more as late. Default: 1."`
	Within *Duration `yaml:"within,omitempty" doc:"Time the citizen has to supplement before processing stops. Default: 15 working days."`
}

// Fee is one fee or charge of the procedure.
type Fee struct {
	ID            string `yaml:"id" validate:"required,ident" doc:"Identifier of the fee."`
	Name          string `yaml:"name" validate:"required" doc:"Name of the fee, in Vietnamese."`
	Amount        int64  `yaml:"amount" validate:"gte=0" doc:"Amount in VND."`
	OnlineAmount  *int64 `yaml:"online_amount,omitempty" validate:"omitempty,gte=0" doc:"Reduced amount in VND when submitted online, if any."`
	PayableOnline bool   `yaml:"payable_online,omitempty" doc:"Whether the fee can be paid through the payment platform."`
	When          string `yaml:"when,omitempty" doc:"Condition on form fields under which the fee applies (expr language)."`
	Note          string `yaml:"note,omitempty" doc:"Legal basis or exemptions."`
}

// Result describes what the citizen receives at the end.
type Result struct {
	Kind string `yaml:"kind" validate:"required,oneof=document none" doc:"document: a paper or electronic document (signed); none: an action only."`
	Name string `yaml:"name" validate:"required" doc:"Name of the result, e.g. \"Giấy khai sinh\"."`
}

// Agency is an agency that takes part in the procedure.
type Agency struct {
	ID    string `yaml:"id" validate:"required,ident" doc:"Identifier used by roles and consult steps."`
	Code  string `yaml:"code,omitempty" validate:"omitempty,max=40,printascii,excludesall= " doc:"National agency code used in dossier codes, e.g. \"000.00.01.H22\". Default: the id in capitals."`
	Name  string `yaml:"name" validate:"required" doc:"Name of the agency, in Vietnamese."`
	Level string `yaml:"level,omitempty" validate:"omitempty,oneof=central province district commune" doc:"Administrative level of the agency."`
}

// Role is a kind of officer who acts on dossiers.
type Role struct {
	ID     string `yaml:"id" validate:"required,ident" doc:"Identifier used by steps."`
	Name   string `yaml:"name" validate:"required" doc:"Name of the role, in Vietnamese."`
	Agency string `yaml:"agency" validate:"required,ident" doc:"Id of the agency the role belongs to."`
}

// Component is one document of the dossier.
type Component struct {
	ID        string   `yaml:"id" validate:"required,ident" doc:"Identifier of the component."`
	Name      string   `yaml:"name" validate:"required" doc:"Name of the document, in Vietnamese."`
	Optional  bool     `yaml:"optional,omitempty" doc:"The component may be left out."`
	When      string   `yaml:"when,omitempty" doc:"Condition on form fields under which the component is required (expr language)."`
	Copies    Copies   `yaml:"copies,omitempty" doc:"Originals and copies required on paper."`
	FileTypes []string `yaml:"file_types,omitempty" validate:"omitempty,unique,dive,oneof=pdf jpg jpeg png doc docx xls xlsx xml" doc:"Accepted file types of the electronic copy. Default: pdf, jpg, png."`
	MaxSizeMB int      `yaml:"max_size_mb,omitempty" validate:"gte=0,lte=100" doc:"Size limit of one file in MB. Default: 10."`
	Reuse     string   `yaml:"reuse,omitempty" validate:"omitempty,oneof=population_db earlier_result business_registry land_registry civil_status_db insurance_db" doc:"Data store the component can be re-used from instead of being asked for."`
	Form      []Field  `yaml:"form,omitempty" validate:"omitempty,dive" doc:"Fields of the electronic form (e-form) of this component."`
	Note      string   `yaml:"note,omitempty" doc:"Guidance for the citizen."`
}

// Copies counts the paper documents a component requires.
type Copies struct {
	Original      int `yaml:"original,omitempty" validate:"gte=0,lte=20" doc:"Originals (bản chính)."`
	Copy          int `yaml:"copy,omitempty" validate:"gte=0,lte=20" doc:"Plain copies (bản sao)."`
	CertifiedCopy int `yaml:"certified_copy,omitempty" validate:"gte=0,lte=20" doc:"Certified copies (bản sao chứng thực)."`
}

// Field is one typed field of an e-form.
type Field struct {
	ID      string   `yaml:"id" validate:"required,ident" doc:"Identifier of the field, unique in the definition; used in expressions."`
	Label   string   `yaml:"label" validate:"required" doc:"Label shown to the citizen, in Vietnamese."`
	Type    string   `yaml:"type" validate:"required,oneof=string text integer number boolean date select" doc:"Type of the value."`
	Rules   string   `yaml:"rules,omitempty" doc:"Validation rules as go-playground/validator tags, e.g. \"required,max=100\"."`
	Options []string `yaml:"options,omitempty" validate:"omitempty,unique,dive,required" doc:"Allowed values of a select field."`
	Help    string   `yaml:"help,omitempty" doc:"Help text shown under the field."`
}

// Step is one step of the procedure. Kind decides which other keys apply;
// see the stepKinds table.
type Step struct {
	ID         string    `yaml:"id" validate:"required,ident" doc:"Identifier of the step, unique in the definition."`
	Kind       string    `yaml:"kind" validate:"required,oneof=reception task sign pay consult parallel decide auto notify return" doc:"What the step does."`
	Name       string    `yaml:"name,omitempty" doc:"Name of the step shown to officers, in Vietnamese."`
	Role       string    `yaml:"role,omitempty" validate:"omitempty,ident" doc:"Role that acts at this step."`
	Within     *Duration `yaml:"within,omitempty" doc:"Time allotted to the step."`
	Modes      []string  `yaml:"modes,omitempty" validate:"omitempty,unique,dive,oneof=full_online partial_online" doc:"Modes the step applies to. Default: all."`
	Supplement bool      `yaml:"supplement,omitempty" doc:"The officer may ask the citizen for a supplement here (pauses the clock)."`
	InPerson   bool      `yaml:"in_person,omitempty" doc:"The citizen must come in person at this step."`
	Next       string    `yaml:"next,omitempty" validate:"omitempty,ident" doc:"Step that follows (default: the step below)."`
	Outcomes   Outcomes  `yaml:"outcomes,omitempty" doc:"Named outcomes and the step each leads to (or refused / stopped)."`
	Agency     string    `yaml:"agency,omitempty" validate:"omitempty,ident" doc:"consult: the agency consulted."`
	Request    string    `yaml:"request,omitempty" doc:"consult: what is asked of the other agency."`
	Fees       []string  `yaml:"fees,omitempty" validate:"omitempty,unique,dive,ident" doc:"pay: the fees collected (default: all)."`
	Timeout    *Duration `yaml:"timeout,omitempty" doc:"pay: how long the citizen has to pay."`
	OnTimeout  string    `yaml:"on_timeout,omitempty" validate:"omitempty,ident" doc:"pay: where an unpaid dossier goes (default: stopped)."`
	Cases      []Case    `yaml:"cases,omitempty" validate:"omitempty,dive" doc:"decide: conditions tried in order."`
	Otherwise  string    `yaml:"otherwise,omitempty" validate:"omitempty,ident" doc:"decide: where to go when no case holds."`
	Branches   []Branch  `yaml:"branches,omitempty" validate:"omitempty,dive" doc:"parallel: branches run at the same time and joined before next."`
	Check      string    `yaml:"check,omitempty" doc:"auto: name of the automated check."`
	OnFail     string    `yaml:"on_fail,omitempty" validate:"omitempty,ident" doc:"auto: where the dossier goes when the check fails."`
	To         string    `yaml:"to,omitempty" doc:"notify: applicant, or a role id."`
	Message    string    `yaml:"message,omitempty" doc:"notify: the message, in Vietnamese."`
}

// Duration is an amount of working time: exactly one of its keys is set.
type Duration struct {
	WorkingDays  int `yaml:"working_days,omitempty" validate:"gte=0,lte=365" doc:"Working days."`
	WorkingHours int `yaml:"working_hours,omitempty" validate:"gte=0,lte=2000" doc:"Working hours."`
}

// Case is one condition of a decide step.
type Case struct {
	When string `yaml:"when" validate:"required" doc:"Condition on form fields (expr language), e.g. \"area > 500\"."`
	Next string `yaml:"next" validate:"required,ident" doc:"Step taken when the condition holds."`
}

// Branch is one branch of a parallel step.
type Branch struct {
	Name  string `yaml:"name,omitempty" doc:"Name of the branch."`
	Steps []Step `yaml:"steps" validate:"required,min=1,dive" doc:"Steps of the branch, run in order; the branch ends by joining."`
}
