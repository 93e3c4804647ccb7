package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

func validatorInstance() *validator.Validate {
	validateOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				return ""
			}
			if name == "" {
				return f.Name
			}
			return name
		})
	})
	return validate
}

// mediaType returns the request's media type, lower case, without
// parameters; "" when absent.
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "invalid"
	}
	return mt
}

// DecodeJSON reads one JSON object of at most limit bytes from body into
// dst (a pointer to a struct with json and validate tags): unknown fields,
// trailing data, wrong types and failed rules are errors naming the field.
// It is what every JSON request of the API goes through.
func DecodeJSON(body io.Reader, limit int64, dst any) error {
	data, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		var big *http.MaxBytesError
		if errors.As(err, &big) {
			return err
		}
		return badRequest("", "reading the request body: %v", err)
	}
	if int64(len(data)) > limit {
		return &http.MaxBytesError{Limit: limit}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return badRequest("", "the request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "the request body holds more than one JSON value: send one object")
	}
	return validateStruct(dst)
}

// jsonError explains a decoding error with where it happened.
func jsonError(data []byte, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return badRequest("", "malformed JSON at line %d, column %d: %v", line, col, syn)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends before the value does")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", "the request body must be a JSON object, not %s", typ.Value)
		}
		return badRequest(field, "field %s must be %s, not %s", field, jsonType(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest(name, "unknown field %q", name)
	}
	return badRequest("", "malformed JSON: %v", err)
}

// position turns a byte offset into a line and column, both from 1.
func position(data []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return "a time (RFC 3339)"
		}
		return "an object"
	}
	return t.String()
}

// validateStruct runs the validate tags of dst; the first failure names
// its field by JSON path.
func validateStruct(dst any) error {
	err := validatorInstance().Struct(dst)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		return badRequest("", "checking the request: %v", err)
	}
	fe := ves[0]
	field := fe.Namespace()
	if _, rest, ok := strings.Cut(field, "."); ok {
		field = rest // drop the struct's own name
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Field: field,
		Message: fmt.Sprintf("field %s %s", field, ruleText(fe))}
}

func ruleText(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		if fe.Kind() == reflect.String {
			return "must be at most " + fe.Param() + " characters long"
		}
		return "must have at most " + fe.Param() + " items"
	case "min":
		return "must be at least " + fe.Param()
	case "oneof":
		return "must be one of " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "gte":
		return "must be at least " + fe.Param()
	}
	return "fails rule " + fe.Tag()
}

// requireJSON checks a request body is declared JSON.
func requireJSON(r *http.Request) error {
	switch mediaType(r) {
	case "application/json":
		return nil
	case "":
		return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType, "Content-Type",
			"Content-Type is missing: send application/json")
	}
	return errorf(http.StatusUnsupportedMediaType, CodeUnsupportedType, "Content-Type",
		"Content-Type %q is not accepted here: send application/json", r.Header.Get("Content-Type"))
}

// page reads page and per_page (default 1 and 50, at most 200).
func page(r *http.Request) (pageNo, perPage int, err error) {
	pageNo, perPage = 1, 50
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 1_000_000 {
			return 0, 0, badRequest("page", "page must be a whole number from 1, not %q", v)
		}
		pageNo = n
	}
	if v := q.Get("per_page"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 200 {
			return 0, 0, badRequest("per_page", "per_page must be a whole number from 1 to 200, not %q", v)
		}
		perPage = n
	}
	return pageNo, perPage, nil
}

// oneOf reads an optional query parameter restricted to values.
func oneOf(r *http.Request, name string, values ...string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", nil
	}
	for _, ok := range values {
		if v == ok {
			return v, nil
		}
	}
	return "", badRequest(name, "%s must be one of %s, not %q", name, strings.Join(values, ", "), v)
}
