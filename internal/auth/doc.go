// Package auth authenticates requests to the motcua HTTP API and web console:
// it turns the bearer token of a request into a [Principal] — who is asking,
// of which [Kind], with which roles and agency.
//
// # Credentials
//
// [Credential] takes the token from the "Authorization: Bearer …" header, or
// else from the cookie named [SessionCookie]. An [Authenticator] checks it:
//
//   - [ErrNoCredential]: the request carries no token (HTTP 401);
//   - a [*CredentialError]: the token is unknown, expired, badly signed or
//     lacks a claim; its Reason says which, for the log, and never repeats
//     the token (HTTP 401);
//   - any other error: the authenticator could not decide, for example the
//     identity provider's key set could not be fetched (HTTP 503).
//
// # Modes
//
// [New] builds the authenticator a [Config] selects.
//
// Mode "tokens" (the default) reads a YAML tokens file once, at New; see
// [ParseTokens] for its format and [WriteSample] for a development file with
// fresh random tokens. Tokens are compared in constant time over their
// SHA-256, and the file may hold only that hash (token_sha256), so it need
// not hold the secret.
//
// Mode "oidc" verifies JSON Web Tokens (ID tokens, or access tokens in JWT
// form) signed by an OpenID Connect provider, with
// github.com/coreos/go-oidc/v3: the issuer, the audience, the expiry and
// not-before times (allowing a minute of clock skew), and the signature
// against the issuer's key set, which is fetched again when a token names a
// key it does not hold, so the provider may rotate its keys. [OIDCConfig]
// maps the token's claims to a Principal.
//
// # Signing in through the provider
//
// In mode "oidc", when the provider's authorization and token endpoints
// are known (discovered, or OIDCConfig.AuthURL and TokenURL), the
// authenticator is also a [LoginProvider]: the web console signs people in
// with the authorization code flow and PKCE (S256), with
// golang.org/x/oauth2. [LoginProvider.Exchange] redeems the code, verifies
// the ID token with the same verifier and claim mapping as Authenticate,
// checks its nonce, and returns a [Login] or a [*LoginError] saying which
// step refused. The ID token then serves as the session's credential.
// The package oidctest is a local provider for tests.
package auth
