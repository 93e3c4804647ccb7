package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/motcua/motcua/internal/auth"
)

// A tokens file may hold a token in plain or only its SHA-256.
func ExampleParseTokens() {
	file := `# motcua tokens file
tokens:
  - token: "dev-officer-token-0001"
    subject: mc-ubnd-xa-01
    name: "Trần Thị Bình"
    kind: officer
    roles: [mot_cua, cong_chuc]
    agency: ubnd_xa
  - # the SHA-256 of "correct-horse-battery-staple"
    token_sha256: "87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f8590"
    subject: "001234567890"
    kind: citizen
`
	tokens, err := auth.ParseTokens("tokens.yaml", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	for _, token := range []string{"dev-officer-token-0001", "correct-horse-battery-staple", "guessed-token-123456"} {
		p, err := tokens.Authenticate(ctx, token)
		var ce *auth.CredentialError
		switch {
		case errors.As(err, &ce):
			fmt.Println(err)
		case err != nil:
			fmt.Println("cannot decide:", err)
		default:
			fmt.Printf("%s %s of %q, roles %v, applicant %q\n", p.Kind, p.Subject, p.Agency, p.Roles, p.ApplicantID)
		}
	}
	// Output:
	// officer mc-ubnd-xa-01 of "ubnd_xa", roles [mot_cua cong_chuc], applicant ""
	// citizen 001234567890 of "", roles [], applicant "001234567890"
	// invalid credential: unknown token
}

// Every problem of a tokens file is reported with its position.
func ExampleParseTokens_errors() {
	file := `tokens:
  - token: "short"
    subject: mc-01
    kind: oficer
    agency: ubnd_xa
`
	_, err := auth.ParseTokens("tokens.yaml", []byte(file))
	fmt.Println(err)
	// Output:
	// tokens.yaml:2:12: tokens[0].token: the token has 5 characters; use at least 16 (for example the output of: openssl rand -base64 32)
	// tokens.yaml:4:11: tokens[0].kind: unknown kind "oficer" (want citizen, officer, analyst or admin; did you mean "officer"?)
}

// The header comes before the cookie.
func ExampleCredential() {
	r := httptest.NewRequest("GET", "/api/dossiers", nil)
	fmt.Printf("%q\n", auth.Credential(r))
	r.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: "from-the-console"})
	fmt.Printf("%q\n", auth.Credential(r))
	r.Header.Set("Authorization", "Bearer from-a-client")
	fmt.Printf("%q\n", auth.Credential(r))
	// Output:
	// ""
	// "from-the-console"
	// "from-a-client"
}
