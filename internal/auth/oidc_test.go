package auth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/auth/oidctest"
)

// rsaKeys are the test keys, generated once per process.
func rsaKeys() []*rsa.PrivateKey {
	return []*rsa.PrivateKey{oidctest.RSAKey(0), oidctest.RSAKey(1), oidctest.RSAKey(2)}
}

// signingKey is an RSA key of the test issuer, with its key id.
type signingKey = oidctest.Key

// testIssuer is a local OpenID Connect provider: it serves discovery and a
// JSON Web Key Set, signs tokens, and is an authorization server for the
// console's sign-in (see oidctest).
type testIssuer struct {
	*oidctest.Provider
}

func newTestIssuer(tb testing.TB, keys ...signingKey) *testIssuer {
	tb.Helper()
	return &testIssuer{oidctest.New(tb, oidctest.Options{Keys: keys})}
}

func (is *testIssuer) url() string { return is.URL() }

// publish replaces the key set the issuer serves.
func (is *testIssuer) publish(keys ...signingKey) { is.Publish(keys...) }

func (is *testIssuer) setJWKSStatus(code int) { is.SetJWKSStatus(code) }

// claims returns valid claims for subject, with extra claims merged in (a
// nil value deletes a claim).
func (is *testIssuer) claims(subject string, extra map[string]any) map[string]any {
	return is.Claims(subject, extra)
}

// sign returns claims as a compact JWS signed with key.
func sign(tb testing.TB, key signingKey, claims map[string]any) string {
	tb.Helper()
	return oidctest.Sign(tb, key, claims)
}

// oidcConfig is the configuration the tests use, for issuer is.
func oidcConfig(is *testIssuer) auth.Config {
	return auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{
		Issuer:       is.url(),
		Audience:     "motcua",
		RolesClaim:   "realm_access.roles",
		AgencyClaim:  "motcua_agency",
		RoleMap:      map[string]string{"clerk": "mot_cua", "approver": "lanh_dao"},
		AnalystRoles: []string{"motcua-analyst"},
		AdminRoles:   []string{"motcua-admin"},
	}}
}

// oidcBundle is what an OIDC test works with.
type oidcBundle struct {
	issuer *testIssuer
	key    signingKey // the key the issuer signs with
	auth   auth.Authenticator
}

func setupOIDC(t *testing.T) *oidcBundle {
	t.Helper()
	key := signingKey{ID: "k1", Private: rsaKeys()[0]}
	is := newTestIssuer(t, key)
	a, err := auth.New(context.Background(), oidcConfig(is))
	require.NoError(t, err)
	require.Equal(t, "oidc", a.Name())
	return &oidcBundle{issuer: is, key: key, auth: a}
}

func roles(r ...string) map[string]any {
	return map[string]any{"roles": r}
}

func TestOIDCPrincipals(t *testing.T) {
	t.Parallel()
	b := setupOIDC(t)

	for _, tt := range []struct {
		name   string
		claims map[string]any
		want   auth.Principal
	}{
		{"officer through role map, dotted roles claim and agency claim", b.issuer.claims("u-17", map[string]any{
			"name":          "Trần Thị Bình",
			"realm_access":  roles("offline_access", "clerk", "approver", "clerk"),
			"motcua_agency": "ubnd_xa",
		}), auth.Principal{Subject: "u-17", Name: "Trần Thị Bình", Kind: auth.KindOfficer, Roles: []string{"mot_cua", "lanh_dao"}, Agency: "ubnd_xa"}},
		{"citizen, unmapped roles ignored", b.issuer.claims("c-1", map[string]any{
			"citizen_id":   "001234567890",
			"realm_access": roles("offline_access", "uma_authorization"),
		}), auth.Principal{Subject: "c-1", Kind: auth.KindCitizen, ApplicantID: "001234567890"}},
		{"citizen, identity number as a JSON number", b.issuer.claims("c-2", map[string]any{
			"citizen_id": json.Number("79123456789"),
		}), auth.Principal{Subject: "c-2", Kind: auth.KindCitizen, ApplicantID: "79123456789"}},
		{"analyst keeps the agency, not the roles", b.issuer.claims("a-1", map[string]any{
			"realm_access":  roles("motcua-analyst", "clerk"),
			"motcua_agency": "so_tu_phap",
		}), auth.Principal{Subject: "a-1", Kind: auth.KindAnalyst, Agency: "so_tu_phap"}},
		{"admin wins over analyst and officer", b.issuer.claims("ops-1", map[string]any{
			"realm_access":  roles("clerk", "motcua-analyst", "motcua-admin"),
			"motcua_agency": "ubnd_xa",
			"citizen_id":    "001234567890",
		}), auth.Principal{Subject: "ops-1", Kind: auth.KindAdmin, Agency: "ubnd_xa"}},
		{"officer wins over citizen id", b.issuer.claims("u-18", map[string]any{
			"realm_access":  roles("clerk"),
			"motcua_agency": "ubnd_xa",
			"citizen_id":    "001234567890",
		}), auth.Principal{Subject: "u-18", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"}},
		{"audience in a list", b.issuer.claims("c-3", map[string]any{
			"aud":        []string{"account", "motcua"},
			"citizen_id": "001234567890",
		}), auth.Principal{Subject: "c-3", Kind: auth.KindCitizen, ApplicantID: "001234567890"}},
		{"expired within the allowed clock skew", b.issuer.claims("c-4", map[string]any{
			"exp":        time.Now().Add(-20 * time.Second).Unix(),
			"citizen_id": "001234567890",
		}), auth.Principal{Subject: "c-4", Kind: auth.KindCitizen, ApplicantID: "001234567890"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := b.auth.Authenticate(context.Background(), sign(t, b.key, tt.claims))
			require.NoError(t, err)
			require.Equal(t, tt.want, p)
		})
	}
}

func TestOIDCRejects(t *testing.T) {
	t.Parallel()
	b := setupOIDC(t)
	other := signingKey{ID: "k1", Private: rsaKeys()[1]}
	officer := map[string]any{"realm_access": roles("clerk"), "motcua_agency": "ubnd_xa"}
	hs256 := func() string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
		require.NoError(t, err)
		payload, err := json.Marshal(b.issuer.claims("u-1", officer))
		require.NoError(t, err)
		jws, err := signer.Sign(payload)
		require.NoError(t, err)
		s, err := jws.CompactSerialize()
		require.NoError(t, err)
		return s
	}()
	iss := b.issuer.url()

	for _, tt := range []struct {
		name  string
		token string
		want  string // the error, or its start when it ends in "…"
	}{
		{"expired", sign(t, b.key, b.issuer.claims("u-1", merge(officer, map[string]any{"exp": time.Now().Add(-2 * time.Minute).Unix()}))),
			"invalid credential: the token expired at …"},
		{"no expiry", sign(t, b.key, b.issuer.claims("u-1", merge(officer, map[string]any{"exp": nil}))),
			"invalid credential: the token expired at 0001-01-01T00:00:00Z"},
		{"not yet valid", sign(t, b.key, b.issuer.claims("u-1", merge(officer, map[string]any{"nbf": time.Now().Add(10 * time.Minute).Unix()}))),
			"invalid credential: current time …"},
		{"wrong audience", sign(t, b.key, b.issuer.claims("u-1", merge(officer, map[string]any{"aud": "other-client"}))),
			`invalid credential: expected audience "motcua" got ["other-client"]`},
		{"wrong issuer", sign(t, b.key, b.issuer.claims("u-1", merge(officer, map[string]any{"iss": "https://evil.example"}))),
			`invalid credential: id token issued by a different provider, expected "` + iss + `" got "https://evil.example"`},
		{"signed by another key with the same key id", sign(t, other, b.issuer.claims("u-1", officer)),
			"invalid credential: bad signature: no key of the issuer " + iss + " verifies the token"},
		{"signed by an unknown key", sign(t, signingKey{ID: "k9", Private: rsaKeys()[1]}, b.issuer.claims("u-1", officer)),
			"invalid credential: bad signature: no key of the issuer " + iss + " verifies the token"},
		{"symmetric algorithm", hs256,
			`invalid credential: malformed jwt: unexpected signature algorithm "HS256"; expected …`},
		{"not a JWT", "not-a-jwt-at-all",
			"invalid credential: malformed jwt: oidc: malformed jwt, expected 3 parts got 1"},
		{"officer without agency", sign(t, b.key, b.issuer.claims("u-1", map[string]any{"realm_access": roles("clerk", "approver")})),
			`invalid credential: claim "motcua_agency" is missing (an officer, with roles mot_cua, lanh_dao, needs an agency)`},
		{"only unmapped roles", sign(t, b.key, b.issuer.claims("u-1", map[string]any{"realm_access": roles("offline_access"), "motcua_agency": "ubnd_xa"})),
			`invalid credential: claim "citizen_id" is missing, and none of the roles in claim "realm_access.roles" is mapped by oidc.role_map (a citizen needs the one, an officer a mapped role and "motcua_agency")`},
		{"neither roles nor citizen id", sign(t, b.key, b.issuer.claims("u-1", nil)),
			`invalid credential: claims "citizen_id" and "realm_access.roles" are missing (a citizen needs the one, an officer the other and "motcua_agency")`},
		{"no subject", sign(t, b.key, b.issuer.claims("", officer)),
			`invalid credential: claim "sub" is missing (the subject)`},
		{"roles not strings", sign(t, b.key, b.issuer.claims("u-1", map[string]any{"realm_access": map[string]any{"roles": []any{"clerk", 7}}})),
			`invalid credential: claim "realm_access.roles": item 1 is a number, want a string`},
		{"agency not a string", sign(t, b.key, b.issuer.claims("u-1", map[string]any{"realm_access": roles("clerk"), "motcua_agency": []string{"a"}})),
			`invalid credential: claim "motcua_agency" is a list, want a string`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := b.auth.Authenticate(context.Background(), tt.token)
			require.Equal(t, auth.Principal{}, p)
			var ce *auth.CredentialError
			require.ErrorAs(t, err, &ce)
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				require.True(t, strings.HasPrefix(err.Error(), prefix), "error %q does not start with %q", err, prefix)
			} else {
				require.EqualError(t, err, tt.want)
			}
			require.NotContains(t, err.Error(), tt.token, "the error repeats the token")
		})
	}

	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		_, err := b.auth.Authenticate(context.Background(), "")
		require.ErrorIs(t, err, auth.ErrNoCredential)
	})
}

func merge(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

func TestOIDCKeyRotation(t *testing.T) {
	t.Parallel()
	b := setupOIDC(t)
	ctx := context.Background()
	citizen := map[string]any{"citizen_id": "001234567890"}

	oldToken := sign(t, b.key, b.issuer.claims("c-1", citizen))
	_, err := b.auth.Authenticate(ctx, oldToken)
	require.NoError(t, err)
	_, err = b.auth.Authenticate(ctx, sign(t, b.key, b.issuer.claims("c-2", citizen)))
	require.NoError(t, err)
	require.Equal(t, int32(1), b.issuer.JWKSHits(), "the key set is fetched once, then cached")

	// The issuer rotates: it now signs with k2 and publishes only k2.
	next := signingKey{ID: "k2", Private: rsaKeys()[2]}
	b.issuer.publish(next)
	p, err := b.auth.Authenticate(ctx, sign(t, next, b.issuer.claims("c-3", citizen)))
	require.NoError(t, err)
	require.Equal(t, "c-3", p.Subject)
	require.Equal(t, int32(2), b.issuer.JWKSHits(), "an unknown key id fetches the key set again")

	_, err = b.auth.Authenticate(ctx, oldToken)
	require.EqualError(t, err, "invalid credential: bad signature: no key of the issuer "+b.issuer.url()+" verifies the token",
		"a token of a key the issuer no longer publishes")
}

func TestOIDCKeySetUnavailable(t *testing.T) {
	t.Parallel()
	b := setupOIDC(t)
	b.issuer.setJWKSStatus(http.StatusServiceUnavailable)

	_, err := b.auth.Authenticate(context.Background(), sign(t, b.key, b.issuer.claims("c-1", map[string]any{"citizen_id": "001234567890"})))
	require.Error(t, err)
	var ce *auth.CredentialError
	require.False(t, errors.As(err, &ce), "a key set that cannot be fetched is not the token's fault: %v", err)
	require.NotErrorIs(t, err, auth.ErrNoCredential)
	require.True(t, strings.HasPrefix(err.Error(), "auth: oidc: fetching the keys of the issuer "+b.issuer.url()+": oidc: get keys failed: 503"), err.Error())

	// Once the key set is back, the same kind of token verifies.
	b.issuer.setJWKSStatus(0)
	_, err = b.auth.Authenticate(context.Background(), sign(t, b.key, b.issuer.claims("c-1", map[string]any{"citizen_id": "001234567890"})))
	require.NoError(t, err)
}

func TestOIDCJWKSURLWithoutDiscovery(t *testing.T) {
	t.Parallel()
	key := signingKey{ID: "k1", Private: rsaKeys()[0]}
	is := newTestIssuer(t, key)
	cfg := oidcConfig(is)
	cfg.OIDC.JWKSURL = is.url() + "/keys"
	a, err := auth.New(context.Background(), cfg)
	require.NoError(t, err)

	p, err := a.Authenticate(context.Background(), sign(t, key, is.claims("u-1", map[string]any{
		"realm_access": roles("clerk"), "motcua_agency": "ubnd_xa",
	})))
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "u-1", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"}, p)
	require.Equal(t, int32(0), is.DiscoveryHits(), "discovery was used")
	require.Equal(t, int32(1), is.JWKSHits())
}

func TestOIDCDefaultClaims(t *testing.T) {
	t.Parallel()
	key := signingKey{ID: "k1", Private: rsaKeys()[0]}
	is := newTestIssuer(t, key)
	a, err := auth.New(context.Background(), auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: is.url(), Audience: "motcua"}})
	require.NoError(t, err)

	p, err := a.Authenticate(context.Background(), sign(t, key, is.claims("u-1", map[string]any{
		"name": "Lê Văn C", "roles": []string{"mot_cua", "cong_chuc"}, "agency": "ubnd_xa",
	})))
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "u-1", Name: "Lê Văn C", Kind: auth.KindOfficer, Roles: []string{"mot_cua", "cong_chuc"}, Agency: "ubnd_xa"}, p,
		"without a role map every role is kept")

	p, err = a.Authenticate(context.Background(), sign(t, key, is.claims("c-1", map[string]any{"citizen_id": "001234567890"})))
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "c-1", Kind: auth.KindCitizen, ApplicantID: "001234567890"}, p)

	// A top-level claim whose name holds dots is found as it is.
	cfg := auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: is.url(), Audience: "motcua", AgencyClaim: "https://motcua.gov.vn/agency"}}
	a, err = auth.New(context.Background(), cfg)
	require.NoError(t, err)
	p, err = a.Authenticate(context.Background(), sign(t, key, is.claims("u-2", map[string]any{
		"roles": "mot_cua", "https://motcua.gov.vn/agency": "ubnd_xa",
	})))
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "u-2", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"}, p)
}

func TestOIDCDiscoveryErrors(t *testing.T) {
	t.Parallel()

	t.Run("issuer mismatch", func(t *testing.T) {
		t.Parallel()
		is := newTestIssuer(t, signingKey{ID: "k1", Private: rsaKeys()[0]})
		is.SetAdvertisedIssuer("https://elsewhere.example")
		_, err := auth.New(context.Background(), oidcConfig(is))
		require.EqualError(t, err, "auth: oidc: discovering the issuer at "+is.url()+"/.well-known/openid-configuration (or set oidc.jwks_url): "+
			`oidc: issuer did not match the issuer returned by provider, expected "`+is.url()+`" got "https://elsewhere.example"`)
	})

	t.Run("no provider", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		t.Cleanup(srv.Close)
		_, err := auth.New(context.Background(), auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: srv.URL + "/realms/motcua/", Audience: "motcua"}})
		require.EqualError(t, err, "auth: oidc: discovering the issuer at "+srv.URL+"/realms/motcua/.well-known/openid-configuration (or set oidc.jwks_url): "+
			"404 Not Found: 404 page not found\n")
	})
}
