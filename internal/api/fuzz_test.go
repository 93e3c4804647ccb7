package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzDecodeJSON feeds arbitrary bodies to the decoder of every JSON
// request: it must never panic, and every failure must be an answer of
// the API (400, 413 or 422), never an internal error.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"task": "tiep_nhan", "outcome": "accept", "items": ["a"]}`,
		`{"procedure": "1.001193", "mode": "full_online", "channel": "online", "applicant": {"id": "1"}, "form": {"a": 1, "b": true, "c": null}}`,
		`{"satisfied": true}`, `{"new_appointment": "2026-01-02T15:04:05Z", "reason": "x"}`,
		`{"code": "X", "reference": "R", "amount": -1, "status": "paid"}`,
		`{"reference": "PAKN-1", "dossier_code": "X", "at": "2025-03-12T10:00:00+07:00", "content": "chậm\u0000"}`,
		`{"a":`, `[]`, `null`, `{"items": [1]}`, "{\"task\": \"\xff\"}", `{"amount": 1e400}`, `{} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []any{&ActBody{}, &SubmitBody{}, &SupplementBody{}, &WithdrawBody{}, &RatingBody{}, &ExtendBody{},
			&PaymentCallback{}, &PortalCallback{}, &NotificationCallback{}, &FeedbackCallback{}}
		for _, dst := range targets {
			err := DecodeJSON(bytes.NewReader(body), 1<<16, dst)
			if err == nil {
				continue
			}
			var ae *Error
			var big *http.MaxBytesError
			if errors.As(err, &big) {
				continue
			}
			if !errors.As(err, &ae) {
				t.Fatalf("%T: %q: not an API error: %v", dst, body, err)
			}
			if ae.Status != http.StatusBadRequest && ae.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%T: %q: status %d", dst, body, ae.Status)
			}
			if ae.Message == "" {
				t.Fatalf("%T: %q: empty message", dst, body)
			}
		}
		if _, err := jsonForm(map[string]any{"x": string(body)}); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzMultipart feeds arbitrary multipart bodies to the submission's
// reader: never a panic, and a failure is a 400 or 413 answer.
func FuzzMultipart(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"procedure\"\r\n\r\n1.001193\r\n--B\r\nContent-Disposition: form-data; name=\"to_khai\"; filename=\"../../a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--B--\r\n"))
	f.Add([]byte("--B\r\n\r\n--B--"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/dossiers", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
		p, err := readMultipart(httptest.NewRecorder(), r, 1<<16)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || (ae.Status != http.StatusBadRequest && ae.Status != http.StatusRequestEntityTooLarge) {
				t.Fatalf("%q: %v", body, err)
			}
			return
		}
		defer p.close()
		for _, u := range p.uploads {
			if bytes.ContainsAny([]byte(u.FileName), "/\\\x00") {
				t.Fatalf("file name %q kept a path", u.FileName)
			}
		}
	})
}
