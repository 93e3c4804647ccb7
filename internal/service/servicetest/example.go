package servicetest

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
)

// ExampleRequest builds a valid submission of one mode of a plan from the
// plan alone: the mode's first channel and delivery, every form field
// filled to its rules, every component either re-used from the data store
// the plan names or uploaded as a file of a type it accepts.
func ExampleRequest(t testing.TB, plan *definitions.Plan, mp definitions.ModePlan) service.SubmitRequest {
	t.Helper()
	req := service.SubmitRequest{
		Procedure: plan.Code, Mode: mp.Mode, Channel: mp.Channels[0], Delivery: mp.Delivery[0],
		Applicant: dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A", Contact: "a@example.vn"},
		Form:      map[string]string{},
	}
	for _, c := range plan.Components {
		for _, f := range c.Form {
			req.Form[f.ID] = exampleValue(t, plan, f)
		}
		if c.Reuse != "" {
			req.Reused = append(req.Reused, c.ID)
			continue
		}
		types := c.FileTypes
		if len(types) == 0 {
			types = service.DefaultFileTypes
		}
		var name string
		var data []byte
		switch {
		case slices.Contains(types, "pdf"):
			name, data = c.ID+".pdf", PDF
		case slices.Contains(types, "png"):
			name, data = c.ID+".png", PNG
		case slices.Contains(types, "jpg"), slices.Contains(types, "jpeg"):
			name, data = c.ID+".jpg", JPG
		default:
			t.Fatalf("procedure %s: component %s accepts none of pdf, png, jpg (%v)", plan.Code, c.ID, types)
		}
		req.Components = append(req.Components, service.Upload{ID: c.ID, FileName: name, Data: bytes.NewReader(data)})
	}
	return req
}

// exampleValue is a value of a form field that satisfies its type and its
// validator rules.
func exampleValue(t testing.TB, plan *definitions.Plan, f definitions.Field) string {
	t.Helper()
	rules := map[string]string{}
	for _, r := range strings.Split(f.Rules, ",") {
		tag, param, _ := strings.Cut(strings.TrimSpace(r), "=")
		if tag != "" {
			rules[tag] = param
		}
	}
	num := func(tag string) (float64, bool) {
		p, ok := rules[tag]
		if !ok {
			return 0, false
		}
		x, err := strconv.ParseFloat(p, 64)
		require.NoError(t, err, "procedure %s, field %s: rule %s=%s", plan.Code, f.ID, tag, p)
		return x, true
	}
	switch f.Type {
	case "date":
		return "2025-07-01"
	case "boolean":
		return "false"
	case "select":
		require.NotEmpty(t, f.Options, "procedure %s: select field %s has no options", plan.Code, f.ID)
		return f.Options[0]
	case "integer", "number":
		lo, hi := math.Inf(-1), math.Inf(1)
		for _, tag := range []string{"min", "gte"} {
			if x, ok := num(tag); ok {
				lo = max(lo, x)
			}
		}
		if x, ok := num("gt"); ok {
			lo = max(lo, x+1)
		}
		for _, tag := range []string{"max", "lte"} {
			if x, ok := num(tag); ok {
				hi = min(hi, x)
			}
		}
		if x, ok := num("lt"); ok {
			hi = min(hi, x-1)
		}
		v := min(max(100, lo), hi)
		if f.Type == "integer" {
			v = math.Floor(v)
			if v < lo {
				v = math.Ceil(lo)
			}
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}

	// string, text
	if p, ok := rules["oneof"]; ok {
		return strings.Fields(p)[0]
	}
	if _, ok := rules["email"]; ok {
		return "a@example.vn"
	}
	length := func(def int) int {
		n := def
		if x, ok := num("min"); ok {
			n = max(n, int(x))
		}
		if x, ok := num("max"); ok {
			n = min(n, int(x))
		}
		if x, ok := num("len"); ok {
			n = int(x)
		}
		return n
	}
	fit := func(base []rune, n int) string {
		for len(base) < n {
			base = append(base, base...)
		}
		return strings.TrimSpace(string(base[:n]))
	}
	_, numeric := rules["numeric"]
	_, number := rules["number"]
	if numeric || number {
		// Identity numbers (len=12) look like a citizen's: 079090001234.
		n := length(12)
		if _, ok := rules["len"]; !ok {
			if _, ok := rules["min"]; ok {
				n = length(0) // the shortest allowed, e.g. a 10-digit phone number
			}
		}
		return fit([]rune("079090001234567890"), n)
	}
	text := []rune(fmt.Sprintf("Giá trị thử của %s", f.ID))
	v := fit(text, length(len(text)))
	require.NotEmpty(t, v, "procedure %s: no value fits field %s (%s)", plan.Code, f.ID, f.Rules)
	return v
}
