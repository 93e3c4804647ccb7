package service

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/motcua/motcua/definitions"
)

// formRules checks form values with the rules of their fields.
var formRules = validator.New()

// DateLayout is how a date field is written: YYYY-MM-DD.
const DateLayout = "2006-01-02"

// fieldsOf returns the e-form fields of a plan in document order.
func fieldsOf(p *definitions.Plan) []definitions.Field {
	var out []definitions.Field
	for _, c := range p.Components {
		out = append(out, c.Form...)
	}
	return out
}

// convertForm turns raw text values into the types of their fields and
// checks each with its rules. Fields left out (or empty) are checked as
// their type's zero value, so that "required" reports them; they are not
// put in the converted form. With partial, only the fields given are
// checked (a supplement brings some fields, not the whole form).
func convertForm(p *definitions.Plan, raw map[string]string, partial bool) (map[string]any, []Problem) {
	var problems []Problem
	out := map[string]any{}
	known := map[string]bool{}
	for _, f := range fieldsOf(p) {
		known[f.ID] = true
		text, given := raw[f.ID]
		text = strings.TrimSpace(text)
		if partial && !given {
			continue
		}
		var value any
		if text == "" {
			value = definitions.ZeroValue(f.Type)
		} else {
			v, err := convertValue(f, text)
			if err != nil {
				problems = append(problems, Problem{Field: f.ID, Message: err.Error()})
				continue
			}
			value = v
		}
		if msg := checkRules(f, value); msg != "" {
			problems = append(problems, Problem{Field: f.ID, Message: msg})
			continue
		}
		if text != "" {
			out[f.ID] = value
		}
	}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		problems = append(problems, Problem{Field: k, Message: fmt.Sprintf("is not a form field of procedure %s (fields: %s)", p.Code, fieldList(p))})
	}
	return out, problems
}

func fieldList(p *definitions.Plan) string {
	var ids []string
	for _, f := range fieldsOf(p) {
		ids = append(ids, f.ID)
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// convertValue converts the text of a field to its type.
func convertValue(f definitions.Field, text string) (any, error) {
	switch f.Type {
	case "integer":
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("%q is too large", text)
			}
			return nil, fmt.Errorf("%q is not a whole number (write digits only, e.g. 12)", text)
		}
		return n, nil
	case "number":
		x, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%q is not a number (write digits with a '.' before decimals, e.g. 12.5)", text)
		}
		return x, nil
	case "boolean":
		switch strings.ToLower(text) {
		case "true", "1", "yes", "có", "co":
			return true, nil
		case "false", "0", "no", "không", "khong":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not yes or no (write true or false)", text)
	case "date":
		if _, err := time.Parse(DateLayout, text); err != nil {
			return nil, fmt.Errorf("%q is not a date written YYYY-MM-DD (e.g. 2025-07-01)", text)
		}
		return text, nil
	case "select":
		if !slices.Contains(f.Options, text) {
			return nil, fmt.Errorf("%q is not one of the choices: %s", text, strings.Join(f.Options, ", "))
		}
		return text, nil
	default: // string, text
		return text, nil
	}
}

// checkRules checks a converted value with the field's validator rules and
// returns a message, or "" when the value passes.
func checkRules(f definitions.Field, value any) (msg string) {
	if strings.TrimSpace(f.Rules) == "" {
		return ""
	}
	defer func() {
		// The catalog's lint rejects invalid rules; a plan that slipped
		// through must not crash a submission.
		if r := recover(); r != nil {
			msg = fmt.Sprintf("the procedure's rules %q for this field are invalid: %v", f.Rules, r)
		}
	}()
	err := formRules.Var(value, f.Rules)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) || len(verrs) == 0 {
		if err != nil {
			return err.Error()
		}
		return ""
	}
	return ruleMessage(f, verrs[0])
}

// ruleMessage says in words which rule a value broke.
func ruleMessage(f definitions.Field, fe validator.FieldError) string {
	text := f.Type == "string" || f.Type == "text" || f.Type == "select" || f.Type == "date"
	unit := func() string {
		if text {
			return " characters"
		}
		return ""
	}
	param := fe.Param()
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max", "lte":
		if text {
			return fmt.Sprintf("must be at most %s characters long", param)
		}
		return fmt.Sprintf("must be at most %s", param)
	case "min", "gte":
		if text {
			return fmt.Sprintf("must be at least %s characters long", param)
		}
		return fmt.Sprintf("must be at least %s", param)
	case "lt":
		return fmt.Sprintf("must be less than %s%s", param, unit())
	case "gt":
		return fmt.Sprintf("must be more than %s%s", param, unit())
	case "len":
		return fmt.Sprintf("must be exactly %s%s", param, unit())
	case "eq":
		return fmt.Sprintf("must be %s", param)
	case "ne":
		return fmt.Sprintf("must not be %s", param)
	case "oneof":
		return fmt.Sprintf("must be one of %s", strings.ReplaceAll(param, " ", ", "))
	case "numeric", "number":
		return "must contain digits only"
	case "email":
		return "is not an e-mail address"
	case "url":
		return "is not a URL"
	case "e164":
		return "is not a phone number in international form (+84…)"
	case "alpha", "alphaunicode":
		return "must contain letters only"
	case "alphanum", "alphanumunicode":
		return "must contain letters and digits only"
	case "datetime":
		return fmt.Sprintf("is not a date or time written %s", param)
	}
	if param != "" {
		return fmt.Sprintf("fails rule %s=%s", fe.Tag(), param)
	}
	return fmt.Sprintf("fails rule %s", fe.Tag())
}
