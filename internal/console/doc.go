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
//	GET  /console/static/style.css              the style sheet
//
// Any other path answers the console's 404 page. A page asked for without
// a valid session redirects (303) to /console/login?next=<path>; only a
// path under /console/ is honoured as next. After login, officers land on
// the inbox, analysts on the catalog, everyone else on the dossier list.
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
//	main#main.page-<name>         the page (login, inbox, dossiers, dossier, procedures, procedure, error)
//	nav#nav a#nav-inbox a#nav-dossiers a#nav-procedures, form#logout-form, #user[data-subject]
//	#flash                        the message of the last accepted action
//	#error                        an error: the alert of a refused action or login, or the error page's section
//	                              (section#error[data-status] on 403/404/500 pages), with code#request-id
//
// Login: form#login-form, input#token[name=token], hidden input[name=next].
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
// Procedures: table#procedures tr.procedure-row[data-code]; procedure page
// section#procedure[data-code], section.mode[data-mode] div.diagram svg,
// table#procedure-components tr.procedure-component[data-component],
// #fees (tr.fee-row[data-fee]), ul#legal-basis, #procedure-hash.
package console
