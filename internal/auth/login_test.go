package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/auth/oidctest"
)

const callback = "https://motcua.example/console/oidc/callback"

// officerClaims are the claims of an officer at the provider, for
// oidcConfig's mapping.
var officerClaims = map[string]any{
	"sub": "u-17", "name": "Trần Thị Bình",
	"realm_access": map[string]any{"roles": []string{"clerk"}}, "motcua_agency": "ubnd_xa",
}

// loginProvider builds the authenticator of cfg and asserts it offers the
// sign-in.
func loginProvider(t *testing.T, cfg auth.Config) auth.LoginProvider {
	t.Helper()
	a, err := auth.New(context.Background(), cfg)
	require.NoError(t, err)
	lp, ok := a.(auth.LoginProvider)
	require.True(t, ok, "the authenticator offers no sign-in")
	return lp
}

// flow is one sign-in's secrets.
type flow struct{ state, nonce, verifier, redirect string }

func newFlow() flow {
	return flow{state: "state-" + oauth2.GenerateVerifier()[:12], nonce: "nonce-" + oauth2.GenerateVerifier()[:12],
		verifier: oauth2.GenerateVerifier(), redirect: callback}
}

// authorize plays the browser at the provider: it follows the
// authorization URL and returns the query the provider sends back with.
func authorize(t *testing.T, lp auth.LoginProvider, f flow) url.Values {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(lp.AuthCodeURL(f.state, f.nonce, f.verifier, f.redirect))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusFound, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, f.redirect, (&url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: loc.Path}).String())
	require.Equal(t, f.state, loc.Query().Get("state"))
	return loc.Query()
}

func TestLoginCodeFlow(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	lp := loginProvider(t, oidcConfig(is))
	require.Empty(t, lp.RedirectURL())
	is.SignIn(officerClaims)

	f := newFlow()
	u, err := url.Parse(lp.AuthCodeURL(f.state, f.nonce, f.verifier, f.redirect))
	require.NoError(t, err)
	require.Equal(t, is.url()+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "motcua", q.Get("client_id"), "the client id defaults to the audience")
	require.Equal(t, callback, q.Get("redirect_uri"))
	require.Equal(t, "openid profile email", q.Get("scope"))
	require.Equal(t, f.state, q.Get("state"))
	require.Equal(t, f.nonce, q.Get("nonce"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.Equal(t, oauth2.S256ChallengeFromVerifier(f.verifier), q.Get("code_challenge"))
	require.NotContains(t, u.String(), f.verifier, "the verifier leaves only for the token endpoint")

	code := authorize(t, lp, f).Get("code")
	require.NotEmpty(t, code)
	before := time.Now()
	login, err := lp.Exchange(context.Background(), code, f.verifier, f.nonce, f.redirect)
	require.NoError(t, err)
	want := auth.Principal{Subject: "u-17", Name: "Trần Thị Bình", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"}
	require.Equal(t, want, login.Principal)
	require.WithinDuration(t, before.Add(5*time.Minute), login.Expiry, 5*time.Second)

	// The ID token is a credential as any other.
	p, err := lp.(auth.Authenticator).Authenticate(context.Background(), login.IDToken)
	require.NoError(t, err)
	require.Equal(t, want, p)
}

func TestLoginRefusals(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	lp := loginProvider(t, oidcConfig(is))
	ctx := context.Background()

	// expect runs a sign-in changed by change and checks its failure.
	expect := func(t *testing.T, failure auth.LoginFailure, reason string, change func(f *flow, code *string)) {
		t.Helper()
		f := newFlow()
		code := authorize(t, lp, f).Get("code")
		change(&f, &code)
		_, err := lp.Exchange(ctx, code, f.verifier, f.nonce, f.redirect)
		var le *auth.LoginError
		require.ErrorAs(t, err, &le)
		require.Equal(t, failure, le.Failure, "%v", err)
		require.Equal(t, reason, le.Reason)
		require.NotContains(t, err.Error(), code)
	}
	tokenURL := is.url() + "/token"

	t.Run("replayed code", func(t *testing.T) {
		is.SignIn(officerClaims)
		f := newFlow()
		code := authorize(t, lp, f).Get("code")
		_, err := lp.Exchange(ctx, code, f.verifier, f.nonce, f.redirect)
		require.NoError(t, err)
		_, err = lp.Exchange(ctx, code, f.verifier, f.nonce, f.redirect)
		var le *auth.LoginError
		require.ErrorAs(t, err, &le)
		require.Equal(t, auth.LoginRefused, le.Failure)
		require.EqualError(t, err, "sign-in refused: the token endpoint "+tokenURL+" refused the code: invalid_grant (code already used)")
	})
	t.Run("verifier of another sign-in", func(t *testing.T) {
		is.SignIn(officerClaims)
		expect(t, auth.LoginRefused, "the token endpoint "+tokenURL+" refused the code: invalid_grant (PKCE verification failed: code_verifier does not match code_challenge)",
			func(f *flow, _ *string) { f.verifier = oauth2.GenerateVerifier() })
	})
	t.Run("another redirect URL", func(t *testing.T) {
		is.SignIn(officerClaims)
		expect(t, auth.LoginRefused, "the token endpoint "+tokenURL+" refused the code: invalid_grant (redirect_uri differs from the authorization request's)",
			func(f *flow, _ *string) { f.redirect = "https://evil.example/cb" })
	})
	t.Run("unknown code", func(t *testing.T) {
		is.SignIn(officerClaims)
		expect(t, auth.LoginRefused, "the token endpoint "+tokenURL+" refused the code: invalid_grant (unknown code)",
			func(_ *flow, code *string) { *code = "made-up-code" })
	})
	t.Run("nonce of another sign-in", func(t *testing.T) {
		is.SignIn(officerClaims)
		expect(t, auth.LoginBadToken, "the ID token does not carry the nonce of this sign-in",
			func(f *flow, _ *string) { f.nonce = "nonce-other" })
	})
	t.Run("officer without agency", func(t *testing.T) {
		is.SignIn(map[string]any{"sub": "u-18", "realm_access": map[string]any{"roles": []string{"clerk"}}})
		expect(t, auth.LoginUnmapped, `claim "motcua_agency" is missing (an officer, with roles mot_cua, needs an agency)`,
			func(*flow, *string) {})
	})
	t.Run("nothing verified but unmapped", func(t *testing.T) {
		// The nonce is checked before the claims.
		is.SignIn(map[string]any{"sub": "u-18"})
		expect(t, auth.LoginBadToken, "the ID token does not carry the nonce of this sign-in",
			func(f *flow, _ *string) { f.nonce = "nonce-other" })
	})
}

func TestLoginBadIDToken(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	lp := loginProvider(t, oidcConfig(is))
	is.SignIn(officerClaims)
	for _, tt := range []struct {
		name   string
		hook   func(map[string]any)
		reason string
	}{
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }, "the ID token does not carry the nonce of this sign-in"},
		{"another nonce", func(c map[string]any) { c["nonce"] = "replayed" }, "the ID token does not carry the nonce of this sign-in"},
		{"another audience", func(c map[string]any) { c["aud"] = "other-client" }, `the ID token: expected audience "motcua" got ["other-client"]`},
		{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "the ID token: the token expired at …"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			is.SetIDTokenHook(tt.hook)
			defer is.SetIDTokenHook(nil)
			f := newFlow()
			_, err := lp.Exchange(context.Background(), authorize(t, lp, f).Get("code"), f.verifier, f.nonce, f.redirect)
			var le *auth.LoginError
			require.ErrorAs(t, err, &le)
			require.Equal(t, auth.LoginBadToken, le.Failure)
			if prefix, ok := strings.CutSuffix(tt.reason, "…"); ok {
				require.True(t, strings.HasPrefix(le.Reason, prefix), le.Reason)
			} else {
				require.Equal(t, tt.reason, le.Reason)
			}
		})
	}
}

func TestLoginConfidentialClient(t *testing.T) {
	t.Parallel()
	for _, methods := range [][]string{nil, {"client_secret_basic", "client_secret_post"}, {"client_secret_post"}} {
		t.Run(strings.Join(methods, ",")+"-", func(t *testing.T) {
			t.Parallel()
			is := &testIssuer{oidctest.New(t, oidctest.Options{ClientID: "motcua-console", ClientSecret: "s3cret-s3cret-s3cret", TokenAuthMethods: methods})}
			is.SignIn(map[string]any{"sub": "c-1", "citizen_id": "001234567890", "aud": []string{"motcua-console", "motcua"}})
			cfg := oidcConfig(is)
			cfg.OIDC.ClientID = "motcua-console"
			cfg.OIDC.RedirectURL = callback
			cfg.OIDC.Scopes = []string{"profile"}

			cfg.OIDC.ClientSecret = "wrong-secret-wrong"
			lp := loginProvider(t, cfg)
			require.Equal(t, callback, lp.RedirectURL())
			f := newFlow()
			_, err := lp.Exchange(context.Background(), authorize(t, lp, f).Get("code"), f.verifier, f.nonce, f.redirect)
			require.EqualError(t, err, "sign-in refused: the token endpoint "+is.url()+"/token refused the code: invalid_client (bad client secret)")
			require.Len(t, is.Refusals(), 1, "a refused code is sent once, not probed with another client authentication")

			cfg.OIDC.ClientSecret = "s3cret-s3cret-s3cret"
			lp = loginProvider(t, cfg)
			f = newFlow()
			u, err := url.Parse(lp.AuthCodeURL(f.state, f.nonce, f.verifier, f.redirect))
			require.NoError(t, err)
			require.Equal(t, "openid profile", u.Query().Get("scope"), "openid is added")
			require.Equal(t, "motcua-console", u.Query().Get("client_id"))
			login, err := lp.Exchange(context.Background(), authorize(t, lp, f).Get("code"), f.verifier, f.nonce, f.redirect)
			require.NoError(t, err)
			require.Equal(t, auth.Principal{Subject: "c-1", Kind: auth.KindCitizen, ApplicantID: "001234567890"}, login.Principal)
		})
	}
}

func TestLoginEndpointsWithoutDiscovery(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	cfg := oidcConfig(is)
	cfg.OIDC.JWKSURL = is.url() + "/keys"

	a, err := auth.New(context.Background(), cfg)
	require.NoError(t, err)
	_, ok := a.(auth.LoginProvider)
	require.False(t, ok, "without discovery and endpoints, no sign-in")

	cfg.OIDC.RedirectURL = callback
	_, err = auth.New(context.Background(), cfg)
	require.EqualError(t, err, "auth: oidc: the console's sign-in needs the provider's endpoints: set oidc.auth_url and oidc.token_url (oidc.jwks_url skips discovery)")

	cfg.OIDC.AuthURL = is.url() + "/authorize"
	cfg.OIDC.TokenURL = is.url() + "/token"
	lp := loginProvider(t, cfg)
	is.SignIn(officerClaims)
	f := newFlow()
	login, err := lp.Exchange(context.Background(), authorize(t, lp, f).Get("code"), f.verifier, f.nonce, f.redirect)
	require.NoError(t, err)
	require.Equal(t, "u-17", login.Principal.Subject)
	require.Equal(t, int32(0), is.DiscoveryHits())

	cfg.OIDC.TokenURL = "ftp://x"
	_, err = auth.New(context.Background(), cfg)
	require.EqualError(t, err, `auth: oidc.token_url: "ftp://x" is not an http(s) URL`)
}

func TestLoginTokenEndpointDown(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"temporarily_unavailable","id_token":"x"}`, http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	cfg := oidcConfig(is)
	cfg.OIDC.TokenURL = down.URL + "/token"
	lp := loginProvider(t, cfg)
	is.SignIn(officerClaims)
	f := newFlow()
	code := authorize(t, lp, f).Get("code")
	_, err := lp.Exchange(context.Background(), code, f.verifier, f.nonce, f.redirect)
	var le *auth.LoginError
	require.False(t, errors.As(err, &le), "a provider that is down is not the sign-in's fault: %v", err)
	require.EqualError(t, err, "auth: oidc: the token endpoint "+down.URL+"/token answered HTTP 503 Service Unavailable")

	down.Close()
	_, err = lp.Exchange(context.Background(), code, f.verifier, f.nonce, f.redirect)
	require.False(t, errors.As(err, &le))
	require.True(t, strings.HasPrefix(err.Error(), "auth: oidc: redeeming the code at "+down.URL+"/token: "), err.Error())
	require.NotContains(t, err.Error(), code)
}
