// Package demodata generates a synthetic but plausible history of a
// province's dossiers, for demonstrations and for benchmarks of the read
// model and its indicators: Generate yields each dossier's projections as
// the workflows would have sent them last, ready for store.BulkLoad (or
// store.ProjectionApply).
//
// # Faithful to the workflow
//
// Each dossier is simulated by a mirror of the Dossier and Consultation
// workflows of package workflows: the same step semantics, the same
// timeline events in the same order with the national status at each, task
// ids, due times and warnings computed with package workcal over the
// catalog's calendars, the SLA loop's warnings and escalations, supplements
// pausing the clock and shifting the appointment, a withdrawal's stop
// notice, the one extension with its apology, consultations of other
// agencies in timelines of their own. What is left random is what people
// and other systems decide. A test drives the real workflow with the same
// decisions and compares every event.
//
// # Plausible
//
// The shares follow the province's published figures (about 1.7 million
// dossiers a year, over 90% online, 97–99% on time, satisfaction around
// 90–96%):
//   - dossiers arrive on working days through office hours, busier on
//     Mondays and before Tết; online ones also in the evening and on days
//     off; each agency numbers its dossiers per day as the service does
//     (<agency code>-<YYMMDD>-<NNNN>);
//   - procedures are weighted (DefaultMix): birth registration most, the
//     judicial record certificate next, construction permits rare;
//   - about 83% of the dossiers of a procedure offered full-online take it,
//     the others come online, in person or by post; results go out
//     electronically, by post or at the counter;
//   - at reception 8% are asked for a supplement (5% of those again) and 2%
//     refused; 7% of the applicants asked never supplement and their
//     dossiers stop; review steps ask for a supplement during processing
//     in 2.5% of the cases, pausing the clock, and refuse in about 1%;
//   - fees are paid through the platform when the fee allows it (almost
//     always online, a third of the time at the counter), and rarely not at
//     all, which stops the dossier;
//   - officers take a log-normal share of each step's allotment (about 4%
//     of the steps end late) yet keep a dossier within its appointment;
//     1–4% of the dossiers, depending on the procedure (1.7% overall), have
//     a step that runs past the appointment, and about a third of those are
//     extended once with an apology, sent a working day ahead (still late);
//   - about 0.3% are withdrawn; 60% of the returned dossiers are rated, 96%
//     satisfied (70% when late);
//   - outside the workflows (outside.go; Dossier.PortalSyncedAt and
//     Complaints, for store.BulkLoad's Outside): the dossiers of procedures
//     integrated with the national portal (the province reports about 73%
//     of its procedures; here all of the example catalog's but the land
//     certificate and the construction permit) are synced, nearly all
//     within minutes of their submission, a few hours later after an
//     outage, 0.5% never: about 84% of all dossiers; about 1% draw a
//     complaint to the citizen feedback system, mostly the dissatisfied
//     (30% of them) and the late (8%).
//
// A dossier has about 17 events on average (the workflow records a task's
// opening and the action on it, automated checks, the SLA's warnings, the
// signature, processing and return), so a year of 1.7 million dossiers
// makes about 29 million events.
//
// # Deterministic
//
// A seed fixes everything: random numbers come from PCG generators seeded
// by the seed and each day's date or each dossier's rank (the outside data
// from a stream of its own, so the histories do not depend on it),
// nothing reads the clock, and maps are only looked up, never ranged over
// for output. The dossiers are simulated in parallel (Options.Workers)
// without changing a byte of the result.
package demodata
