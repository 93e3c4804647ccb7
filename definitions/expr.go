package definitions

import (
	"errors"
	"fmt"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
)

// exprEnv is the typed environment of the conditions of a definition: every
// form field by its id, plus mode and channel.
type exprEnv struct {
	vars map[string]any
}

func newExprEnv(def *Definition) *exprEnv {
	vars := map[string]any{"mode": "", "channel": ""}
	for _, c := range def.Components {
		for _, f := range c.Form {
			if f.ID != "" && !reservedNames[f.ID] {
				vars[f.ID] = ZeroValue(f.Type)
			}
		}
	}
	return &exprEnv{vars: vars}
}

// check type-checks src as a condition. It returns a message and the column
// (from 1) within src, or "" when src is a valid condition.
func (e *exprEnv) check(src string) (string, int) {
	if strings.TrimSpace(src) == "" {
		return "empty condition", 0
	}
	_, err := expr.Compile(src, expr.Env(e.vars), expr.AsBool())
	if err == nil {
		return "", 0
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		col := 0
		if fe.Line <= 1 {
			col = fe.Column + 1
		}
		return fmt.Sprintf("condition %q: %s", src, fe.Message), col
	}
	return fmt.Sprintf("condition %q: %v", src, err), 0
}

// EvalCondition evaluates a condition of a plan over form values. Fields
// missing from values take the zero value of their type.
func EvalCondition(p *Plan, src string, values map[string]any, mode, channel string) (bool, error) {
	env := map[string]any{"mode": mode, "channel": channel}
	for _, c := range p.Components {
		for _, f := range c.Form {
			env[f.ID] = ZeroValue(f.Type)
		}
	}
	for k, v := range values {
		if _, ok := env[k]; ok && k != "mode" && k != "channel" {
			env[k] = v
		}
	}
	out, err := expr.Eval(src, env)
	if err != nil {
		return false, fmt.Errorf("evaluating condition %q: %w", src, err)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("condition %q gave %T, not a boolean", src, out)
	}
	return b, nil
}
