// Package oidctest is a local OpenID Connect provider for tests: discovery,
// a JSON Web Key Set, and a minimal authorization server for the
// authorization code flow with PKCE — /authorize records the request and
// sends the browser back with a code, /token checks the client, the
// redirect URI and the code verifier against the S256 challenge, and
// answers with an ID token signed by the provider's key carrying the nonce
// and the claims of whoever is signed in at the provider (SignIn).
//
// It serves plain HTTP on 127.0.0.1 (net/http/httptest) and is meant for
// tests only.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// rsaKeys are generated once per process, as they are asked for: RSA key
// generation is slow under -race.
var rsaKeys struct {
	sync.Mutex
	keys []*rsa.PrivateKey
}

// RSAKey returns the i-th 2048-bit RSA key of the process (from 0),
// generating the keys up to it on first use.
func RSAKey(i int) *rsa.PrivateKey {
	rsaKeys.Lock()
	defer rsaKeys.Unlock()
	for len(rsaKeys.keys) <= i {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKeys.keys = append(rsaKeys.keys, k)
	}
	return rsaKeys.keys[i]
}

// Key is a signing key of the provider, with its key id.
type Key struct {
	ID      string
	Private *rsa.PrivateKey
}

// Options configure a Provider.
type Options struct {
	// Keys are the keys the key set publishes; the first signs the ID
	// tokens of /token. Default: one key "k1", RSAKey(0).
	Keys []Key
	// ClientID is the only client /authorize and /token know. Default
	// "motcua"; ID tokens carry it as "aud".
	ClientID string
	// ClientSecret, when set, makes the client confidential: /token
	// requires it (HTTP Basic or client_secret in the form). When empty,
	// the client is public and names itself with client_id.
	ClientSecret string
	// TokenAuthMethods is advertised as
	// token_endpoint_auth_methods_supported, when set.
	TokenAuthMethods []string
	// IDTokenLifetime is the lifetime of the ID tokens of /token.
	// Default five minutes.
	IDTokenLifetime time.Duration
}

// Authorization is a request /authorize accepted.
type Authorization struct {
	ClientID, RedirectURI, Scope, State, Nonce, Challenge, ChallengeMethod string
}

// grant is a code issued and not yet redeemed.
type grant struct {
	auth   Authorization
	claims map[string]any
	used   bool
}

// Provider is a running local provider. Its methods are safe for
// concurrent use.
type Provider struct {
	tb   testing.TB
	srv  *httptest.Server
	opts Options

	mu           sync.Mutex
	published    []Key
	jwksStatus   int
	advertised   string
	user         map[string]any
	denial       [2]string
	hook         func(map[string]any)
	grants       map[string]*grant
	authorized   []Authorization
	refusals     []string
	tokensIssued int

	discoveryHits atomic.Int32
	jwksHits      atomic.Int32
}

// New starts a provider, stopped at the end of the test.
func New(tb testing.TB, o Options) *Provider {
	tb.Helper()
	if len(o.Keys) == 0 {
		o.Keys = []Key{{ID: "k1", Private: RSAKey(0)}}
	}
	if o.ClientID == "" {
		o.ClientID = "motcua"
	}
	if o.IDTokenLifetime == 0 {
		o.IDTokenLifetime = 5 * time.Minute
	}
	p := &Provider{tb: tb, opts: o, published: slices.Clone(o.Keys), grants: map[string]*grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /keys", p.keys)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(mux)
	tb.Cleanup(p.srv.Close)
	return p
}

// URL is the issuer URL.
func (p *Provider) URL() string { return p.srv.URL }

// ClientID is the client the provider knows.
func (p *Provider) ClientID() string { return p.opts.ClientID }

// Publish replaces the key set the provider serves (the ID tokens of
// /token are still signed with the first key of Options).
func (p *Provider) Publish(keys ...Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.published = keys
}

// SetJWKSStatus makes the key set answer with status code, or normally
// again when code is 0.
func (p *Provider) SetJWKSStatus(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwksStatus = code
}

// SetAdvertisedIssuer makes discovery advertise iss as the issuer.
func (p *Provider) SetAdvertisedIssuer(iss string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advertised = iss
}

// DiscoveryHits counts the requests for the discovery document.
func (p *Provider) DiscoveryHits() int32 { return p.discoveryHits.Load() }

// JWKSHits counts the requests for the key set.
func (p *Provider) JWKSHits() int32 { return p.jwksHits.Load() }

// SignIn sets who is signed in at the provider: the claims the ID tokens
// of the next authorizations carry ("sub" at least). Claims iss, aud, iat,
// exp and nonce are the provider's unless claims give them.
func (p *Provider) SignIn(claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = maps.Clone(claims)
}

// Deny makes the next authorization send the browser back with the OAuth
// error code and description instead of a code.
func (p *Provider) Deny(code, description string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.denial = [2]string{code, description}
}

// SetIDTokenHook has hook change the claims of every ID token /token
// issues from now on (nil: none), e.g. to replace the nonce.
func (p *Provider) SetIDTokenHook(hook func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hook = hook
}

// Authorizations are the requests /authorize accepted, in order.
func (p *Provider) Authorizations() []Authorization {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.authorized)
}

// Refusals are the errors /token answered, in order, as "error:
// description".
func (p *Provider) Refusals() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.refusals)
}

// TokensIssued counts the ID tokens /token issued.
func (p *Provider) TokensIssued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokensIssued
}

// Claims returns valid claims of the provider for subject — iss, aud
// (the client id), sub, iat, and exp in five minutes — with extra merged
// in (a nil value deletes a claim).
func (p *Provider) Claims(subject string, extra map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": p.URL(),
		"aud": p.opts.ClientID,
		"sub": subject,
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// Sign returns claims as a compact JWS signed with key (RS256).
func Sign(tb testing.TB, key Key, claims map[string]any) string {
	tb.Helper()
	token, err := sign(key, claims)
	if err != nil {
		tb.Fatalf("oidctest: signing: %v", err)
	}
	return token
}

func sign(key Key, claims map[string]any) (string, error) {
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key.Private, KeyID: key.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.discoveryHits.Add(1)
	p.mu.Lock()
	iss := p.advertised
	p.mu.Unlock()
	if iss == "" {
		iss = p.URL()
	}
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                p.URL() + "/authorize",
		"token_endpoint":                        p.URL() + "/token",
		"jwks_uri":                              p.URL() + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "profile", "email"},
	}
	if len(p.opts.TokenAuthMethods) > 0 {
		doc["token_endpoint_auth_methods_supported"] = p.opts.TokenAuthMethods
	}
	writeJSON(w, http.StatusOK, doc)
}

func (p *Provider) keys(w http.ResponseWriter, r *http.Request) {
	p.jwksHits.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.jwksStatus != 0 {
		http.Error(w, "unavailable", p.jwksStatus)
		return
	}
	var set jose.JSONWebKeySet
	for _, k := range p.published {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &k.Private.PublicKey, KeyID: k.ID, Algorithm: "RS256", Use: "sig"})
	}
	writeJSON(w, http.StatusOK, set)
}

// authorize handles GET /authorize. Without a known client and an
// absolute redirect URI it answers 400 itself, as a provider must; other
// errors go back to the redirect URI.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a := Authorization{ClientID: q.Get("client_id"), RedirectURI: q.Get("redirect_uri"), Scope: q.Get("scope"),
		State: q.Get("state"), Nonce: q.Get("nonce"), Challenge: q.Get("code_challenge"), ChallengeMethod: q.Get("code_challenge_method")}
	if a.ClientID != p.opts.ClientID {
		http.Error(w, "unknown client_id "+a.ClientID, http.StatusBadRequest)
		return
	}
	back, err := url.Parse(a.RedirectURI)
	if err != nil || !back.IsAbs() {
		http.Error(w, "redirect_uri is not an absolute URL", http.StatusBadRequest)
		return
	}
	answer := func(params url.Values) {
		if a.State != "" {
			params.Set("state", a.State)
		}
		bq := back.Query()
		for k, v := range params {
			bq[k] = v
		}
		back.RawQuery = bq.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	}
	fail := func(code, desc string) { answer(url.Values{"error": {code}, "error_description": {desc}}) }

	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only response_type=code")
		return
	case !slices.Contains(strings.Fields(a.Scope), "openid"):
		fail("invalid_scope", "scope openid is required")
		return
	case a.ChallengeMethod != "S256" || a.Challenge == "":
		fail("invalid_request", "PKCE with code_challenge_method=S256 is required")
		return
	case p.denial[0] != "":
		code, desc := p.denial[0], p.denial[1]
		p.denial = [2]string{}
		fail(code, desc)
		return
	case p.user == nil:
		fail("login_required", "nobody is signed in at the provider")
		return
	}
	code := rand.Text()
	p.grants[code] = &grant{auth: a, claims: maps.Clone(p.user)}
	p.authorized = append(p.authorized, a)
	answer(url.Values{"code": {code}})
}

// token handles POST /token, grant type authorization_code.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	refuse := func(status int, code, desc string) {
		p.refusals = append(p.refusals, code+": "+desc)
		writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
	}
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "invalid_request", "unreadable form")
		return
	}
	f := r.PostForm
	clientID, secret, basic := r.BasicAuth()
	if basic {
		// RFC 6749 §2.3.1: form-encoded before the Basic encoding.
		clientID, _ = url.QueryUnescape(clientID)
		secret, _ = url.QueryUnescape(secret)
		if f.Has("client_secret") {
			refuse(http.StatusBadRequest, "invalid_request", "client authenticated twice")
			return
		}
	} else {
		clientID, secret = f.Get("client_id"), f.Get("client_secret")
	}
	if clientID != p.opts.ClientID {
		refuse(http.StatusUnauthorized, "invalid_client", "unknown client")
		return
	}
	if p.opts.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(p.opts.ClientSecret)) != 1 {
		refuse(http.StatusUnauthorized, "invalid_client", "bad client secret")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		refuse(http.StatusBadRequest, "unsupported_grant_type", "only authorization_code")
		return
	}
	g := p.grants[f.Get("code")]
	switch {
	case g == nil:
		refuse(http.StatusBadRequest, "invalid_grant", "unknown code")
		return
	case g.used:
		refuse(http.StatusBadRequest, "invalid_grant", "code already used")
		return
	}
	g.used = true
	switch {
	case g.auth.ClientID != clientID:
		refuse(http.StatusBadRequest, "invalid_grant", "code issued to another client")
		return
	case f.Get("redirect_uri") != g.auth.RedirectURI:
		refuse(http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	}
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	if f.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.auth.Challenge {
		refuse(http.StatusBadRequest, "invalid_grant", "PKCE verification failed: code_verifier does not match code_challenge")
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": p.URL(),
		"aud": p.opts.ClientID,
		"iat": now.Unix(),
		"exp": now.Add(p.opts.IDTokenLifetime).Unix(),
	}
	if g.auth.Nonce != "" {
		claims["nonce"] = g.auth.Nonce
	}
	for k, v := range g.claims {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	if p.hook != nil {
		p.hook(claims)
	}
	idToken, err := sign(p.opts.Keys[0], claims)
	if err != nil {
		refuse(http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	p.tokensIssued++
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": rand.Text(),
		"token_type":   "Bearer",
		"expires_in":   300,
		"id_token":     idToken,
	})
}
