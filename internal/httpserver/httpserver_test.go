package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/auth/oidctest"
	"github.com/motcua/motcua/internal/httpserver"
	"github.com/motcua/motcua/internal/service/servicetest"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOIDCSignInThroughTheFrontDoor signs an officer in to the console
// through the identity provider, behind the API's middleware, and uses the
// ID token the console keeps as the session on the API too. Nothing of the
// code, the state or the token reaches the log.
func TestOIDCSignInThroughTheFrontDoor(t *testing.T) {
	env := servicetest.Start(t, "../../definitions")
	idp := oidctest.New(t, oidctest.Options{ClientID: "motcua", ClientSecret: "console-s3cret-0001"})
	idp.SignIn(map[string]any{"sub": "cb-mot-cua", "name": "Trần Thị Bình", "roles": []string{"mot_cua"}, "agency": "ubnd_xa"})
	var logs syncBuffer
	srv, err := httpserver.Start(context.Background(), httpserver.Config{Listen: "127.0.0.1:0",
		Auth:     auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: idp.URL(), Audience: "motcua", ClientSecret: "console-s3cret-0001"}},
		FilesDir: filepath.Join(env.DataDir, "files"), ResultsDir: filepath.Join(env.DataDir, "results"),
		Catalog: env.Catalog, Client: env.Client, Store: env.Store,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Stop()) })
	_, ok := srv.Auth.(auth.LoginProvider)
	require.True(t, ok)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(target string, hdr ...string) (*http.Response, string) {
		t.Helper()
		if strings.HasPrefix(target, "/") {
			target = srv.URL() + target
		}
		req, err := http.NewRequest(http.MethodGet, target, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res, string(body)
	}

	res, body := get("/console/login")
	require.Equal(t, http.StatusOK, res.StatusCode)
	href := regexp.MustCompile(`id="oidc-login"[^>]*href="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, href, body)
	res, _ = get(href[1])
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, _ = get(res.Header.Get("Location"))
	require.Equal(t, http.StatusFound, res.StatusCode)
	back, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, srv.URL()+"/console/oidc/callback", back.Scheme+"://"+back.Host+back.Path)

	res, body = get(back.String())
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Contains(t, body, `http-equiv="refresh" content="0; url=/console/inbox"`)
	var idToken string
	for _, c := range res.Cookies() {
		if c.Name == auth.SessionCookie {
			idToken = c.Value
		}
	}
	require.NotEmpty(t, idToken)

	res, body = get("/console/inbox")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, body, `data-subject="cb-mot-cua"`)

	// The same token is a bearer token of the API.
	res, body = get("/v1/me", "Authorization", "Bearer "+idToken)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	var me struct {
		Subject string   `json:"subject"`
		Kind    string   `json:"kind"`
		Roles   []string `json:"roles"`
		Agency  string   `json:"agency"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &me), body)
	require.Equal(t, "cb-mot-cua", me.Subject)
	require.Equal(t, "officer", me.Kind)
	require.Equal(t, "ubnd_xa", me.Agency)

	// A refused sign-in, for the log.
	idp.SetIDTokenHook(func(c map[string]any) { c["nonce"] = "another" })
	res, _ = get(href[1])
	res, _ = get(res.Header.Get("Location"))
	refusedBack := res.Header.Get("Location")
	res, _ = get(refusedBack)
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)

	log := logs.String()
	require.Contains(t, log, "console: signed in through the identity provider")
	require.Contains(t, log, "the ID token does not carry the nonce of this sign-in")
	for _, secret := range []string{idToken, back.Query().Get("code"), back.Query().Get("state"), "console-s3cret-0001"} {
		require.NotContains(t, log, secret)
	}
	rb, err := url.Parse(refusedBack)
	require.NoError(t, err)
	require.NotContains(t, log, rb.Query().Get("code"))
	require.NotContains(t, log, rb.Query().Get("state"))
}
