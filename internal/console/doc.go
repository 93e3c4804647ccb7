// Package console is the officers' web console: server-rendered HTML
// (html/template), all text in Vietnamese, plain forms and one embedded
// style sheet — no JavaScript, nothing loaded from elsewhere — so that it
// works on a counter PC, with large click targets, and prints.
//
// It reads and acts through the same layers as the JSON API:
// internal/service for dossiers and actions, internal/store for inboxes
// and lists, internal/access for every decision on who may see and do
// what, internal/auth for the session. Actions are the API's: the task is
// found among the dossier's open tasks and its consultations', access.Act
// decides, and the actor recorded is always the signed-in officer
// (access.OfficerFor), never a field of the form. Actions, extensions and
// file downloads are written to the audit log as the API writes its own.
//
// # Routes
//
//	GET  /                                      → 303 /console/
//	GET  /console/                              → 303 to the principal's first page
//	GET  /console/login                         login form (?next=<console path>)
//	POST /console/login                         token → session cookie (12 h)
//	GET  /console/oidc/login                    sign-in through the identity provider (?next=<console path>); OIDC only
//	GET  /console/oidc/callback                 the provider's answer (code, state | error) → session cookie; OIDC only
//	POST /console/logout                        clears the session cookie
//	GET  /console/inbox                         officer's inbox (?procedure= &due= &code= &page=)
//	GET  /console/dossiers                      dossiers the principal may see (?status= &page=)
//	GET  /console/dossiers/{code}               dossier page
//	POST /console/dossiers/{code}/act           fields task, outcome, note, items
//	POST /console/dossiers/{code}/extend        fields new_appointment (YYYY-MM-DDTHH:MM, Vietnam), reason
//	GET  /console/dossiers/{code}/files/{sha256}  component file (?inline=1 for PDF, JPEG, PNG)
//	GET  /console/dossiers/{code}/print/{form}  receipt | supplement | refusal | apology | stop
//	GET  /console/procedures                    catalog
//	GET  /console/procedures/{code}             procedure, with an inline SVG diagram per mode
//	GET  /console/procedures/{code}/analysis    analysis of its versions (?from= &to= &before= &after=); analysts, admins
//	GET  /console/procedures/{code}/analysis/chart  its steps chart as SVG (the same parameters)
//	GET  /console/indicators                    indicators report (?from= &to= &agency= &procedure= &sector= &by=)
//	GET  /console/indicators/chart              a chart of the report as SVG (the same parameters, &kind=trend|channels)
//	GET  /console/static/style.css              the style sheet
//
// Any other path answers the console's 404 page. A page asked for without
// a valid session redirects (303) to /console/login?next=<path>; only a
// path under /console/ is honoured as next. After login, officers land on
// the inbox, analysts on the catalog, everyone else on the dossier list.
//
// # Indicators
//
// The indicators page is `motcua report` for people: a GET form (from and
// to as dates, both included, by default 1 January of this year to today;
// agency, procedure, sector, grouping), the figures as tables with their
// value and their numerator / denominator written the Vietnamese way
// (internal/vnformat), the catalog figures, the report's notes, and two
// charts as <img> of /console/indicators/chart: the on-time rate of each
// month (always by month) and the dossiers received by channel (in the
// grouping asked for, by month without one). A chart is drawn only when
// the period has dossiers handled (the trend) or received (the channel
// mix); the chart route answers 404 when there is nothing to draw.
// Analysts and admins read every agency's indicators; an officer reads
// only their agency's (access.IndicatorAgency): the agency select offers
// theirs alone, and another agency in the query is the 403 page; citizens
// get the 403 page. Parameters out of their domain re-render the page with
// the message in #error and status 400.
//
// # Analysis of a procedure's versions
//
// The analysis page is `motcua analyze` for people (internal/analysis,
// its parameters read by internal/analysisquery as the API's
// /v1/procedures/{code}/analysis reads them): a GET form (from and to as
// dates, both included, by default from the procedure's first dossier up
// to now; the versions before and after, by default the last two with
// dossiers), then per version its headline figures — dossiers, online,
// processed, on-time rate with numerator / denominator, handling time in
// working days (mean, median, 90th percentile), share supplemented,
// in-person visits and their breakdown — the components supplemented and
// the steps table (count, median and P90 working hours, allotted hours,
// late, share of the lateness; the bottleneck marked "điểm nghẽn"), then
// the comparison of the two versions (tốt hơn / kém hơn / không đổi) and
// of their steps, and the steps chart of the later version compared as an
// <img> of the chart route (analysis.DrawSteps, the command line's
// picture), shown when it has a step to draw; the chart route answers 404
// otherwise. Analysts and admins only (access.ReadAnalysis): an analysis
// spans every agency handling the procedure, so officers and citizens get
// the 403 page, and the procedure page links the analysis
// (a#procedure-analysis) for analysts and admins only. Parameters out of
// their domain (a date, a version without dossiers in the period) and a
// period without dossiers re-render the page with the message in #error,
// status 400 and 404; a code neither in the catalog nor in the read model
// is the 404 page.
//
// # Sign-in through the identity provider
//
// When the authenticator is an auth.LoginProvider (mode "oidc" with the
// provider's endpoints known), the login page offers "Đăng nhập bằng tài
// khoản định danh" above the token form, which stays for service
// accounts. It is the OpenID Connect authorization code flow with PKCE:
//
//  1. GET /console/oidc/login?next=… draws a random state, nonce and PKCE
//     verifier, keeps them with next and the redirect URL in the server's
//     memory for ten minutes under a random id, sets that id in the
//     cookie motcua_oidc (HttpOnly, SameSite=Lax, path /console/oidc/),
//     and redirects (303) to the provider's authorization endpoint with
//     the state, the nonce and the S256 challenge.
//  2. The provider sends the browser back to GET /console/oidc/callback.
//     The flow of the cookie is taken out of memory — a callback is
//     honoured once — and its state compared in constant time; the code is
//     redeemed with the verifier, and the ID token verified as every token
//     is (signature, issuer, audience, expiry), its nonce checked and its
//     claims mapped to a principal (auth.OIDCConfig).
//  3. The session cookie becomes the ID token, until the token's expiry
//     (at most 12 h), and a page (main.page-signed-in, a#continue) moves
//     on at once to next (a console path) or the principal's first page.
//     It is a page and not a redirect because the session cookie is
//     SameSite=Strict: browsers hold it back from a redirect that
//     continues the provider's cross-site navigation.
//
// The redirect URL is auth.OIDCConfig.RedirectURL, or else
// http(s)://<Host of the request>/console/oidc/callback. Flows live in one
// process: behind a load balancer, the callback must reach the instance
// that started the sign-in. A failed sign-in answers the error page and
// sets no session: 400 for a callback without a flow (no cookie, used,
// forgotten), an expired flow, a wrong state or no code; 401 for an
// error of the provider (access_denied …), a code the token endpoint
// refuses (used, expired, PKCE verifier mismatch), an ID token that does
// not verify or lacks the nonce, and claims that map to no principal
// (e.g. an officer without the agency claim); 503 when the provider cannot
// be reached. The log says why, never with the code, the state or a token.
//
// Every POST passes net/http's CrossOriginProtection: a cross-site form
// post gets the 403 page. Errors render a page in Vietnamese with the
// request ID when the API's middleware set X-Request-ID on the answer.
//
// Statuses: 403 page when access denies a page; 404 page for an unknown
// dossier, procedure, file or a printable form whose event has not
// happened. A refused action re-renders the dossier page with the message
// in #error: 403 (access.Denied), 409 (service.RejectedError, the
// workflow's validator), 422 (service.ValidationError, the form); nothing
// is written. An accepted action redirects (303) to the dossier page,
// which shows "Đã ghi nhận: …" in #flash once (a 60-second cookie).
//
// # Hooks for browser tests
//
// Every page:
//
//	main#main.page-<name>         the page (login, signed-in, inbox, dossiers, dossier, procedures, procedure, indicators, analysis, error)
//	nav#nav a#nav-inbox a#nav-dossiers a#nav-procedures a#nav-indicators, form#logout-form, #user[data-subject]
//	#flash                        the message of the last accepted action
//	#error                        an error: the alert of a refused action or login, or the error page's section
//	                              (section#error[data-status] on 403/404/500 pages), with code#request-id
//
// Login: form#login-form, input#token[name=token], hidden input[name=next];
// with a provider's sign-in, a#oidc-login above it. Signed in through the
// provider: section#signed-in a#continue, and a meta refresh to the same.
//
// Inbox: section#inbox; form#inbox-filters with select#filter-procedure
// [name=procedure], select#filter-due[name=due] (values "", overdue, soon,
// on_time), input#filter-code[name=code]; p#inbox-total[data-total];
// table#inbox-table with one tr.task-row[data-code][data-task][data-due]
// per task, its code in a.dossier-link and its badge in span.badge with
// one of .due-overdue ("Quá hạn"), .due-soon ("Sắp đến hạn"), .due-ok
// ("Trong hạn"), .due-none ("Không hạn") — data-due says the same as
// overdue, soon, on_time or none; p#inbox-empty when empty;
// nav.pager a.pager-prev a.pager-next.
//
// Dossier list: section#dossiers, form#dossier-filters
// select#filter-status[name=status], p#dossiers-total[data-total],
// table#dossiers-table tr.dossier-row[data-code][data-status].
//
// Dossier page: section#dossier[data-code][data-status]; #dossier-code;
// #dossier-status (span.status); #applicant (#applicant-name,
// #applicant-id, #applicant-contact); #dates (#received-at, #accepted-at,
// #appointment with .extended-mark when extended, #original-appointment,
// #paused, #paused-total, #supplements); table#form-data
// tr[data-field]; table#components tr.component-row[data-component]
// [data-sha256] with a.download, a.preview and span.reused;
// #open-tasks tr.open-task[data-task][data-due]; table#due-history
// tr.due-row[data-kind]; table#timeline tr.event[data-kind][data-seq];
// section#result (#result-code, #result-signer, #result-signed-at);
// section#prints a.print-link[data-form]; section#actions with one
// form.action-form[data-task] per task the principal may act on, holding
// input[name=task], textarea[name=note], textarea[name=items] (only when
// the task offers the supplement outcome) and one
// button[name=outcome][value=<outcome>] per outcome; section#extension
// form#extend-form with input#new-appointment[name=new_appointment] and
// textarea#extend-reason[name=reason].
//
// Printable form: article#print.print-page[data-form][data-code],
// h1.form-title, #dossier-code, .signer #signer; lists
// ol#print-components (receipt) and ol#print-items (supplement);
// #appointment, #deadline, #reasons, #original-appointment,
// #new-appointment, #withdraw-reason, #stopped-at where they apply.
//
// Indicators: section#indicators; form#indicator-filters with
// input#filter-from[name=from] and input#filter-to[name=to] (type date),
// select#filter-agency[name=agency] (an officer's holds their agency only,
// with p#agency-note), select#filter-procedure[name=procedure],
// select#filter-sector[name=sector], select#filter-by[name=by] (values "",
// month, agency, procedure, version); p#indicators-period; div#indicator-charts
// with img#chart-trend and img#chart-channels when drawn; one
// section.indicator-group[data-key] per group (p#indicators-empty when
// none) and section#catalog-figures, each with table.figures of
// tr.figure-row[data-figure=<figure id>] holding th (the name),
// td.figure-value and td.figure-parts (numerator / denominator);
// section#indicator-notes.
//
// Procedures: table#procedures tr.procedure-row[data-code]; procedure page
// section#procedure[data-code], a#procedure-analysis (analysts and admins),
// section.mode[data-mode] div.diagram svg,
// table#procedure-components tr.procedure-component[data-component],
// #fees (tr.fee-row[data-fee]), ul#legal-basis, #procedure-hash.
//
// Analysis: section#analysis[data-code], a#analysis-procedure (the
// procedure page, when the catalog has it); form#analysis-filters with
// input#filter-from[name=from] and input#filter-to[name=to] (type date),
// select#filter-before[name=before] and select#filter-after[name=after]
// (values "" for the default, then the versions with dossiers);
// p#analysis-period; one section#version-<version>.analysis-version
// [data-version] per version, holding p.version-unknown when its
// definition is not at hand, table.version-figures of
// tr.figure-row[data-figure] (dossiers, online, processed, on_time_rate,
// handling_mean, handling_p50, handling_p90, supplemented, visits,
// visits_submission, visits_supplement, visits_payment,
// visits_in_person_steps, visits_pickup, dossiers_without_visit) with th,
// td.figure-value and td.figure-parts, table.components of
// tr.component-row[data-component] (p.components-empty when none), and
// table.steps of tr.step-row[data-step=<step key>] (.bottleneck on the
// bottleneck, whose th holds span.bottleneck-mark "điểm nghẽn"; the
// applicant's own time span.applicant-mark) with td.step-count,
// td.step-p50, td.step-p90, td.step-allotted, td.step-late,
// td.step-share; section#comparison[data-before][data-after] with
// table#comparison-table tr.change-row[data-change=<measure id>]
// [data-verdict=better|worse|same|""] (th, td.change-before,
// td.change-after, td.change-verdict) and table#step-comparison
// tr.step-change[data-step] (td.before-p50, td.before-allotted,
// td.after-p50, td.after-allotted), or p#comparison-none with one
// version; figure#analysis-chart img#chart-steps when drawn.
package console
