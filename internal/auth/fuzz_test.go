package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
)

// FuzzTokensFile feeds the tokens-file decoder arbitrary bytes: it must
// never panic, must either fail or return Tokens, and every line of its
// error must start with the file name.
//
//	go test ./internal/auth -run '^$' -fuzz FuzzTokensFile -fuzztime 30s -fuzzminimizetime 3s
//
// (At the default -fuzzminimizetime of 60s, minimising each new input
// looks like a stall.)
func FuzzTokensFile(f *testing.F) {
	f.Add([]byte(goodTokensFile))
	f.Add([]byte(""))
	f.Add([]byte("tokens: []\n"))
	f.Add([]byte("tokens:\n  - token: 0123456789abcdef\n    subject: a\n    kind: officer\n    roles: [a, *x]\n"))
	f.Add([]byte("tokens:\n  - &e {token: 0123456789abcdef, subject: a, kind: admin}\n  - *e\n"))
	f.Add([]byte("tokens: &a [*a]\n"))
	f.Add([]byte("a: &a [*a, *a]\nb: &b [*a, *a]\ntokens: [*b, *b]\n"))
	f.Add([]byte("tokens:\n  - <<: {subject: a}\n    token_sha256: 00\n"))
	f.Add([]byte("---\n...\n---\n"))
	f.Add([]byte("tokens:\n  - {? [a]: b, token: \"\\u0000\\t0123456789abcdef\"}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := auth.ParseTokens("f.yaml", data)
		if err != nil {
			require.Nil(t, tok)
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "f.yaml:"), "error line %q does not name the file", line)
			}
			return
		}
		require.NotNil(t, tok)
		_, err = tok.Authenticate(context.Background(), "fuzz-token-not-in-any-file")
		var ce *auth.CredentialError
		require.ErrorAs(t, err, &ce)
	})
}
