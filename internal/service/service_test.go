package service_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
	"github.com/motcua/motcua/workflows"
)

const (
	birth     = "1.001193"
	lienThong = "9.000003"
	// agencyCode is the national code the test catalog gives the birth
	// registration's commune; 9.000003 names the same commune id without
	// a code, so its dossiers are numbered under UBND_XA.
	agencyCode = "000.00.01.H22"
)

// testCatalog copies the example definitions and gives the commune of the
// birth registration a national agency code.
func testCatalog(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("../../definitions")))
	path := filepath.Join(dir, "procedures", "1.001193-dang-ky-khai-sinh.yaml")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	text := strings.Replace(string(data), "  - id: ubnd_xa\n    name:", "  - id: ubnd_xa\n    code: \""+agencyCode+"\"\n    name:", 1)
	require.NotEqual(t, string(data), text)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return dir
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

var applicant = dossier.Applicant{ID: "079090001234", Name: "Nguyễn Văn A", Contact: "a@example.vn"}

// birthRequest is a valid full-online birth registration.
func birthRequest() service.SubmitRequest {
	return service.SubmitRequest{
		Procedure: birth, Mode: "full_online", Channel: "online", Delivery: "e_result",
		Applicant: applicant,
		Form: map[string]string{
			"child_name": "Nguyễn Văn B", "birth_date": "2025-07-01", "gender": "Nam",
			"birth_place": "Bệnh viện Đa khoa tỉnh Tây Ninh", "via_representative": "false",
		},
		Components: []service.Upload{
			{ID: "to_khai", FileName: "to_khai.pdf", Data: bytes.NewReader(servicetest.PDF)},
			{ID: "giay_chung_sinh", FileName: "giay_chung_sinh.png", Data: bytes.NewReader(servicetest.PNG)},
		},
		Reused: []string{"giay_to_tuy_than"},
	}
}

func problems(t *testing.T, err error) []service.Problem {
	t.Helper()
	var verr *service.ValidationError
	require.ErrorAs(t, err, &verr)
	return verr.Problems
}

func TestSubmitRejectsBadInput(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service

	cases := []struct {
		name   string
		change func(r *service.SubmitRequest)
		want   []service.Problem
	}{
		{"unknown procedure", func(r *service.SubmitRequest) { r.Procedure = "9.999999"; r.Applicant.Name = "" },
			[]service.Problem{
				{"procedure", `no procedure "9.999999" in the catalog`},
				{"applicant.name", "is required"},
			}},
		{"mode not offered", func(r *service.SubmitRequest) { r.Mode = "offline" },
			[]service.Problem{{"mode", `procedure 1.001193 does not offer mode "offline" (it offers full_online, partial_online)`}}},
		{"channel and delivery not in the mode", func(r *service.SubmitRequest) { r.Channel = "in_person"; r.Delivery = "counter" },
			[]service.Problem{
				{"channel", `mode full_online of procedure 1.001193 does not accept channel "in_person" (it accepts online)`},
				{"delivery", `mode full_online of procedure 1.001193 does not return results by "counter" (it offers e_result, postal)`},
			}},
		{"form fields", func(r *service.SubmitRequest) {
			r.Form["child_name"] = strings.Repeat("a", 101)
			r.Form["birth_date"] = "01/07/2025"
			r.Form["gender"] = "Khác"
			delete(r.Form, "birth_place")
			r.Form["via_representative"] = "maybe"
			r.Form["ho_ten_cha"] = "Nguyễn Văn C"
		}, []service.Problem{
			{"child_name", "must be at most 100 characters long"},
			{"birth_date", `"01/07/2025" is not a date written YYYY-MM-DD (e.g. 2025-07-01)`},
			{"gender", `"Khác" is not one of the choices: Nam, Nữ`},
			{"birth_place", "is required"},
			{"via_representative", `"maybe" is not yes or no (write true or false)`},
			{"ho_ten_cha", "is not a form field of procedure 1.001193 (fields: child_name, birth_date, gender, birth_place, via_representative)"},
		}},
		{"components", func(r *service.SubmitRequest) {
			r.Components = []service.Upload{
				{ID: "to_khai", FileName: "to_khai.exe", Data: bytes.NewReader([]byte("MZ\x90\x00"))},
				{ID: "giay_chung_sinh", FileName: "giay_chung_sinh.pdf", Data: bytes.NewReader(servicetest.PNG)},
				{ID: "anh_the", FileName: "anh.jpg", Data: bytes.NewReader(servicetest.JPG)},
			}
			r.Reused = []string{"to_khai", "giay_chung_sinh"}
		}, []service.Problem{
			{"to_khai", "file type .exe is not accepted (pdf, jpg, png)"},
			{"giay_chung_sinh", `file "giay_chung_sinh.pdf" is not a PDF: its content is image/png`},
			{"anh_the", "is not a component of procedure 1.001193 (components: to_khai, giay_chung_sinh, giay_uy_quyen, giay_to_tuy_than)"},
			{"to_khai", "cannot be re-used from a data store: procedure 1.001193 names none for it; upload the file"},
			{"giay_chung_sinh", "cannot be re-used from a data store: procedure 1.001193 names none for it; upload the file"},
			{"giay_to_tuy_than", "is required: Giấy tờ tùy thân của người đi đăng ký (or list it as re-used from population_db)"},
		}},
		{"too large, empty, and a condition met", func(r *service.SubmitRequest) {
			r.Form["via_representative"] = "true"
			big := io.MultiReader(bytes.NewReader(servicetest.PDF), io.LimitReader(zeros{}, 10<<20))
			r.Components = []service.Upload{
				{ID: "to_khai", FileName: "to_khai.PDF", Data: big},
				{ID: "giay_chung_sinh", FileName: "gcs.png", Data: bytes.NewReader(nil)},
			}
		}, []service.Problem{
			{"to_khai", `file "to_khai.PDF" is larger than the 10 MB allowed`},
			{"giay_chung_sinh", `file "gcs.png" is empty`},
			{"giay_uy_quyen", "is required: Văn bản ủy quyền (có chứng thực)"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := birthRequest()
			tc.change(&req)
			_, err := svc.Submit(ctx(t), req)
			require.Equal(t, tc.want, problems(t, err))
		})
	}

	// Nothing started, nothing projected, no file kept.
	list, err := env.Client.ListWorkflow(ctx(t), &workflowservice.ListWorkflowExecutionsRequest{Namespace: env.Namespace})
	require.NoError(t, err)
	require.Empty(t, list.Executions)
	dossiers, err := env.Store.DossierList(ctx(t), store.DossierListParams{})
	require.NoError(t, err)
	require.Empty(t, dossiers)
	require.Empty(t, servicetest.Files(t, filepath.Join(env.DataDir, "files")))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestCodesIncreasePerAgencyPerDay(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	day := time.Date(2025, 7, 1, 23, 30, 0, 0, dossier.Vietnam) // 16:30 UTC: still 1 July in Vietnam
	now := day
	svc, err := service.New(service.Options{Client: env.Client, Store: env.Store, Catalog: env.Catalog,
		FilesDir: filepath.Join(env.DataDir, "files"), Now: func() time.Time { return now }})
	require.NoError(t, err)

	submit := func(req service.SubmitRequest) string {
		t.Helper()
		st, err := svc.Submit(ctx(t), req)
		require.NoError(t, err)
		require.Equal(t, dossier.StatusNew, st.Status)
		return st.Code
	}
	require.Equal(t, agencyCode+"-250701-0001", submit(birthRequest()))
	require.Equal(t, agencyCode+"-250701-0002", submit(birthRequest()))
	// Another agency code (the commune of 9.000003 has none: its id in
	// capitals) counts on its own.
	require.Equal(t, "UBND_XA-250701-0001", submit(lienThongRequest()))
	now = day.Add(time.Hour) // 2 July in Vietnam
	require.Equal(t, agencyCode+"-250702-0001", submit(birthRequest()))

	// The format is pluggable.
	custom, err := service.New(service.Options{Client: env.Client, Store: env.Store, Catalog: env.Catalog,
		FilesDir: filepath.Join(env.DataDir, "files"), Now: func() time.Time { return now },
		CodeFormat: func(agency string, d time.Time, n int) string {
			return "HS." + agency + "." + d.Format("20060102") + "." + string(rune('A'+n))
		}})
	require.NoError(t, err)
	st, err := custom.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	require.Equal(t, "HS."+agencyCode+".20250702.C", st.Code)

	// Identical files are stored once, under their hash.
	files := servicetest.Files(t, filepath.Join(env.DataDir, "files"))
	require.Len(t, files, 2, "the same to_khai and giay_chung_sinh were uploaded five times: %v", files)
	for _, f := range files {
		require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{64}$`), filepath.ToSlash(f))
		require.Equal(t, filepath.Base(f)[:2], filepath.Dir(f))
	}
}

func lienThongRequest() service.SubmitRequest {
	return service.SubmitRequest{
		Procedure: lienThong, Mode: "full_online", Channel: "online",
		Applicant: applicant,
		Form: map[string]string{
			"ten_tre": "Nguyễn Văn B", "ngay_sinh": "2025-06-30", "gioi_tinh": "Nữ", "noi_sinh": "Tây Ninh",
			"dan_toc": "Kinh", "so_dinh_danh_me": "079190001234", "co_thong_tin_cha": "false",
			"dia_chi_thuong_tru": "Số 1, ấp 2, xã Hòa Thành", "thuong_tru_cung_cha_me": "có",
			"noi_kham_chua_benh": "Trạm y tế xã",
		},
		Components: []service.Upload{{ID: "giay_chung_sinh", FileName: "gcs.pdf", Data: bytes.NewReader(servicetest.PDF)}},
		Reused:     []string{"thong_tin_cha_me"},
	}
}

// officer is an actor holding a role of the birth registration.
func officer(role string) dossier.Actor {
	return dossier.Actor{ID: "cb-" + role, Role: role, Agency: "ubnd_xa"}
}

// waitTask waits until a task of the step is open for an officer and
// returns it.
func waitTask(t *testing.T, svc *service.Service, code, step string) dossier.Task {
	t.Helper()
	var last dossier.State
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := svc.Status(ctx(t), code)
		require.NoError(t, err)
		last = st
		for _, task := range st.OpenTasks {
			if task.Step == step {
				return task
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no task of step %s opened on %s; status %s, open %+v", step, code, last.Status, last.OpenTasks)
	return dossier.Task{}
}

func waitStatus(t *testing.T, svc *service.Service, code string, want dossier.Status) dossier.State {
	t.Helper()
	var last dossier.State
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := svc.Status(ctx(t), code)
		require.NoError(t, err)
		if last = st; st.Status == want {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not reach status %d; it is %d with open tasks %+v", code, want, last.Status, last.OpenTasks)
	return last
}

func act(t *testing.T, svc *service.Service, code, step, outcome string, items ...string) dossier.State {
	t.Helper()
	task := waitTask(t, svc, code, step)
	st, err := svc.Act(ctx(t), code, workflows.ActRequest{Task: task.ID, Outcome: outcome,
		Actor: officer(task.Role), Note: "ghi chú", Items: items})
	require.NoError(t, err, "acting on %s", task.ID)
	return st
}

func TestFullOnlineBirthRegistration(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service

	st, err := svc.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	code := st.Code
	require.Regexp(t, `^`+regexp.QuoteMeta(agencyCode)+`-\d{6}-0001$`, code)
	require.Equal(t, dossier.StatusNew, st.Status)
	require.Equal(t, applicant, st.Applicant)

	st = act(t, svc, code, "tiep_nhan", workflows.OutcomeAccept)
	require.NotZero(t, st.AppointmentAt)
	// The action answers with the settled state and its timeline, and the
	// read model already holds it (projected in the same workflow task).
	require.NotEmpty(t, st.Timeline)
	require.Contains(t, kinds(st.Timeline), dossier.EventReceived)
	projected, err := env.Store.DossierGet(ctx(t), code)
	require.NoError(t, err)
	require.Contains(t, kinds(projected.Timeline), dossier.EventReceived)
	act(t, svc, code, "tham_dinh", "approve")
	sign := waitTask(t, svc, code, "ky_duyet")
	act(t, svc, code, "ky_duyet", sign.Outcomes[0])
	st = waitStatus(t, svc, code, dossier.StatusReturned)
	require.NotNil(t, st.Result)
	require.Equal(t, code+"-KQ1", st.Result.Code)
	require.Equal(t, "e_result", st.Result.Delivery)

	v, err := svc.VerifyResult(ctx(t), st.Result.Code)
	require.NoError(t, err)
	require.True(t, v.Trusted)
	require.Equal(t, st.Result.SHA256, v.SHA256)
	_, err = svc.VerifyResult(ctx(t), code+"-KQ9")
	require.ErrorIs(t, err, service.ErrNotFound)

	// The inbox no longer holds the dossier's tasks.
	tasks, err := svc.Tasks(ctx(t), service.TasksRequest{Agency: "ubnd_xa"})
	require.NoError(t, err)
	for _, task := range tasks {
		require.NotEqual(t, code, task.DossierCode)
	}

	// Rating closes the workflow; the read model answers from then on.
	st, err = svc.Rate(ctx(t), code, workflows.RateRequest{Actor: dossier.Actor{ID: applicant.ID}, Satisfied: true, Comment: "Nhanh"})
	require.NoError(t, err)
	require.NotNil(t, st.Rating)
	waitClosed(t, env, code)
	var stored dossier.State
	require.Eventually(t, func() bool {
		stored, err = svc.Status(ctx(t), code)
		return err == nil && stored.Rating != nil
	}, 10*time.Second, 50*time.Millisecond)
	require.Empty(t, stored.Applicant.Contact, "the read model keeps no contact: the state came from it")
	require.Equal(t, dossier.StatusReturned, stored.Status)
	require.True(t, stored.Rating.Satisfied)
	require.Equal(t, code+"-KQ1", stored.Result.Code)
	kinds := make([]string, len(stored.Timeline))
	for i, e := range stored.Timeline {
		kinds[i] = e.Kind
	}
	require.Contains(t, kinds, dossier.EventSigned)
	require.Equal(t, dossier.EventRated, kinds[len(kinds)-1])

	// A closed dossier takes no action, and says so.
	_, err = svc.Rate(ctx(t), code, workflows.RateRequest{Actor: dossier.Actor{ID: applicant.ID}, Satisfied: false})
	var rej *service.RejectedError
	require.ErrorAs(t, err, &rej)
	require.Contains(t, rej.Message, "is closed")

	_, err = svc.Status(ctx(t), "UBND_XA-250101-9999")
	require.ErrorIs(t, err, service.ErrNotFound)
}

func waitClosed(t *testing.T, env *servicetest.Env, code string) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := env.Client.DescribeWorkflowExecution(ctx(t), code, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 30*time.Second, 50*time.Millisecond)
}

func TestPartialOnlineWithSupplement(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service
	req := birthRequest()
	req.Mode, req.Channel, req.Delivery = "partial_online", "in_person", "counter"
	st, err := svc.Submit(ctx(t), req)
	require.NoError(t, err)
	code := st.Code

	st = act(t, svc, code, "tiep_nhan", workflows.OutcomeSupplement, "Giấy chứng sinh bị mờ, không đọc được")
	require.Equal(t, dossier.StatusSupplement, st.Status)
	var waiting dossier.Task
	for _, task := range st.OpenTasks {
		if task.Role == dossier.RoleApplicant {
			waiting = task
		}
	}
	require.Equal(t, "supplement", waiting.Kind)

	// The applicant's inbox shows it.
	require.Eventually(t, func() bool {
		tasks, err := svc.Tasks(ctx(t), service.TasksRequest{ApplicantID: applicant.ID})
		return err == nil && len(tasks) == 1 && tasks[0].DossierCode == code
	}, 10*time.Second, 50*time.Millisecond)

	// A supplement is checked like a submission, and stores nothing when wrong.
	before := servicetest.Files(t, filepath.Join(env.DataDir, "files"))
	_, err = svc.Supplement(ctx(t), code, service.SupplementRequest{ApplicantID: applicant.ID,
		Components: []service.Upload{{ID: "giay_chung_sinh", FileName: "gcs.docx", Data: bytes.NewReader(servicetest.PDF)}},
		Form:       map[string]string{"birth_date": "2025-13-01"}})
	require.Equal(t, []service.Problem{
		{"birth_date", `"2025-13-01" is not a date written YYYY-MM-DD (e.g. 2025-07-01)`},
		{"giay_chung_sinh", "file type .docx is not accepted (pdf, jpg, png)"},
	}, problems(t, err))
	require.Equal(t, before, servicetest.Files(t, filepath.Join(env.DataDir, "files")))

	// Only the applicant may supplement.
	sharp := append(append([]byte{}, servicetest.JPG...), "rõ nét"...)
	_, err = svc.Supplement(ctx(t), code, service.SupplementRequest{ApplicantID: "001099000001",
		Components: []service.Upload{{ID: "giay_chung_sinh", FileName: "gcs.jpg", Data: bytes.NewReader(sharp)}}})
	var rej *service.RejectedError
	require.ErrorAs(t, err, &rej)
	require.Equal(t, "only the applicant of dossier "+code+" may do this", rej.Message)

	st, err = svc.Supplement(ctx(t), code, service.SupplementRequest{ApplicantID: applicant.ID, Note: "Bản chụp rõ",
		Components: []service.Upload{{ID: "giay_chung_sinh", FileName: "gcs.jpg", Data: bytes.NewReader(sharp)}}})
	require.NoError(t, err)
	require.NotEqual(t, dossier.StatusSupplement, st.Status)
	require.Len(t, servicetest.Files(t, filepath.Join(env.DataDir, "files")), len(before)+1)

	st = act(t, svc, code, "tiep_nhan", workflows.OutcomeAccept)
	require.Equal(t, dossier.StatusProcessing, st.Status)
	require.Zero(t, st.Supplements, "a supplement at reception does not pause the clock")
	act(t, svc, code, "tham_dinh", "approve")
	sign := waitTask(t, svc, code, "ky_duyet")
	act(t, svc, code, "ky_duyet", sign.Outcomes[0])
	pickup := waitTask(t, svc, code, "tra_ket_qua")
	require.Equal(t, "pickup", pickup.Kind)
	st = act(t, svc, code, "tra_ket_qua", workflows.OutcomeReturned)
	st = waitStatus(t, svc, code, dossier.StatusReturned)
	require.Equal(t, "counter", st.Result.Delivery)
	var kinds []string
	for _, e := range st.Timeline {
		kinds = append(kinds, e.Kind)
	}
	require.Subset(t, kinds, []string{dossier.EventSupplementAsked, dossier.EventSupplemented, dossier.EventReceived, dossier.EventReturned})
}

func TestRejectedActionChangesNothing(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	svc := env.Service
	st, err := svc.Submit(ctx(t), birthRequest())
	require.NoError(t, err)
	code := st.Code
	task := waitTask(t, svc, code, "tiep_nhan")
	before, err := svc.Status(ctx(t), code)
	require.NoError(t, err)

	_, err = svc.Act(ctx(t), code, workflows.ActRequest{Task: task.ID, Outcome: workflows.OutcomeAccept,
		Actor: officer("tu_phap_ho_tich")})
	var rej *service.RejectedError
	require.ErrorAs(t, err, &rej)
	require.Equal(t, `role "tu_phap_ho_tich" may not act on task "tiep_nhan": it needs role "mot_cua"`, rej.Message)

	_, err = svc.Act(ctx(t), code, workflows.ActRequest{Task: "tham_dinh", Outcome: "approve", Actor: officer("tu_phap_ho_tich")})
	require.ErrorAs(t, err, &rej)
	require.Equal(t, `task "tham_dinh" is not open on dossier `+code+` (open: tiep_nhan)`, rej.Message)

	_, err = svc.Act(ctx(t), code, workflows.ActRequest{Task: task.ID, Outcome: workflows.OutcomeRefuse, Actor: officer("mot_cua")})
	require.ErrorAs(t, err, &rej)
	require.Equal(t, "a refusal must give its reasons (note)", rej.Message)

	after, err := svc.Status(ctx(t), code)
	require.NoError(t, err)
	require.Equal(t, before.Timeline, after.Timeline)
	require.Equal(t, before.Status, after.Status)

	_, err = svc.Act(ctx(t), "UBND_XA-250101-9999", workflows.ActRequest{Task: "tiep_nhan", Outcome: "accept", Actor: officer("mot_cua")})
	require.True(t, errors.Is(err, service.ErrNotFound), "got %v", err)
}

// kinds lists the kinds of a timeline's events.
func kinds(events []dossier.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind
	}
	return out
}
