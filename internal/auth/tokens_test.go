package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
)

const (
	officerToken = "officer-token-0123456789"
	citizenToken = "citizen-token-0123456789"
	analystToken = "analyst-token-0123456789"
	adminToken   = "admin-token-0123456789ab"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// writeFile writes content to name in a fresh temporary folder and returns its path.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o600))
	return path
}

var goodTokensFile = `# motcua tokens file
tokens:
  - token: "` + officerToken + `"
    subject: mc-ubnd-xa-01
    name: "Trần Thị Bình"
    kind: officer
    roles: [mot_cua, cong_chuc]
    agency: ubnd_xa
  - token_sha256: "` + sha256Hex(citizenToken) + `"
    subject: "001234567890"
    name: Nguyễn Văn An
    kind: citizen
  - token_sha256: "` + strings.ToUpper(sha256Hex(analystToken)) + `"
    subject: analyst-01
    kind: analyst
    agency: so_tu_phap
  - token: ` + adminToken + `
    subject: ops-01
    kind: admin
`

func TestTokensAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a, err := auth.New(ctx, auth.Config{Tokens: writeFile(t, "tokens.yaml", goodTokensFile)})
	require.NoError(t, err)
	require.Equal(t, "tokens", a.Name())

	for _, tt := range []struct {
		name  string
		token string
		want  auth.Principal
	}{
		{"plain officer", officerToken, auth.Principal{
			Subject: "mc-ubnd-xa-01", Name: "Trần Thị Bình", Kind: auth.KindOfficer,
			Roles: []string{"mot_cua", "cong_chuc"}, Agency: "ubnd_xa",
		}},
		{"hashed citizen, applicant id from subject", citizenToken, auth.Principal{
			Subject: "001234567890", Name: "Nguyễn Văn An", Kind: auth.KindCitizen, ApplicantID: "001234567890",
		}},
		{"hashed in upper case", analystToken, auth.Principal{Subject: "analyst-01", Kind: auth.KindAnalyst, Agency: "so_tu_phap"}},
		{"unquoted plain token", adminToken, auth.Principal{Subject: "ops-01", Kind: auth.KindAdmin}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(ctx, tt.token)
			require.NoError(t, err)
			require.Equal(t, tt.want, p)
		})
	}

	t.Run("unknown token", func(t *testing.T) {
		t.Parallel()
		_, err := a.Authenticate(ctx, "not-a-listed-token-at-all")
		var ce *auth.CredentialError
		require.ErrorAs(t, err, &ce)
		require.EqualError(t, err, "invalid credential: unknown token")
	})
	t.Run("hash given as token", func(t *testing.T) {
		t.Parallel()
		_, err := a.Authenticate(ctx, sha256Hex(citizenToken))
		require.EqualError(t, err, "invalid credential: unknown token")
	})
	t.Run("no token", func(t *testing.T) {
		t.Parallel()
		_, err := a.Authenticate(ctx, "")
		require.ErrorIs(t, err, auth.ErrNoCredential)
	})
	t.Run("principal is a copy", func(t *testing.T) {
		t.Parallel()
		p, err := a.Authenticate(ctx, officerToken)
		require.NoError(t, err)
		p.Roles[0] = "lanh_dao"
		again, err := a.Authenticate(ctx, officerToken)
		require.NoError(t, err)
		require.True(t, again.HasRole("mot_cua"))
		require.False(t, again.HasRole("lanh_dao"))
	})
}

func TestTokensCitizenApplicantID(t *testing.T) {
	t.Parallel()
	tok, err := auth.ParseTokens("tokens.yaml", []byte(`tokens:
  - token: `+citizenToken+`
    subject: citizen-account-7
    kind: citizen
    applicant_id: "079123456789"
`))
	require.NoError(t, err)
	p, err := tok.Authenticate(context.Background(), citizenToken)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "citizen-account-7", Kind: auth.KindCitizen, ApplicantID: "079123456789"}, p)
}

func TestTokensFileErrors(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef"
	for _, tt := range []struct {
		name string
		file string
		want string
	}{
		{"empty", ``,
			`tokens.yaml: the file is empty (want a list of tokens under "tokens:")`},
		{"only comments", "# nothing\n",
			`tokens.yaml: the file is empty (want a list of tokens under "tokens:")`},
		{"not a mapping", "- token: x\n",
			`tokens.yaml:1:1: want a mapping with a list of tokens under "tokens:", got a list`},
		{"syntax", "tokens:\n  - token: [\n",
			`tokens.yaml:2: did not find expected node content`},
		{"tab", "tokens:\n\t- token: x\n",
			`tokens.yaml:2: found character that cannot start any token`},
		{"two documents", "tokens: []\n---\ntokens: []\n",
			`tokens.yaml:2:1: a second YAML document; a tokens file holds one`},
		{"unknown top field", "token:\n  - subject: a\n",
			"tokens.yaml:1:1: unknown field \"token\" (did you mean \"tokens\"?)\n" +
				`tokens.yaml:1:1: missing field "tokens" (the list of tokens)`},
		{"no tokens field", "{}\n",
			`tokens.yaml:1:1: missing field "tokens" (the list of tokens)`},
		{"empty list", "tokens: []\n",
			`tokens.yaml:1:9: tokens: the list is empty`},
		{"null list", "tokens:\n",
			`tokens.yaml:1:8: tokens: the list is empty`},
		{"list is a string", "tokens: abc\n",
			`tokens.yaml:1:9: tokens: want a list of tokens, got a scalar`},
		{"entry is a string", "tokens:\n  - abc\n",
			`tokens.yaml:2:5: tokens[0]: want a mapping with token, subject and kind, got a scalar`},
		{"unknown field", "tokens:\n  - token: " + tok + "\n    subjet: a\n    subject: a\n    kind: admin\n",
			`tokens.yaml:3:5: tokens[0]: unknown field "subjet" (did you mean "subject"?)`},
		{"duplicate field", "tokens:\n  - token: " + tok + "\n    subject: a\n    subject: b\n    kind: admin\n",
			`tokens.yaml:4:5: tokens[0]: duplicate field "subject" (first at line 3)`},
		{"duplicate token", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: admin\n  - token: " + tok + "\n    subject: b\n    kind: admin\n",
			`tokens.yaml:5:12: tokens[1]: duplicate token (same as tokens[0] at line 2)`},
		{"duplicate token, plain then hashed", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: admin\n  - token_sha256: " + sha256Hex(tok) + "\n    subject: b\n    kind: admin\n",
			`tokens.yaml:5:19: tokens[1]: duplicate token (same as tokens[0] at line 2)`},
		{"missing subject", "tokens:\n  - token: " + tok + "\n    kind: admin\n",
			`tokens.yaml:2:5: tokens[0]: missing field "subject" (an account id, or a citizen's identity number)`},
		{"empty subject", "tokens:\n  - token: " + tok + "\n    subject: \"\"\n    kind: admin\n",
			`tokens.yaml:3:14: tokens[0].subject: field "subject" is empty (an account id, or a citizen's identity number)`},
		{"subject is a list", "tokens:\n  - token: " + tok + "\n    subject: [a]\n    kind: admin\n",
			`tokens.yaml:3:14: tokens[0].subject: want a string, got a list`},
		{"missing kind", "tokens:\n  - token: " + tok + "\n    subject: a\n",
			`tokens.yaml:2:5: tokens[0]: missing field "kind" (citizen, officer, analyst or admin)`},
		{"unknown kind", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: oficer\n",
			`tokens.yaml:4:11: tokens[0].kind: unknown kind "oficer" (want citizen, officer, analyst or admin; did you mean "officer"?)`},
		{"unknown kind, nothing close", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: mayor\n",
			`tokens.yaml:4:11: tokens[0].kind: unknown kind "mayor" (want citizen, officer, analyst or admin)`},
		{"officer without agency or roles", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: officer\n",
			"tokens.yaml:2:5: tokens[0]: missing field \"roles\" (an officer needs at least one role id of the definitions)\n" +
				`tokens.yaml:2:5: tokens[0]: missing field "agency" (an officer needs the agency id of the definitions they work for)`},
		{"officer with empty roles", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: officer\n    roles: []\n    agency: ubnd_xa\n",
			`tokens.yaml:5:12: tokens[0].roles: field "roles" is empty (an officer needs at least one role id of the definitions)`},
		{"roles not a list", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: officer\n    roles: mot_cua\n    agency: ubnd_xa\n",
			`tokens.yaml:5:12: tokens[0].roles: want a list of role ids, got a scalar (write roles: [mot_cua])`},
		{"role not a string", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: officer\n    roles: [mot_cua, [x]]\n    agency: ubnd_xa\n",
			`tokens.yaml:5:22: tokens[0].roles[1]: want a role id, got a list`},
		{"citizen with roles and agency", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: citizen\n    roles: [mot_cua]\n    agency: ubnd_xa\n",
			"tokens.yaml:5:12: tokens[0].roles: only an officer has roles, not a citizen\n" +
				`tokens.yaml:6:13: tokens[0].agency: a citizen has no agency`},
		{"applicant id of an officer", "tokens:\n  - token: " + tok + "\n    subject: a\n    kind: admin\n    applicant_id: \"0123\"\n",
			`tokens.yaml:5:19: tokens[0].applicant_id: only a citizen has an applicant_id, not an admin`},
		{"no token", "tokens:\n  - subject: a\n    kind: admin\n",
			`tokens.yaml:2:5: tokens[0]: missing field "token" (or "token_sha256")`},
		{"both token forms", "tokens:\n  - token: " + tok + "\n    token_sha256: " + sha256Hex(tok) + "\n    subject: a\n    kind: admin\n",
			`tokens.yaml:3:5: tokens[0]: give either "token" or "token_sha256", not both`},
		{"short token", "tokens:\n  - token: secret\n    subject: a\n    kind: admin\n",
			`tokens.yaml:2:12: tokens[0].token: the token has 6 characters; use at least 16 (for example the output of: openssl rand -base64 32)`},
		{"empty token", "tokens:\n  - token: \"\"\n    subject: a\n    kind: admin\n",
			`tokens.yaml:2:12: tokens[0].token: the token is empty`},
		{"token with a space", "tokens:\n  - token: \"0123456789 abcdef\"\n    subject: a\n    kind: admin\n",
			`tokens.yaml:2:12: tokens[0].token: the token holds white space or control characters, which cannot be sent in a header`},
		{"hash too short", "tokens:\n  - token_sha256: abcd\n    subject: a\n    kind: admin\n",
			`tokens.yaml:2:19: tokens[0].token_sha256: want the SHA-256 of the token in 64 hexadecimal digits, got 4 characters`},
		{"hash not hex", "tokens:\n  - token_sha256: " + strings.Repeat("z", 64) + "\n    subject: a\n    kind: admin\n",
			`tokens.yaml:2:19: tokens[0].token_sha256: want the SHA-256 of the token in 64 hexadecimal digits, got 64 characters (not all hexadecimal digits)`},
		{"several problems, in order of position", "tokens:\n  - token: short\n    kind: oficer\n  - subject: b\n    kind: admin\n    colour: red\n",
			"tokens.yaml:2:5: tokens[0]: missing field \"subject\" (an account id, or a citizen's identity number)\n" +
				"tokens.yaml:2:12: tokens[0].token: the token has 5 characters; use at least 16 (for example the output of: openssl rand -base64 32)\n" +
				"tokens.yaml:3:11: tokens[0].kind: unknown kind \"oficer\" (want citizen, officer, analyst or admin; did you mean \"officer\"?)\n" +
				"tokens.yaml:4:5: tokens[1]: missing field \"token\" (or \"token_sha256\")\n" +
				`tokens.yaml:6:5: tokens[1]: unknown field "colour"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := auth.ParseTokens("tokens.yaml", []byte(tt.file))
			require.EqualError(t, err, tt.want)
			require.Nil(t, tok)
			require.NotContains(t, err.Error(), "0123456789abcdef", "an error repeats a token")
		})
	}
}

func TestTokensAliases(t *testing.T) {
	t.Parallel()
	tok, err := auth.ParseTokens("tokens.yaml", []byte(`tokens:
  - token: `+officerToken+`
    subject: mc-01
    kind: officer
    roles: &roles [mot_cua, cong_chuc]
    agency: &agency ubnd_xa
  - token: `+analystToken+`
    subject: mc-02
    kind: officer
    roles: *roles
    agency: *agency
`))
	require.NoError(t, err)
	p, err := tok.Authenticate(context.Background(), analystToken)
	require.NoError(t, err)
	require.Equal(t, auth.Principal{Subject: "mc-02", Kind: auth.KindOfficer, Roles: []string{"mot_cua", "cong_chuc"}, Agency: "ubnd_xa"}, p)
}

func TestTokensAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("tokens:\n  - &e {token: " + officerToken + ", subject: s, kind: officer, agency: a, roles: [")
	for i := range 1000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "r%d", i)
	}
	b.WriteString("]}\n")
	for range 2000 {
		b.WriteString("  - *e\n")
	}
	_, err := auth.ParseTokens("tokens.yaml", []byte(b.String()))
	require.Error(t, err)
	require.Contains(t, err.Error(), ": the file expands to more than 1048576 nodes through its aliases")
	require.Less(t, strings.Count(err.Error(), "\n"), 1100, "the walk stopped")
}

func TestLoadTokens(t *testing.T) {
	t.Parallel()

	t.Run("errors name the file", func(t *testing.T) {
		t.Parallel()
		path := writeFile(t, "tokens.yaml", "tokens: []\n")
		_, err := auth.LoadTokens(path)
		require.EqualError(t, err, path+":1:9: tokens: the list is empty")
	})
	t.Run("missing file", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "none.yaml")
		_, err := auth.LoadTokens(path)
		require.ErrorIs(t, err, fs.ErrNotExist)
		require.EqualError(t, err, "auth: reading tokens file: open "+path+": no such file or directory")
	})
}

func TestNewConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  auth.Config
		want string
	}{
		{"no tokens file", auth.Config{},
			"auth: mode tokens needs the path of a tokens file (set tokens)"},
		{"unknown mode", auth.Config{Mode: "oicd"},
			`auth: unknown mode "oicd" (want "tokens" or "oidc"; did you mean "oidc"?)`},
		{"oidc settings in mode tokens", auth.Config{Tokens: "t.yaml", OIDC: auth.OIDCConfig{Issuer: "https://id.example"}},
			`auth: oidc settings are given but mode is "tokens" (set mode: oidc, or remove them)`},
		{"tokens file in mode oidc", auth.Config{Mode: "oidc", Tokens: "t.yaml"},
			`auth: a tokens file is given but mode is "oidc" (remove tokens, or set mode: tokens)`},
		{"oidc without issuer", auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Audience: "motcua"}},
			`auth: oidc.issuer is required (the URL of the identity provider, as tokens carry it in "iss")`},
		{"oidc issuer not a URL", auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: "id.example", Audience: "motcua"}},
			`auth: oidc.issuer: "id.example" is not an http(s) URL`},
		{"oidc without audience", auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: "https://id.example"}},
			`auth: oidc.audience is required (the client id tokens are issued for, as they carry it in "aud")`},
		{"oidc jwks url not a URL", auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: "https://id.example", Audience: "motcua", JWKSURL: "/keys"}},
			`auth: oidc.jwks_url: "/keys" is not an http(s) URL`},
		{"oidc empty mapped role", auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{Issuer: "https://id.example", Audience: "motcua", RoleMap: map[string]string{"clerk": ""}}},
			`auth: oidc.role_map: "clerk": "": neither role may be empty`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := auth.New(context.Background(), tt.cfg)
			require.EqualError(t, err, tt.want)
			require.Nil(t, a)
		})
	}
}

func TestWriteSample(t *testing.T) {
	t.Parallel()
	principals := []auth.Principal{
		{Subject: "mc-ubnd-xa-01", Name: "Trần Thị Bình", Kind: auth.KindOfficer, Roles: []string{"mot_cua", "cong_chuc"}, Agency: "ubnd_xa"},
		{Subject: "001234567890", Name: "Nguyễn Văn An", Kind: auth.KindCitizen},
		{Subject: "citizen-2", Kind: auth.KindCitizen, ApplicantID: "079123456789"},
		{Subject: "analyst-01", Kind: auth.KindAnalyst},
		{Subject: "ops-01", Kind: auth.KindAdmin},
	}

	t.Run("round trip", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "tokens.yaml")
		entries, err := auth.WriteSample(path, principals)
		require.NoError(t, err)
		require.Len(t, entries, len(principals))

		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, fs.FileMode(0o600), info.Mode().Perm())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(string(data), "# motcua tokens file — FOR DEVELOPMENT ONLY.\n"), string(data))

		a, err := auth.LoadTokens(path)
		require.NoError(t, err)
		seen := map[string]bool{}
		for i, e := range entries {
			require.Len(t, e.Token, 43, "32 bytes in unpadded base64url")
			require.False(t, seen[e.Token], "token repeated")
			seen[e.Token] = true
			want := principals[i]
			if want.Kind == auth.KindCitizen && want.ApplicantID == "" {
				want.ApplicantID = want.Subject
			}
			require.Equal(t, want, e.Principal)
			got, err := a.Authenticate(context.Background(), e.Token)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}
	})

	t.Run("refuses to overwrite", func(t *testing.T) {
		t.Parallel()
		path := writeFile(t, "tokens.yaml", "keep me\n")
		entries, err := auth.WriteSample(path, principals)
		require.ErrorIs(t, err, fs.ErrExist)
		require.EqualError(t, err, "auth: "+path+" exists; not overwriting it (remove it to generate new tokens): file already exists")
		require.Nil(t, entries)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "keep me\n", string(data))
	})

	t.Run("invalid principal", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "tokens.yaml")
		_, err := auth.WriteSample(path, []auth.Principal{principals[0], {Subject: "mc-02", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}}})
		require.EqualError(t, err, `auth: writing sample tokens file: principal 1 (subject "mc-02"): missing field "agency" (an officer needs the agency id of the definitions they work for)`)
		_, err = os.Stat(path)
		require.True(t, errors.Is(err, fs.ErrNotExist), "a file was written")
	})

	t.Run("no principals", func(t *testing.T) {
		t.Parallel()
		_, err := auth.WriteSample(filepath.Join(t.TempDir(), "tokens.yaml"), nil)
		require.EqualError(t, err, "auth: writing sample tokens file: no principals given")
	})
}

func TestPrincipalHasRole(t *testing.T) {
	t.Parallel()
	p := auth.Principal{Kind: auth.KindOfficer, Roles: []string{"mot_cua", "cong_chuc"}}
	require.True(t, p.HasRole("cong_chuc"))
	require.False(t, p.HasRole("lanh_dao"))
	require.False(t, auth.Principal{}.HasRole(""))
}
