package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// LoginProvider is implemented by an Authenticator whose identity provider
// signs people in through the browser: the OpenID Connect authorization
// code flow with PKCE (RFC 7636). The authenticator New builds in mode
// "oidc" implements it when the provider's authorization and token
// endpoints are known (see OIDCConfig); the web console offers the sign-in
// when its Authenticator does.
//
// The caller keeps, for each sign-in, a random state, a random nonce and a
// PKCE verifier (oauth2.GenerateVerifier), sends the browser to
// AuthCodeURL, and, when the provider sends it back to the redirect URL
// with a code, checks the state and calls Exchange with the same verifier,
// nonce and redirect URL.
type LoginProvider interface {
	// RedirectURL is the configured callback (OIDCConfig.RedirectURL), or
	// "" when the caller derives it from the request.
	RedirectURL() string
	// AuthCodeURL is the URL of the provider's authorization endpoint that
	// starts a sign-in: client id, redirect, scopes, state, nonce and the
	// S256 challenge of verifier.
	AuthCodeURL(state, nonce, verifier, redirect string) string
	// Exchange redeems code at the token endpoint with verifier and
	// redirect, verifies the ID token it returns as Authenticate verifies a
	// token, checks that it carries nonce, and maps its claims to a
	// Principal. It returns a *LoginError when the sign-in is refused, and
	// any other error when the provider cannot be reached or answers with
	// a server error. No error repeats the code or a token.
	Exchange(ctx context.Context, code, verifier, nonce, redirect string) (Login, error)
}

// Login is a completed sign-in.
type Login struct {
	// IDToken is the ID token as the provider signed it: the credential
	// of the session, which Authenticate accepts until Expiry.
	IDToken string
	// Expiry is the ID token's "exp".
	Expiry time.Time
	// Principal is whom the ID token's claims map to.
	Principal Principal
}

// LoginFailure says which step of a sign-in failed.
type LoginFailure string

// Failures of a sign-in.
const (
	// LoginRefused: the token endpoint refused the code — unknown, used
	// already, expired, issued for another redirect URL or client, or the
	// PKCE verifier does not match its challenge — or the client.
	LoginRefused LoginFailure = "refused"
	// LoginBadToken: the ID token does not verify — signature, issuer,
	// audience, expiry — or does not carry the nonce of the sign-in, or
	// the token endpoint returned none.
	LoginBadToken LoginFailure = "bad_token"
	// LoginUnmapped: the ID token is good but its claims map to no
	// principal, e.g. an officer's roles without an agency.
	LoginUnmapped LoginFailure = "unmapped"
)

// LoginError is a sign-in refused. Reason says why, for the log and the
// page; it never contains the code or a token.
type LoginError struct {
	Failure LoginFailure
	Reason  string
}

// Error returns "sign-in refused: " and the reason.
func (e *LoginError) Error() string { return "sign-in refused: " + e.Reason }

// defaultScopes are the scopes of OIDCConfig.Scopes when none are given.
var defaultScopes = []string{oidc.ScopeOpenID, "profile", "email"}

// providerMeta is what newOIDC reads of the issuer's discovery document.
type providerMeta struct {
	JWKSURL              string   `json:"jwks_uri"`
	AuthURL              string   `json:"authorization_endpoint"`
	TokenURL             string   `json:"token_endpoint"`
	TokenAuthMethods     []string `json:"token_endpoint_auth_methods_supported"`
	CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
}

// oidcLogin is an oidcAuth that also signs people in.
type oidcLogin struct {
	*oidcAuth
	oauth    oauth2.Config // without RedirectURL, set per sign-in
	redirect string
	client   *http.Client
}

// newLogin prepares the sign-in of a, from the configuration and what
// discovery found (meta is zero without discovery). It returns nil, nil
// when the endpoints are unknown and no setting of the sign-in is given.
func newLogin(a *oidcAuth, meta providerMeta, client *http.Client) (*oidcLogin, error) {
	cfg := a.cfg
	authURL, tokenURL := cfg.AuthURL, cfg.TokenURL
	if authURL == "" {
		authURL = meta.AuthURL
	}
	if tokenURL == "" {
		tokenURL = meta.TokenURL
	}
	if authURL == "" || tokenURL == "" {
		if !cfg.loginSettings() {
			return nil, nil
		}
		if cfg.JWKSURL != "" {
			return nil, errors.New("auth: oidc: the console's sign-in needs the provider's endpoints: set oidc.auth_url and oidc.token_url (oidc.jwks_url skips discovery)")
		}
		return nil, fmt.Errorf("auth: oidc: the issuer %s advertises no authorization_endpoint or token_endpoint: set oidc.auth_url and oidc.token_url for the console's sign-in", cfg.Issuer)
	}
	for _, u := range []string{authURL, tokenURL} {
		if err := checkURL(u); err != nil {
			return nil, fmt.Errorf("auth: oidc: the issuer %s advertises a bad endpoint: %w", cfg.Issuer, err)
		}
	}
	if len(meta.CodeChallengeMethods) > 0 && !slices.Contains(meta.CodeChallengeMethods, "S256") {
		return nil, fmt.Errorf("auth: oidc: the issuer %s does not support PKCE with S256 (code_challenge_methods_supported: %v), which the console's sign-in needs",
			cfg.Issuer, meta.CodeChallengeMethods)
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	// The style is fixed: left to probe, oauth2 would send a refused code
	// a second time.
	style := oauth2.AuthStyleInHeader
	switch {
	case cfg.ClientSecret == "":
		// A public client names itself in the form.
		style = oauth2.AuthStyleInParams
	case len(meta.TokenAuthMethods) > 0 && !slices.Contains(meta.TokenAuthMethods, "client_secret_basic") &&
		slices.Contains(meta.TokenAuthMethods, "client_secret_post"):
		style = oauth2.AuthStyleInParams
	}
	clientID := cfg.ClientID
	if clientID == "" {
		clientID = cfg.Audience
	}
	return &oidcLogin{
		oidcAuth: a,
		oauth: oauth2.Config{
			ClientID:     clientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
			Scopes:       slices.Clone(scopes),
		},
		redirect: cfg.RedirectURL,
		client:   client,
	}, nil
}

// RedirectURL returns OIDCConfig.RedirectURL.
func (l *oidcLogin) RedirectURL() string { return l.redirect }

// AuthCodeURL returns the authorization endpoint's URL for a sign-in.
func (l *oidcLogin) AuthCodeURL(state, nonce, verifier, redirect string) string {
	conf := l.oauth
	conf.RedirectURL = redirect
	return conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Exchange redeems code and verifies the ID token; see LoginProvider.
func (l *oidcLogin) Exchange(ctx context.Context, code, verifier, nonce, redirect string) (Login, error) {
	if code == "" {
		return Login{}, &LoginError{Failure: LoginRefused, Reason: "no authorization code"}
	}
	if nonce == "" || verifier == "" {
		return Login{}, errors.New("auth: oidc: Exchange needs the nonce and the verifier of the sign-in")
	}
	conf := l.oauth
	conf.RedirectURL = redirect
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, l.client), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			status, answer := 0, "HTTP"
			if re.Response != nil {
				status = re.Response.StatusCode
				answer += " " + re.Response.Status
			}
			if status < http.StatusInternalServerError {
				// An OAuth error, of the code or of the client. Its body
				// is not repeated: only the error and its description.
				reason := fmt.Sprintf("the token endpoint %s refused the code", conf.Endpoint.TokenURL)
				if re.ErrorCode != "" {
					reason += ": " + re.ErrorCode
					if re.ErrorDescription != "" {
						reason += " (" + re.ErrorDescription + ")"
					}
				} else {
					reason += ": " + answer
				}
				return Login{}, &LoginError{Failure: LoginRefused, Reason: reason}
			}
			return Login{}, fmt.Errorf("auth: oidc: the token endpoint %s answered %s", conf.Endpoint.TokenURL, answer)
		}
		return Login{}, fmt.Errorf("auth: oidc: redeeming the code at %s: %w", conf.Endpoint.TokenURL, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Login{}, &LoginError{Failure: LoginBadToken, Reason: "the token endpoint returned no id_token (is the scope openid granted?)"}
	}
	idToken, claims, err := l.verify(ctx, raw)
	if err != nil {
		var ce *CredentialError
		if errors.As(err, &ce) {
			return Login{}, &LoginError{Failure: LoginBadToken, Reason: "the ID token: " + ce.Reason}
		}
		return Login{}, err
	}
	if subtle.ConstantTimeCompare([]byte(idToken.Nonce), []byte(nonce)) != 1 {
		return Login{}, &LoginError{Failure: LoginBadToken, Reason: "the ID token does not carry the nonce of this sign-in"}
	}
	p, err := l.principal(claims)
	if err != nil {
		var ce *CredentialError
		if errors.As(err, &ce) {
			return Login{}, &LoginError{Failure: LoginUnmapped, Reason: ce.Reason}
		}
		return Login{}, err
	}
	return Login{IDToken: raw, Expiry: idToken.Expiry, Principal: p}, nil
}
