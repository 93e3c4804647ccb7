package auth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
)

func TestCredential(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		authorization string
		cookie        string
		want          string
	}{
		{"none", "", "", ""},
		{"bearer header", "Bearer header-token", "", "header-token"},
		{"scheme in any case, spaces trimmed", "bearer   header-token ", "", "header-token"},
		{"cookie", "", "cookie-token", "cookie-token"},
		{"header before cookie", "Bearer header-token", "cookie-token", "header-token"},
		{"other scheme falls back to the cookie", "Basic dXNlcjpwYXNz", "cookie-token", "cookie-token"},
		{"other scheme alone", "Basic dXNlcjpwYXNz", "", ""},
		{"empty bearer falls back to the cookie", "Bearer ", "cookie-token", "cookie-token"},
		{"scheme without token", "Bearer", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodGet, "/api/dossiers", nil)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: tt.cookie})
			}
			r.AddCookie(&http.Cookie{Name: "other", Value: "not-this"})
			require.Equal(t, tt.want, auth.Credential(r))
		})
	}
}
