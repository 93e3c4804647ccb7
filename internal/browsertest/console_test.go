package browsertest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service/servicetest"
)

const missingItem = "Giấy chứng sinh bị mờ"

// TestOfficerSupplementAndApproveInBrowser: a citizen submits a birth
// registration through the API; the reception officer finds it in the
// console's inbox and asks for a supplement; the citizen supplements
// through the API; the officer accepts it, signs out, and the reviewer
// signs in and approves — every officer's step through the console in
// Chromium.
func TestOfficerSupplementAndApproveInBrowser(t *testing.T) {
	chromium(t) // skip early, before starting an engine
	begin := time.Now()
	e := startEnv(t)
	b := newBrowser(t, e.base, "")
	t.Logf("engine, front door and browser ready in %s", time.Since(begin).Round(time.Millisecond))

	// 1. The citizen submits through the API.
	st := e.submitBirth()
	code := st.Code
	require.Equal(t, dossier.StatusNew, st.Status)
	t.Logf("dossier %s submitted", code)

	// 2. The reception officer signs in, finds the dossier in the inbox
	// and opens it.
	b.login(tokMotCua, "inbox", "01-login")
	if got := b.attrs("#user", "data-subject"); !slices.Equal(got, []string{"cb-mot-cua"}) {
		b.fatalf("signed in as %v, want cb-mot-cua", got)
	}
	row := b.waitInboxRow(code)
	if got := b.attrs(row, "data-task"); !slices.Contains(got, "tiep_nhan") {
		b.fatalf("the inbox row of %s is for tasks %v, want tiep_nhan", code, got)
	}
	if badge := b.text(row + " span.badge"); badge == "" {
		b.fatalf("the inbox row of %s has no due badge", code)
	}
	b.shot("02-inbox")
	b.submit(row+" a.dossier-link", "dossier")
	if got := b.attrs("section#dossier", "data-code"); !slices.Equal(got, []string{code}) {
		b.fatalf("the dossier page shows %v, want %s", got, code)
	}
	requireStatus(b, dossier.StatusNew)
	if got := b.text("#applicant-name"); got != "Nguyễn Văn A" {
		b.fatalf("#applicant-name is %q", got)
	}
	b.shot("03-dossier")

	// 3. It asks for a supplement.
	b.act("tiep_nhan", "supplement", "Đề nghị nộp bản chụp rõ nét", missingItem)
	if flash := b.text("#flash"); !strings.HasPrefix(flash, "Đã ghi nhận: Yêu cầu bổ sung") {
		b.fatalf("#flash is %q, want the confirmation of the supplement request", flash)
	}
	requireStatus(b, dossier.StatusSupplement)
	if n := b.count(`a.print-link[data-form="supplement"]`); n != 1 {
		b.fatalf("%d links to the printable supplement form, want 1", n)
	}
	b.shot("04-dossier-supplement-requested")

	// 7a. The printable supplement form, as the officer prints it.
	b.open(dossierPath(code, "/print/supplement"), "")
	if got := b.attrs("article#print", "data-form"); !slices.Equal(got, []string{"supplement"}) {
		b.fatalf("article#print data-form %v, want supplement", got)
	}
	if got := b.text("#dossier-code"); got != code {
		b.fatalf("the supplement form shows code %q, want %s", got, code)
	}
	if items := b.text("ol#print-items"); items != missingItem {
		b.fatalf("the supplement form lists %q, want %q", items, missingItem)
	}
	b.shot("05-print-supplement")

	// 4. The citizen supplements through the API.
	status, body := e.postMultipart("/v1/dossiers/"+url.PathEscape(code)+"/supplement", tokCitizen,
		part{name: "note", value: "Bản chụp rõ"},
		part{name: "giay_chung_sinh", value: string(servicetest.JPG) + "rõ nét", file: "gcs.jpg"})
	require.Equal(t, http.StatusOK, status, "supplementing: %s", body)

	// 5. The officer reloads the dossier page and accepts; then signs out.
	b.open(dossierPath(code), "dossier")
	b.waitActionForm("tiep_nhan")
	b.shot("06-dossier-supplemented")
	if got := b.text(`tr.component-row[data-component="giay_chung_sinh"]`); !strings.Contains(got, "gcs.jpg") {
		b.fatalf("the birth certificate's row reads %q, want the supplemented gcs.jpg", got)
	}
	b.act("tiep_nhan", "accept", "Hồ sơ đã đầy đủ")
	if flash := b.text("#flash"); !strings.HasPrefix(flash, "Đã ghi nhận: ") {
		b.fatalf("#flash is %q after accepting", flash)
	}
	if got := b.text("#accepted-at"); got == "" || got == "—" {
		b.fatalf("#accepted-at is %q after accepting", got)
	}
	b.shot("07-dossier-accepted")
	b.logout()

	// The reviewer signs in, finds the dossier and approves.
	b.login(tokTuPhap, "inbox", "08-login-reviewer")
	row = b.waitInboxRow(code)
	if got := b.attrs(row, "data-task"); !slices.Contains(got, "tham_dinh") {
		b.fatalf("the reviewer's inbox row of %s is for tasks %v, want tham_dinh", code, got)
	}
	b.shot("09-inbox-reviewer")
	b.submit(row+" a.dossier-link", "dossier")
	if form := b.actionForm("tiep_nhan"); form != "" {
		b.fatalf("the reviewer is offered the reception's form %s", form)
	}
	b.shot("10-dossier-reviewer")
	b.act("tham_dinh", "approve", "Đủ điều kiện đăng ký khai sinh")
	if flash := b.text("#flash"); !strings.HasPrefix(flash, "Đã ghi nhận: ") {
		b.fatalf("#flash is %q after approving", flash)
	}
	requireStatus(b, dossier.StatusProcessing)
	b.shot("11-dossier-approved")

	// 6. The timeline shows the supplement request, the supplement, the
	// acceptance and the approval, in that order.
	kinds := b.attrs("table#timeline tr.event", "data-kind")
	t.Logf("timeline: %v", kinds)
	// The page shows the engine's timeline (which may have grown since).
	engine := e.state(code).Timeline
	require.GreaterOrEqual(t, len(engine), len(kinds))
	for i, ev := range engine[:len(kinds)] {
		require.Equal(t, ev.Kind, kinds[i], "timeline row %d: the page's is not the engine's", i)
	}
	asked := slices.Index(kinds, dossier.EventSupplementAsked)
	supplemented := slices.Index(kinds, dossier.EventSupplemented)
	if asked < 0 || supplemented < asked {
		b.fatalf("timeline %v: want %s then %s", kinds, dossier.EventSupplementAsked, dossier.EventSupplemented)
	}
	askedRow := fmt.Sprintf(`table#timeline tr.event[data-seq="%d"]`, engine[asked].Seq)
	if got := b.text(askedRow); !strings.Contains(got, missingItem) {
		b.fatalf("the timeline's supplement request reads %q, want the item %q", got, missingItem)
	}
	// The acceptance and the approval: the two actions after the
	// supplement, with the outcomes' names in the outcome column.
	var acted []int
	for i, kind := range kinds {
		if kind == dossier.EventActed && i > supplemented {
			acted = append(acted, i)
		}
	}
	if len(acted) != 2 {
		b.fatalf("timeline %v: want 2 actions (%s) after %s, the acceptance and the approval",
			kinds, dossier.EventActed, dossier.EventSupplemented)
	}
	for i, want := range []struct{ outcome, label, actor string }{
		{"accept", "Tiếp nhận", "cb-mot-cua"}, {"approve", "Đồng ý", "cb-tu-phap"},
	} {
		ev := engine[acted[i]]
		require.Equal(t, want.outcome, ev.Outcome, "the engine's event %d", acted[i])
		require.Equal(t, want.actor, ev.Actor.ID, "the actor is the signed-in officer")
		row := fmt.Sprintf(`table#timeline tr.event[data-seq="%d"]`, ev.Seq)
		if got := b.text(row + " td:nth-child(5)"); got != want.label {
			b.fatalf("the timeline's %s row reads outcome %q, want %q", want.outcome, got, want.label)
		}
		if got := b.text(row + " td:nth-child(4)"); !strings.HasPrefix(got, want.actor+" ") {
			b.fatalf("the timeline's %s row reads actor %q, want %s", want.outcome, got, want.actor)
		}
	}
	seqs := b.attrs("table#timeline tr.event", "data-seq")
	for i := 1; i < len(seqs); i++ {
		prev, _ := strconv.Atoi(seqs[i-1])
		cur, err := strconv.Atoi(seqs[i])
		if err != nil || cur <= prev {
			b.fatalf("timeline data-seq not increasing: %v", seqs)
		}
	}

	// 7b. The procedure page draws its diagrams.
	b.open("/console/procedures/"+birth, "procedure")
	modes := b.attrs("section.mode", "data-mode")
	if len(modes) == 0 {
		b.fatalf("the procedure page has no section.mode")
	}
	type box struct{ Width, Height float64 }
	boxes := eval[[]box](b, `Array.from(document.querySelectorAll("section.mode div.diagram svg"), s => {
		const r = s.getBoundingClientRect(); return {Width: r.width, Height: r.height} })`)
	if len(boxes) != len(modes) {
		b.fatalf("%d diagrams for modes %v", len(boxes), modes)
	}
	for i, bx := range boxes {
		if bx.Width <= 0 || bx.Height <= 0 {
			b.fatalf("the diagram of mode %s is %.0f×%.0f", modes[i], bx.Width, bx.Height)
		}
	}
	t.Logf("diagrams of %v: %+v", modes, boxes)
	b.shot("12-procedure")

	t.Logf("%d screenshots in %s; scenario took %s", len(b.shots), b.dir, time.Since(begin).Round(time.Millisecond))
}

// requireStatus checks #dossier-status.
func requireStatus(b *browser, want dossier.Status) {
	b.t.Helper()
	got := b.attrs("#dossier-status", "data-status")
	if !slices.Equal(got, []string{strconv.Itoa(int(want))}) {
		b.fatalf("#dossier-status data-status %v (%q), want %d", got, b.text("#dossier-status"), want)
	}
	if text := b.text("#dossier-status"); !strings.HasPrefix(text, strconv.Itoa(int(want))+" — ") {
		b.fatalf("#dossier-status reads %q, want status %d", text, want)
	}
}
