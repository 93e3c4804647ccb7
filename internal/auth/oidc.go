package auth

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Defaults of OIDCConfig.
const (
	defaultSubjectClaim     = "sub"
	defaultNameClaim        = "name"
	defaultRolesClaim       = "roles"
	defaultAgencyClaim      = "agency"
	defaultApplicantIDClaim = "citizen_id"
)

// clockSkew is how long after its expiry a token is still accepted, for
// clocks that disagree. go-oidc itself allows five minutes before "nbf".
const clockSkew = time.Minute

// httpTimeout bounds each request to the identity provider.
const httpTimeout = 10 * time.Second

// signingAlgs are the algorithms a token may be signed with: the asymmetric
// ones of JOSE. A key of the key set verifies only its own algorithm, and
// none of these is a shared secret.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// oidcAuth authenticates JSON Web Tokens of an OpenID Connect provider.
type oidcAuth struct {
	cfg      OIDCConfig // with defaults filled in
	verifier *oidc.IDTokenVerifier
}

// newOIDC checks cfg, fills in its defaults and prepares the verifier,
// discovering the issuer unless cfg.JWKSURL is set. It returns an
// *oidcLogin when the provider's endpoints for the console's sign-in are
// known, else an *oidcAuth.
func newOIDC(ctx context.Context, cfg OIDCConfig) (Authenticator, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("auth: oidc.issuer is required (the URL of the identity provider, as tokens carry it in \"iss\")")
	}
	if err := checkURL(cfg.Issuer); err != nil {
		return nil, fmt.Errorf("auth: oidc.issuer: %w", err)
	}
	if cfg.Audience == "" {
		return nil, errors.New("auth: oidc.audience is required (the client id tokens are issued for, as they carry it in \"aud\")")
	}
	for _, u := range []struct{ name, url string }{
		{"jwks_url", cfg.JWKSURL}, {"redirect_url", cfg.RedirectURL}, {"auth_url", cfg.AuthURL}, {"token_url", cfg.TokenURL},
	} {
		if u.url != "" {
			if err := checkURL(u.url); err != nil {
				return nil, fmt.Errorf("auth: oidc.%s: %w", u.name, err)
			}
		}
	}
	for idp, role := range cfg.RoleMap {
		if idp == "" || role == "" {
			return nil, fmt.Errorf("auth: oidc.role_map: %q: %q: neither role may be empty", idp, role)
		}
	}
	cfg.SubjectClaim = cmp.Or(cfg.SubjectClaim, defaultSubjectClaim)
	cfg.NameClaim = cmp.Or(cfg.NameClaim, defaultNameClaim)
	cfg.RolesClaim = cmp.Or(cfg.RolesClaim, defaultRolesClaim)
	cfg.AgencyClaim = cmp.Or(cfg.AgencyClaim, defaultAgencyClaim)
	cfg.ApplicantIDClaim = cmp.Or(cfg.ApplicantIDClaim, defaultApplicantIDClaim)

	client := &http.Client{Timeout: httpTimeout}
	ctx = oidc.ClientContext(ctx, client)
	jwksURL := cfg.JWKSURL
	var meta providerMeta
	if jwksURL == "" {
		provider, err := oidc.NewProvider(ctx, cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("auth: oidc: discovering the issuer at %s/.well-known/openid-configuration (or set oidc.jwks_url): %w",
				strings.TrimSuffix(cfg.Issuer, "/"), err)
		}
		if err := provider.Claims(&meta); err != nil || meta.JWKSURL == "" {
			return nil, fmt.Errorf("auth: oidc: the issuer %s advertises no jwks_uri (set oidc.jwks_url)", cfg.Issuer)
		}
		jwksURL = meta.JWKSURL
	}
	keys := keySet{remote: oidc.NewRemoteKeySet(ctx, jwksURL)}
	verifier := oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
		ClientID:             cfg.Audience,
		SupportedSigningAlgs: signingAlgs,
		Now:                  func() time.Time { return time.Now().Add(-clockSkew) },
	})
	a := &oidcAuth{cfg: cfg, verifier: verifier}
	login, err := newLogin(a, meta, client)
	if err != nil || login == nil {
		return a, err
	}
	return login, nil
}

// checkURL checks that s is an absolute http or https URL.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// Name returns "oidc".
func (a *oidcAuth) Name() string { return modeOIDC }

// fetchErrKey is the context key under which Authenticate hands keySet a
// place to leave the error of fetching the key set.
type fetchErrKey struct{}

// keySet is the issuer's remote key set; it tells a key set it could not
// fetch from a token no key verifies.
type keySet struct {
	remote *oidc.RemoteKeySet
}

// VerifySignature verifies jwt with the remote key set. Of the errors of
// oidc.RemoteKeySet, only that of fetching the key set wraps another one;
// that one is left where the context says.
func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	if err != nil {
		if cause := errors.Unwrap(err); cause != nil {
			if p, ok := ctx.Value(fetchErrKey{}).(*error); ok {
				*p = cause
			}
		}
	}
	return payload, err
}

// Authenticate verifies token and maps its claims to a Principal.
func (a *oidcAuth) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, ErrNoCredential
	}
	_, claims, err := a.verify(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	return a.principal(claims)
}

// verify checks token — signature, issuer, audience, expiry — and returns
// it with its claims. It returns a *CredentialError for a token it
// rejects, and another error when the issuer's key set cannot be fetched.
func (a *oidcAuth) verify(ctx context.Context, token string) (*oidc.IDToken, map[string]any, error) {
	var fetchErr error
	idToken, err := a.verifier.Verify(context.WithValue(ctx, fetchErrKey{}, &fetchErr), token)
	if err != nil {
		if fetchErr != nil {
			return nil, nil, fmt.Errorf("auth: oidc: fetching the keys of the issuer %s: %w", a.cfg.Issuer, fetchErr)
		}
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return nil, nil, credErr("the token expired at %s", expired.Expiry.UTC().Format(time.RFC3339))
		}
		msg := err.Error()
		if strings.HasPrefix(msg, "failed to verify signature") {
			return nil, nil, credErr("bad signature: no key of the issuer %s verifies the token", a.cfg.Issuer)
		}
		return nil, nil, credErr("%s", strings.TrimPrefix(msg, "oidc: "))
	}
	var raw json.RawMessage
	if err := idToken.Claims(&raw); err != nil {
		return nil, nil, credErr("reading the claims: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return nil, nil, credErr("reading the claims: %v", err)
	}
	return idToken, claims, nil
}

// principal maps verified claims to a Principal; see OIDCConfig.
func (a *oidcAuth) principal(claims map[string]any) (Principal, error) {
	cfg := a.cfg
	subject, err := stringClaim(claims, cfg.SubjectClaim)
	if err != nil {
		return Principal{}, err
	}
	if subject == "" {
		return Principal{}, credErr("claim %q is missing (the subject)", cfg.SubjectClaim)
	}
	name, err := stringClaim(claims, cfg.NameClaim)
	if err != nil {
		return Principal{}, err
	}
	agency, err := stringClaim(claims, cfg.AgencyClaim)
	if err != nil {
		return Principal{}, err
	}
	applicantID, err := stringClaim(claims, cfg.ApplicantIDClaim)
	if err != nil {
		return Principal{}, err
	}
	idpRoles, err := rolesClaim(claims, cfg.RolesClaim)
	if err != nil {
		return Principal{}, err
	}
	var roles []string
	for _, r := range idpRoles {
		if len(cfg.RoleMap) > 0 {
			var ok bool
			if r, ok = cfg.RoleMap[r]; !ok {
				continue
			}
		}
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	hasAny := func(want []string) bool {
		return slices.ContainsFunc(idpRoles, func(r string) bool { return slices.Contains(want, r) })
	}

	p := Principal{Subject: subject, Name: name}
	switch {
	case hasAny(cfg.AdminRoles):
		p.Kind, p.Agency = KindAdmin, agency
	case hasAny(cfg.AnalystRoles):
		p.Kind, p.Agency = KindAnalyst, agency
	case applicantID != "" && len(roles) == 0:
		p.Kind, p.ApplicantID = KindCitizen, applicantID
	case len(roles) > 0 && agency != "":
		p.Kind, p.Roles, p.Agency = KindOfficer, roles, agency
	case len(roles) > 0:
		return Principal{}, credErr("claim %q is missing (an officer, with roles %s, needs an agency)", cfg.AgencyClaim, strings.Join(roles, ", "))
	case len(idpRoles) > 0:
		return Principal{}, credErr("claim %q is missing, and none of the roles in claim %q is mapped by oidc.role_map (a citizen needs the one, an officer a mapped role and %q)",
			cfg.ApplicantIDClaim, cfg.RolesClaim, cfg.AgencyClaim)
	default:
		return Principal{}, credErr("claims %q and %q are missing (a citizen needs the one, an officer the other and %q)",
			cfg.ApplicantIDClaim, cfg.RolesClaim, cfg.AgencyClaim)
	}
	return p, nil
}

// lookupClaim finds claim name: a top-level claim of that name, or else,
// for a dotted name, the path through nested objects. A null is missing.
func lookupClaim(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, v != nil
	}
	if !strings.Contains(name, ".") {
		return nil, false
	}
	var cur any = claims
	for _, seg := range strings.Split(name, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, cur != nil
}

// stringClaim returns claim name as a string ("" when missing); a number
// counts as its digits.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return "", nil
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case json.Number:
		return v.String(), nil
	}
	return "", credErr("claim %q is %s, want a string", name, describeJSON(v))
}

// rolesClaim returns claim name as a list of strings (nil when missing); a
// single string counts as a list of one.
func rolesClaim(claims map[string]any, name string) ([]string, error) {
	v, ok := lookupClaim(claims, name)
	if !ok {
		return nil, nil
	}
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, credErr("claim %q: item %d is %s, want a string", name, i, describeJSON(x))
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, credErr("claim %q is %s, want a list of strings", name, describeJSON(v))
}

// describeJSON names the type of a decoded JSON value for messages.
func describeJSON(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case nil:
		return "null"
	}
	return fmt.Sprintf("a %T", v)
}
