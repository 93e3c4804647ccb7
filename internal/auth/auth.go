package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/motcua/motcua/internal/suggest"
)

// Kind is the kind of a principal; it decides what the principal may see and do.
type Kind string

// Kinds of principal.
const (
	// KindCitizen sees and acts on their own dossiers only.
	KindCitizen Kind = "citizen"
	// KindOfficer acts on the dossiers of their own agency, in their own roles.
	KindOfficer Kind = "officer"
	// KindAnalyst reads definitions and indicators.
	KindAnalyst Kind = "analyst"
	// KindAdmin is an operator: reads everything, including the audit log.
	KindAdmin Kind = "admin"
)

// kinds lists the kinds in the order messages name them.
var kinds = []string{string(KindCitizen), string(KindOfficer), string(KindAnalyst), string(KindAdmin)}

// valid reports whether k is one of the four kinds.
func (k Kind) valid() bool { return slices.Contains(kinds, string(k)) }

// article returns the kind with its indefinite article: "an officer".
func (k Kind) article() string {
	if k != "" && strings.ContainsRune("aeiou", rune(k[0])) {
		return "an " + string(k)
	}
	return "a " + string(k)
}

// Principal is who makes a request.
type Principal struct {
	// Subject is the account id of an officer, analyst or admin, or the
	// identity number of a citizen.
	Subject string `json:"subject"`
	// Name is the display name, if known.
	Name string `json:"name,omitempty"`
	// Kind decides what the principal may see and do.
	Kind Kind `json:"kind"`
	// Roles are role ids of the procedure definitions; officers only.
	Roles []string `json:"roles,omitempty"`
	// Agency is an agency id of the procedure definitions; required for
	// officers, optional for analysts and admins, empty for citizens.
	Agency string `json:"agency,omitempty"`
	// ApplicantID is, for a citizen, the identity number their dossiers
	// carry; it defaults to Subject. Empty for other kinds.
	ApplicantID string `json:"applicant_id,omitempty"`
}

// HasRole reports whether the principal holds the role id role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

// clone returns a copy of p that shares no memory with it.
func (p Principal) clone() Principal {
	p.Roles = slices.Clone(p.Roles)
	return p
}

// Authenticator turns a credential (a bearer token) into a Principal.
//
// Authenticate returns ErrNoCredential for an empty token, a
// *CredentialError for a token it rejects, and any other error when it
// cannot decide (the token may be good). It is safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
	// Name is the mode: "tokens" or "oidc".
	Name() string
}

// ErrNoCredential is returned by Authenticate when the request carries no token.
var ErrNoCredential = errors.New("no credential (send an Authorization: Bearer header or the " + SessionCookie + " cookie)")

// CredentialError is returned by Authenticate for a token it rejects:
// unknown, expired, badly signed, or missing a claim. Reason says why; it
// never contains the token.
type CredentialError struct {
	Reason string
}

// Error returns "invalid credential: " and the reason.
func (e *CredentialError) Error() string { return "invalid credential: " + e.Reason }

// credErr builds a *CredentialError with a formatted reason.
func credErr(format string, args ...any) *CredentialError {
	return &CredentialError{Reason: fmt.Sprintf(format, args...)}
}

// SessionCookie is the name of the cookie Credential reads a token from when
// the request has no Authorization: Bearer header.
const SessionCookie = "motcua_session"

// Credential extracts the token of a request: from an "Authorization:
// Bearer X" header first (the scheme in any case), else from the cookie
// named SessionCookie. It returns "" when the request carries neither; an
// Authorization header of another scheme counts as none.
func Credential(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			if token = strings.TrimSpace(token); token != "" {
				return token
			}
		}
	}
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// Modes of Config.
const (
	modeTokens = "tokens"
	modeOIDC   = "oidc"
)

// Config selects and configures an authenticator.
type Config struct {
	// Mode is "tokens" (the default when empty) or "oidc".
	Mode string `yaml:"mode,omitempty" json:"mode,omitempty"`
	// Tokens is the path of the tokens file; required in mode "tokens".
	Tokens string `yaml:"tokens,omitempty" json:"tokens,omitempty"`
	// OIDC configures mode "oidc".
	OIDC OIDCConfig `yaml:"oidc,omitempty" json:"oidc,omitzero"`
}

// OIDCConfig configures mode "oidc": where the identity provider is, which
// tokens it accepts, and how their claims map to a Principal.
//
// A claim name is looked up as a top-level claim first; failing that, a
// dotted name is a path into nested objects ("realm_access.roles").
//
// The kind of the principal follows from the claims, in this order: one of
// AdminRoles makes an admin; one of AnalystRoles an analyst; an applicant
// id claim and no (mapped) roles a citizen; (mapped) roles and an agency an
// officer. Any other token is rejected with a CredentialError naming the
// missing claim. Only officers keep roles; citizens keep no agency.
type OIDCConfig struct {
	// Issuer is the issuer URL; tokens must carry it in "iss", and the
	// provider is discovered at Issuer/.well-known/openid-configuration
	// unless JWKSURL is set. Required.
	Issuer string `yaml:"issuer,omitempty" json:"issuer,omitempty"`
	// Audience is the "aud" tokens must include, usually the client id.
	// Required.
	Audience string `yaml:"audience,omitempty" json:"audience,omitempty"`
	// JWKSURL, when set, is the URL of the issuer's JSON Web Key Set; New
	// then skips discovery. Default: the jwks_uri the issuer advertises.
	JWKSURL string `yaml:"jwks_url,omitempty" json:"jwks_url,omitempty"`

	// SubjectClaim is the claim holding Principal.Subject. Default "sub".
	SubjectClaim string `yaml:"subject_claim,omitempty" json:"subject_claim,omitempty"`
	// NameClaim is the claim holding Principal.Name. Default "name".
	NameClaim string `yaml:"name_claim,omitempty" json:"name_claim,omitempty"`
	// RolesClaim is the claim holding the identity provider's roles, a list
	// of strings, possibly nested ("realm_access.roles"). Default "roles".
	RolesClaim string `yaml:"roles_claim,omitempty" json:"roles_claim,omitempty"`
	// AgencyClaim is the claim holding Principal.Agency. Default "agency".
	AgencyClaim string `yaml:"agency_claim,omitempty" json:"agency_claim,omitempty"`
	// ApplicantIDClaim is the claim holding a citizen's identity number
	// (Principal.ApplicantID). Default "citizen_id".
	ApplicantIDClaim string `yaml:"applicant_id_claim,omitempty" json:"applicant_id_claim,omitempty"`
	// RoleMap maps a role of the identity provider to a motcua role id.
	// When non-empty, only mapped roles are kept; when empty, every role
	// of RolesClaim is kept as is. Default: empty.
	RoleMap map[string]string `yaml:"role_map,omitempty" json:"role_map,omitempty"`
	// AnalystRoles are identity-provider roles that make the principal an
	// analyst. Default: none.
	AnalystRoles []string `yaml:"analyst_roles,omitempty" json:"analyst_roles,omitempty"`
	// AdminRoles are identity-provider roles that make the principal an
	// admin. Default: none.
	AdminRoles []string `yaml:"admin_roles,omitempty" json:"admin_roles,omitempty"`

	// The settings below are those of the console's sign-in through the
	// provider (the authorization code flow with PKCE; see LoginProvider).
	// It is offered whenever the provider's authorization and token
	// endpoints are known: discovered, or given as AuthURL and TokenURL.
	// The session is the ID token, checked on every request as any other
	// token: its "aud" must include Audience, which it does when ClientID
	// is Audience (the default).

	// ClientID is the client id the console signs in as. Default: Audience.
	ClientID string `yaml:"client_id,omitempty" json:"client_id,omitempty"`
	// ClientSecret is the client secret of a confidential client, sent to
	// the token endpoint with HTTP Basic authentication (or in the form,
	// when the provider advertises only client_secret_post). Default:
	// none, a public client, which PKCE protects.
	ClientSecret string `yaml:"client_secret,omitempty" json:"client_secret,omitempty"`
	// RedirectURL is the console's callback as registered at the provider,
	// e.g. https://motcua.example/console/oidc/callback. Default: derived
	// from each request (its Host, https when served over TLS) — set it
	// behind a reverse proxy.
	RedirectURL string `yaml:"redirect_url,omitempty" json:"redirect_url,omitempty"`
	// Scopes are the scopes asked for; "openid" is added when missing.
	// Default: openid, profile, email.
	Scopes []string `yaml:"scopes,omitempty" json:"scopes,omitempty"`
	// AuthURL is the provider's authorization endpoint. Default: the
	// authorization_endpoint the issuer advertises; required for sign-in
	// when JWKSURL is set, since discovery is then skipped.
	AuthURL string `yaml:"auth_url,omitempty" json:"auth_url,omitempty"`
	// TokenURL is the provider's token endpoint. Default: the
	// token_endpoint the issuer advertises; required for sign-in when
	// JWKSURL is set.
	TokenURL string `yaml:"token_url,omitempty" json:"token_url,omitempty"`
}

// loginSettings reports whether any setting of the console's sign-in is
// given.
func (c OIDCConfig) loginSettings() bool {
	return c.ClientID != "" || c.ClientSecret != "" || c.RedirectURL != "" || len(c.Scopes) > 0 || c.AuthURL != "" || c.TokenURL != ""
}

// New builds the authenticator cfg selects. In mode "tokens" it reads the
// tokens file; in mode "oidc" it discovers the issuer over the network
// (unless OIDC.JWKSURL is set), with ctx bounding that request.
func New(ctx context.Context, cfg Config) (Authenticator, error) {
	switch cfg.Mode {
	case "", modeTokens:
		if cfg.OIDC.Issuer != "" || cfg.OIDC.JWKSURL != "" {
			return nil, fmt.Errorf("auth: oidc settings are given but mode is %q (set mode: oidc, or remove them)", modeTokens)
		}
		if cfg.Tokens == "" {
			return nil, errors.New("auth: mode tokens needs the path of a tokens file (set tokens)")
		}
		t, err := LoadTokens(cfg.Tokens)
		if err != nil {
			return nil, err
		}
		return t, nil
	case modeOIDC:
		if cfg.Tokens != "" {
			return nil, fmt.Errorf("auth: a tokens file is given but mode is %q (remove tokens, or set mode: tokens)", modeOIDC)
		}
		a, err := newOIDC(ctx, cfg.OIDC)
		if err != nil {
			return nil, err
		}
		return a, nil
	default:
		msg := fmt.Sprintf("auth: unknown mode %q (want %q or %q", cfg.Mode, modeTokens, modeOIDC)
		if s := suggest.DidYouMean(cfg.Mode, []string{modeTokens, modeOIDC}); s != "" {
			msg += "; " + s
		}
		return nil, errors.New(msg + ")")
	}
}
