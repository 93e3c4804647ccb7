package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
)

// authConfig parses args as the auth flags of `motcua api` and builds the
// auth.Config.
func authConfig(t *testing.T, args ...string) (auth.Config, error) {
	t.Helper()
	var af authFlags
	fl := pflag.NewFlagSet("api", pflag.ContinueOnError)
	af.add(fl)
	require.NoError(t, fl.Parse(args))
	return af.config()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestAuthFlagsSignIn(t *testing.T) {
	secret := writeFile(t, "secret", "  s3cret-from-the-flag\n")

	t.Run("flags", func(t *testing.T) {
		cfg, err := authConfig(t, "--oidc-issuer", "https://id.example/realms/motcua", "--oidc-audience", "motcua",
			"--oidc-client-id", "motcua-console", "--oidc-client-secret-file", secret,
			"--oidc-redirect-url", "https://motcua.example/console/oidc/callback")
		require.NoError(t, err)
		require.Equal(t, auth.Config{Mode: "oidc", OIDC: auth.OIDCConfig{
			Issuer: "https://id.example/realms/motcua", Audience: "motcua",
			ClientID: "motcua-console", ClientSecret: "s3cret-from-the-flag",
			RedirectURL: "https://motcua.example/console/oidc/callback",
		}}, cfg)
	})

	t.Run("YAML, flags win", func(t *testing.T) {
		fileSecret := writeFile(t, "file-secret", "s3cret-from-the-file")
		yml := writeFile(t, "oidc.yaml", `issuer: https://id.example/realms/motcua
audience: motcua
agency_claim: motcua_agency
client_id: motcua-console
client_secret_file: `+fileSecret+`
redirect_url: https://motcua.example/console/oidc/callback
scopes: [openid, profile]
`)
		cfg, err := authConfig(t, "--oidc-config", yml)
		require.NoError(t, err)
		require.Equal(t, auth.OIDCConfig{
			Issuer: "https://id.example/realms/motcua", Audience: "motcua", AgencyClaim: "motcua_agency",
			ClientID: "motcua-console", ClientSecret: "s3cret-from-the-file",
			RedirectURL: "https://motcua.example/console/oidc/callback", Scopes: []string{"openid", "profile"},
		}, cfg.OIDC)

		cfg, err = authConfig(t, "--oidc-config", yml, "--oidc-client-id", "other", "--oidc-client-secret-file", secret,
			"--oidc-redirect-url", "https://other.example/console/oidc/callback")
		require.NoError(t, err)
		require.Equal(t, "other", cfg.OIDC.ClientID)
		require.Equal(t, "s3cret-from-the-flag", cfg.OIDC.ClientSecret)
		require.Equal(t, "https://other.example/console/oidc/callback", cfg.OIDC.RedirectURL)

		inline := writeFile(t, "inline.yaml", "issuer: https://id.example\naudience: motcua\nclient_secret: inline-s3cret\n")
		cfg, err = authConfig(t, "--oidc-config", inline)
		require.NoError(t, err)
		require.Equal(t, "inline-s3cret", cfg.OIDC.ClientSecret)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := authConfig(t, "--tokens", "t.yaml", "--oidc-client-id", "motcua-console")
		require.EqualError(t, err, "--oidc-client-id needs --oidc-issuer or --oidc-config")
		require.ErrorAs(t, err, new(usageError))

		both := writeFile(t, "both.yaml", "issuer: https://id.example\nclient_secret: a\nclient_secret_file: /x\n")
		_, err = authConfig(t, "--oidc-config", both)
		require.EqualError(t, err, both+": give client_secret or client_secret_file, not both")

		unknown := writeFile(t, "unknown.yaml", "issuer: https://id.example\nclient_secrett: a\n")
		_, err = authConfig(t, "--oidc-config", unknown)
		require.ErrorContains(t, err, "field client_secrett not found")

		empty := writeFile(t, "empty", "\n")
		_, err = authConfig(t, "--oidc-issuer", "https://id.example", "--oidc-client-secret-file", empty)
		require.EqualError(t, err, "--oidc-client-secret-file: "+empty+" is empty")

		_, err = authConfig(t, "--oidc-issuer", "https://id.example", "--oidc-client-secret-file", filepath.Join(t.TempDir(), "none"))
		require.ErrorContains(t, err, "--oidc-client-secret-file: open ")
	})
}
