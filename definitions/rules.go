package definitions

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/motcua/motcua/internal/suggest"
)

var (
	procedureCodeRe = regexp.MustCompile(`^[0-9]\.[0-9]{6}$`)
	identRe         = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	clockRe         = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// structRules checks the `validate` tags of the format types.
var structRules = newStructRules()

func newStructRules() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	mustRegister(v, "procedure_code", func(fl validator.FieldLevel) bool { return procedureCodeRe.MatchString(fl.Field().String()) })
	mustRegister(v, "ident", func(fl validator.FieldLevel) bool { return identRe.MatchString(fl.Field().String()) })
	mustRegister(v, "clock", func(fl validator.FieldLevel) bool { return clockRe.MatchString(fl.Field().String()) })
	return v
}

func mustRegister(v *validator.Validate, tag string, fn validator.Func) {
	if err := v.RegisterValidation(tag, fn); err != nil {
		panic(fmt.Sprintf("definitions: registering validator %q: %v", tag, err))
	}
}

// checkStruct runs the struct rules on def and reports each failure at the
// position its path came from. Paths that already failed to decode are
// skipped: their problem was reported once.
func checkStruct(d *decoder, def *Definition) {
	checkStructErr(d, structRules.Struct(def))
}

// checkStructErr reports the errors of a struct validation at their positions.
func checkStructErr(d *decoder, err error) {
	var verrs validator.ValidationErrors
	if err == nil || !errors.As(err, &verrs) {
		if err != nil {
			d.r.errorf(Pos{}, "", "internal validation error: %v", err)
		}
		return
	}
	for _, fe := range verrs {
		_, path, _ := strings.Cut(fe.Namespace(), ".")
		if d.bad[path] || d.bad[parentPath(path)] {
			continue
		}
		reportFieldError(d, path, fe)
		d.bad[path] = true
	}
}

func reportFieldError(d *decoder, path string, fe validator.FieldError) {
	name := fe.Field()
	value := fmt.Sprint(fe.Value())
	switch fe.Tag() {
	case "required":
		if !d.has(path) {
			parent := parentPath(path)
			where := ""
			if parent != "" {
				where = parent + ": "
			}
			d.r.errorf(d.at(parent), "", "%smissing required field %q", where, name)
			return
		}
		d.r.errorf(d.at(path), "", "%s: must not be empty", path)
	case "min":
		d.r.errorf(d.at(path), "", "%s: needs at least %s item(s)", path, fe.Param())
	case "oneof":
		options := strings.Fields(fe.Param())
		d.r.errorf(d.at(path), suggest.DidYouMean(value, options), "%s: %q is not one of: %s", path, value, strings.Join(options, ", "))
	case "unique":
		d.r.errorf(d.at(path), "", "%s: has the same entry twice", path)
	case "gte":
		d.r.errorf(d.at(path), "", "%s: must be at least %s, got %s", path, fe.Param(), value)
	case "lte":
		d.r.errorf(d.at(path), "", "%s: must be at most %s, got %s", path, fe.Param(), value)
	case "ident":
		d.r.errorf(d.at(path), "", "%s: %q is not a valid id: use lower-case letters, digits and _ and start with a letter", path, value)
	case "procedure_code":
		d.r.errorf(d.at(path), "", "%s: %q is not a national catalog code such as \"1.001193\"", path, value)
	case "clock":
		d.r.errorf(d.at(path), "", "%s: %q is not a time of day (HH:MM)", path, value)
	case "excludesall":
		d.r.errorf(d.at(path), "", "%s: %q must not contain any of %q", path, value, fe.Param())
	case "printascii":
		d.r.errorf(d.at(path), "", "%s: %q must be plain ASCII", path, value)
	case "max":
		d.r.errorf(d.at(path), "", "%s: must be at most %s characters long", path, fe.Param())
	default:
		d.r.errorf(d.at(path), "", "%s: fails rule %q", path, fe.Tag())
	}
}

// formRules is the validator used to check the rules of e-form fields.
var formRules = validator.New()

// filledValue is a non-zero value of the Go type a form field holds, so that
// rules after "required" are evaluated too.
func filledValue(fieldType string) any {
	switch fieldType {
	case "integer":
		return int64(1)
	case "number":
		return float64(1.5)
	case "boolean":
		return true
	case "date":
		return "2025-07-01"
	default:
		return "x"
	}
}

// ZeroValue is the value, of the Go type a form field of this type holds,
// that a missing field takes in conditions and validation.
func ZeroValue(fieldType string) any {
	switch fieldType {
	case "integer":
		return int64(0)
	case "number":
		return float64(0)
	case "boolean":
		return false
	default:
		return ""
	}
}

// checkFormRules reports whether rules is a valid validator tag for a field of
// the given type: unknown tags and malformed parameters make the validator
// panic, which is turned into an error here.
func checkFormRules(rules, fieldType string) (err error) {
	if strings.TrimSpace(rules) == "" {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if tag, ok := strings.CutPrefix(msg, "Undefined validation function '"); ok {
				tag, _, _ = strings.Cut(tag, "'")
				err = fmt.Errorf("unknown validator tag %q", tag)
				return
			}
			err = fmt.Errorf("invalid rules %q for a %s field: %s", rules, fieldType, msg)
		}
	}()
	_ = formRules.Var(ZeroValue(fieldType), rules)
	_ = formRules.Var(filledValue(fieldType), rules)
	return nil
}

// knownFormTags lists the validator tags suggested when an unknown one is met.
var knownFormTags = []string{
	"required", "omitempty", "min", "max", "len", "eq", "ne", "gt", "gte", "lt", "lte", "oneof",
	"email", "url", "numeric", "number", "alpha", "alphanum", "alphaunicode", "alphanumunicode",
	"datetime", "e164", "contains", "startswith", "endswith", "excludes", "lowercase", "uppercase",
	"boolean", "uuid", "ip", "required_if", "required_with", "excluded_if",
}
