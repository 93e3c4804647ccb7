package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service/servicetest"
)

func TestEngineCommandsUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"submit", "--mode", "full_online"}, "--procedure is required"},
		{[]string{"submit", "--procedure", "1.001193", "--field", "child_name"}, `--field "child_name": write KEY=VALUE`},
		{[]string{"submit", "--procedure", "1.001193", "--field", "a=1", "--field", "a=2"}, "--field a is given twice"},
		{[]string{"submit", "--procedure", "1.001193", "--format", "xml"}, `unknown --format "xml"`},
		{[]string{"submit", "--procedure", "1.001193", "--colour"}, "unknown flag: --colour"},
		{[]string{"status"}, "status needs one dossier code"},
		{[]string{"status", "A", "B"}, "status needs one dossier code"},
		{[]string{"act", "X", "--task", "tiep_nhan", "--outcome", "accept"}, "--as ROLE@AGENCY is required"},
		{[]string{"act", "X", "--task", "tiep_nhan", "--outcome", "accept", "--as", "mot_cua"}, `--as "mot_cua": write ROLE@AGENCY`},
		{[]string{"act", "X", "--outcome", "accept", "--as", "mot_cua@ubnd_xa"}, "--task and --outcome are required"},
		{[]string{"supplement", "X", "--applicant-id", "1"}, "give what is supplemented"},
		{[]string{"withdraw", "X", "--applicant-id", "1"}, "--applicant-id and --reason are required"},
		{[]string{"rate", "X", "--applicant-id", "1", "--satisfied", "--dissatisfied"}, "exactly one of --satisfied and --dissatisfied"},
		{[]string{"pay", "X", "--reference", "R"}, "--reference and --amount are required"},
		{[]string{"extend", "X", "--as", "a@b", "--new-appointment", "20/03/2025", "--reason", "r"}, `--new-appointment "20/03/2025": write YYYY-MM-DDTHH:MM`},
		{[]string{"verify"}, "verify needs one result code or file"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, errOut)
		require.Empty(t, out)
		require.Contains(t, errOut, tc.want, "%v", tc.args)
	}
}

func TestEngineCommandsNeedTheDataFolder(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope")
	code, _, errOut := runCLI(t, "status", "X", "--data", missing)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "data folder "+missing+" does not exist")
}

// TestSubmitStatusActRoundTrip drives a full-online birth registration
// from the command line against a real server and workers.
func TestSubmitStatusActRoundTrip(t *testing.T) {
	env := servicetest.Start(t, "../../definitions")
	common := []string{"--address", env.HostPort, "--namespace", env.Namespace, "--data", env.DataDir, "--definitions", "../../definitions"}
	cli := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, append(args, common...)...)
	}
	toKhai := servicetest.WriteFile(t, "to_khai.pdf", servicetest.PDF)
	gcs := servicetest.WriteFile(t, "giay_chung_sinh.jpg", servicetest.JPG)
	exe := servicetest.WriteFile(t, "to_khai.exe", []byte("MZ\x90\x00\x03"))
	submit := []string{"submit", "--procedure", "1.001193", "--mode", "full_online", "--channel", "online",
		"--applicant-id", "079090001234", "--applicant-name", "Nguyễn Văn A", "--contact", "a@example.vn",
		"--field", "child_name=Nguyễn Văn B", "--field", "birth_date=2025-07-01",
		"--field", "birth_place=Bệnh viện tỉnh Tây Ninh", "--reused", "giay_to_tuy_than", "--file", "giay_chung_sinh=" + gcs}

	// Problems: one line each, exit 1, nothing kept.
	code, out, errOut := cli(append(submit, "--file", "to_khai="+exe, "--field", "gender=Khác", "--file", "ghi_chu=/no/such/file.pdf")...)
	require.Equal(t, 1, code, errOut)
	require.Empty(t, out)
	require.Equal(t, "field ghi_chu: cannot read /no/such/file.pdf: no such file or directory\n", errOut)
	code, _, errOut = cli(append(submit, "--file", "to_khai="+exe, "--field", "gender=Khác")...)
	require.Equal(t, 1, code)
	require.Equal(t, "field gender: \"Khác\" is not one of the choices: Nam, Nữ\n"+
		"field to_khai: file type .exe is not accepted (pdf, jpg, png)\n", errOut)
	require.Empty(t, servicetest.Files(t, filepath.Join(env.DataDir, "files")))

	code, out, errOut = cli(append(submit, "--file", "to_khai="+toKhai, "--field", "gender=Nam", "--format", "json")...)
	require.Equal(t, 0, code, errOut)
	var st dossier.State
	require.NoError(t, json.Unmarshal([]byte(out), &st))
	dossierCode := st.Code
	require.Regexp(t, `^UBND_XA-\d{6}-\d{4}$`, dossierCode)

	code, out, errOut = cli("status", dossierCode)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Hồ sơ "+dossierCode+" — 1.001193 Đăng ký khai sinh")
	require.Contains(t, out, "1 — Mới đăng ký")
	require.Contains(t, out, "tiep_nhan")
	require.Contains(t, out, "mot_cua@ubnd_xa")

	// A wrong role is rejected with the workflow's reason.
	code, out, errOut = cli("act", dossierCode, "--task", "tiep_nhan", "--outcome", "accept", "--as", "chu_tich_xa@ubnd_xa", "--officer", "cb09")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Equal(t, "motcua: rejected: role \"chu_tich_xa\" may not act on task \"tiep_nhan\": it needs role \"mot_cua\"\n", errOut)

	code, out, errOut = cli("act", dossierCode, "--task", "tiep_nhan", "--outcome", "accept", "--as", "mot_cua@ubnd_xa", "--officer", "cb01")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "cb01 (mot_cua@ubnd_xa)")
	require.NotContains(t, out, "Ngày hẹn trả:  —")

	// The specialist finds it in the inbox, then approves; the leader signs.
	require.Eventually(t, func() bool {
		_, out, _ := cli("tasks", "--role", "tu_phap_ho_tich", "--agency", "ubnd_xa")
		return strings.Contains(out, dossierCode) && strings.Contains(out, "tham_dinh")
	}, 20*time.Second, 100*time.Millisecond)
	code, _, errOut = cli("act", dossierCode, "--task", "tham_dinh", "--outcome", "approve", "--as", "tu_phap_ho_tich@ubnd_xa")
	require.Equal(t, 0, code, errOut)
	var sign dossier.Task
	require.Eventually(t, func() bool {
		_, out, _ := cli("status", dossierCode, "--format", "json")
		var st dossier.State
		if json.Unmarshal([]byte(out), &st) != nil {
			return false
		}
		for _, task := range st.OpenTasks {
			if task.Step == "ky_duyet" {
				sign = task
				return true
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond)
	code, _, errOut = cli("act", dossierCode, "--task", sign.ID, "--outcome", sign.Outcomes[0], "--as", "chu_tich_xa@ubnd_xa")
	require.Equal(t, 0, code, errOut)
	require.Eventually(t, func() bool {
		_, out, _ := cli("status", dossierCode)
		return strings.Contains(out, "10 — Đã trả kết quả")
	}, 20*time.Second, 100*time.Millisecond)

	code, out, errOut = runCLI(t, "verify", dossierCode+"-KQ1", "--data", env.DataDir)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Chữ ký hợp lệ")
	require.Contains(t, out, "tin cậy")

	// A tampered result fails.
	doc := filepath.Join(env.DataDir, "results", dossierCode+"-KQ1.json")
	data, err := os.ReadFile(doc)
	require.NoError(t, err)
	tampered := filepath.Join(t.TempDir(), dossierCode+"-KQ1.json")
	require.NoError(t, os.WriteFile(tampered, []byte(strings.Replace(string(data), "Nguyễn Văn A", "Nguyễn Văn X", 1)), 0o644))
	sig, err := os.ReadFile(strings.TrimSuffix(doc, ".json") + ".sig.json")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(strings.TrimSuffix(tampered, ".json")+".sig.json", sig, 0o644))
	code, _, errOut = runCLI(t, "verify", tampered, "--data", env.DataDir)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "signature NOT valid")

	code, _, errOut = cli("status", "UBND_XA-250101-9999")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no dossier UBND_XA-250101-9999")
}
