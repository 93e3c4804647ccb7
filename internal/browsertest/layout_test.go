package browsertest_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestConsoleLayoutAt1366AndPrint: at a counter PC's 1366 px the console's
// pages do not scroll sideways and keep large click targets; in print
// media the navigation and the forms are gone, and a printable form fits
// one A4 page.
func TestConsoleLayoutAt1366AndPrint(t *testing.T) {
	chromium(t)
	e := startEnv(t)
	b := newBrowser(t, e.base, "layout-")
	code := e.submitBirth().Code

	b.login(tokMotCua, "inbox", "")
	b.waitInboxRow(code)
	if w := eval[int](b, `window.innerWidth`); w != 1366 {
		b.fatalf("the window is %d px wide, want 1366", w)
	}
	pages := []struct{ path, page string }{
		{"/console/inbox", "inbox"},
		{"/console/dossiers", "dossiers"},
		{dossierPath(code), "dossier"},
		{"/console/procedures", "procedures"},
		{"/console/procedures/" + birth, "procedure"},
	}
	for _, p := range pages {
		b.open(p.path, p.page)
		fitsWidth(b)
		largeTargets(b)
	}

	// The dossier page's three summary cards sit side by side.
	b.open(dossierPath(code), "dossier")
	tops := eval[[]float64](b, `["summary", "applicant", "dates"].map(id => document.getElementById(id).getBoundingClientRect().top)`)
	if len(tops) != 3 || tops[0] != tops[1] || tops[1] != tops[2] {
		b.fatalf("the summary cards are not in one row at 1366 px: tops %v", tops)
	}

	// Print media: the dossier page without navigation, actions and forms.
	b.act("tiep_nhan", "supplement", "", "Giấy chứng sinh bị mờ")
	b.media("print")
	hidden := eval[[]string](b, `["header.topbar", "footer.footer", "#actions", "#extension", "#prints", "form#logout-form"]
		.filter(s => { const e = document.querySelector(s); return e && getComputedStyle(e).display !== "none" })`)
	if len(hidden) > 0 {
		b.fatalf("in print media these still show: %v", hidden)
	}
	if b.text("table#timeline") == "" {
		b.fatalf("in print media the timeline is gone")
	}
	b.shot("01-dossier-print-media")
	b.media("")

	// The printable supplement form: one A4 page.
	b.open(dossierPath(code, "/print/supplement"), "")
	b.media("print")
	if shown := eval[string](b, `getComputedStyle(document.querySelector(".print-tools")).display`); shown != "none" {
		b.fatalf("the print tools show in print media (display %s)", shown)
	}
	b.shot("02-print-supplement-print-media")
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		b.fatalf("printing to PDF: %v", err)
	}
	name := filepath.Join(b.dir, b.prefix+"03-print-supplement.pdf")
	if err := os.WriteFile(name, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("PDF %s", name)
	if n := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)); n != 1 {
		b.fatalf("the supplement form prints on %d pages, want 1 (%s)", n, name)
	}
	b.media("")
}

// fitsWidth checks that the page does not scroll sideways.
func fitsWidth(b *browser) {
	b.t.Helper()
	type widths struct{ Scroll, Client int }
	w := eval[widths](b, `({Scroll: document.documentElement.scrollWidth, Client: document.documentElement.clientWidth})`)
	if w.Scroll > w.Client {
		wide := eval[[]string](b, `Array.from(document.querySelectorAll("body *"))
			.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
			.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.split(" ").join(".") : ""))`)
		b.fatalf("the page is %d px wide in a %d px window; too wide: %v", w.Scroll, w.Client, wide)
	}
}

// largeTargets checks that every button and navigation link is at least
// 44 px high (the console is used at a counter, often by touch).
func largeTargets(b *browser) {
	b.t.Helper()
	small := eval[[]string](b, `Array.from(document.querySelectorAll("button, .btn, #nav a"))
		.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
		.map(e => e.outerHTML.slice(0, 80))`)
	if len(small) > 0 {
		b.fatalf("click targets under 44 px high: %q", small)
	}
}

// media emulates a CSS media type ("print"), or none ("").
func (b *browser) media(m string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
		b.fatalf("emulating media %q: %v", m, err)
	}
}
