package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/auth"
	"github.com/motcua/motcua/internal/httpserver"
	"github.com/motcua/motcua/internal/service/servicetest"
)

// TestServerModeRoundTrip drives a birth registration with the command
// line through the HTTP API (--server), where the token says who acts.
func TestServerModeRoundTrip(t *testing.T) {
	env := servicetest.Start(t, "../../definitions")
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	samples, err := auth.WriteSample(tokens, []auth.Principal{
		{Subject: "079090001234", Name: "Nguyễn Văn A", Kind: auth.KindCitizen},
		{Subject: "cb-mot-cua", Kind: auth.KindOfficer, Roles: []string{"mot_cua"}, Agency: "ubnd_xa"},
	})
	require.NoError(t, err)
	citizen, officer := samples[0].Token, samples[1].Token
	srv, err := httpserver.Start(context.Background(), httpserver.Config{Listen: "127.0.0.1:0", Auth: auth.Config{Tokens: tokens},
		FilesDir: filepath.Join(env.DataDir, "files"), ResultsDir: filepath.Join(env.DataDir, "results"),
		Catalog: env.Catalog, Client: env.Client, Store: env.Store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Stop()) })
	cli := func(token string, args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, "--server", srv.URL(), "--token", token, "--definitions", "../../definitions")...)
	}
	toKhai := servicetest.WriteFile(t, "to_khai.pdf", servicetest.PDF)
	gcs := servicetest.WriteFile(t, "giay_chung_sinh.jpg", servicetest.JPG)
	code, out, errOut := cli(citizen, "submit", "--procedure", "1.001193", "--mode", "full_online", "--channel", "online",
		"--field", "child_name=Nguyễn Văn B", "--field", "birth_date=2025-07-01", "--field", "gender=Nam",
		"--field", "birth_place=Bệnh viện tỉnh Tây Ninh", "--field", "via_representative=false", "--reused", "giay_to_tuy_than",
		"--file", "to_khai="+toKhai, "--file", "giay_chung_sinh="+gcs, "--format", "json")
	require.Equal(t, 0, code, errOut)
	var st struct {
		Code      string `json:"code"`
		Applicant struct {
			ID string `json:"id"`
		} `json:"applicant"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	require.Equal(t, "079090001234", st.Applicant.ID, "the token's citizen")

	// Problems come back one per line, as without --server.
	code, _, errOut = cli(citizen, "submit", "--procedure", "1.001193", "--mode", "full_online", "--channel", "online",
		"--field", "gender=Khác")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "field gender: \"Khác\" is not one of the choices: Nam, Nữ\n")

	require.Eventually(t, func() bool {
		_, out, _ := cli(officer, "tasks")
		return strings.Contains(out, st.Code)
	}, 30*time.Second, 100*time.Millisecond)
	code, _, errOut = cli(citizen, "tasks")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "only officers have an inbox")
	require.Contains(t, errOut, "HTTP 403")

	code, out, errOut = cli(officer, "act", st.Code, "--task", "tiep_nhan", "--outcome", "accept")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Đang xử lý")
	code, _, errOut = cli(officer, "withdraw", st.Code, "--reason", "thử")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "only the applicant may do this")
	code, out, _ = cli(citizen, "status", st.Code)
	require.Equal(t, 0, code)
	require.Contains(t, out, st.Code)

	code, _, errOut = runCLI(t, "status", st.Code, "--server", srv.URL(), "--definitions", "../../definitions")
	if os.Getenv("MOTCUA_TOKEN") == "" {
		require.Equal(t, 2, code)
		require.Contains(t, errOut, "--server needs a token")
	}
}
