// Package indicators computes the indicators a province reports on its
// one-stop service (Decision 766/QĐ-TTg; docs/domain.md, "Indicators") from
// the read model and the procedure catalog, for a period, filters and a
// grouping: the figures of `motcua report`.
//
// Every Figure carries its numerator and denominator, so an auditor can
// recompute it, and its formula in one line of English. Rates are ratios
// (0.9746, shown as 97,46 %); an average carries its total as numerator and
// its count as denominator; a count has no denominator. A figure whose
// denominator is zero, or that the read model cannot give, has no value
// (JSON null), the latter with the reason in Missing.
//
// # Period and sets of dossiers
//
// A report covers [From, To) and is judged at its cut, the earlier of To
// and Now. Dates are Vietnamese (Asia/Ho_Chi_Minh). Grouped by month, each
// month of the period (clipped to the period and the cut) is a period of its
// own, with exactly the figures a report on that month alone gives.
//
//   - received: submitted in the period (received_at), whatever became of
//     it, including dossiers refused at reception;
//   - handled, "received or processed in the period": received before the
//     cut and not ended before the period: the received ones plus those
//     carried over (tồn kỳ trước chuyển sang);
//   - processed: given a result or a refusal notice after review (status 9
//     or 10) in the period; results are those that are not refusals.
//
// The end time is the processing (status 9), else the return (10), else the
// stop (8: withdrawn, or a supplement or fee not given in time), else the
// refusal at reception (3). A dossier that ended after the cut counts as
// open at the cut.
//
// # Timeliness (on-time rate, early / on time / late)
//
// A handled dossier is judged at its end time when it ended before the cut,
// else at the cut, except that a dossier waiting on a supplement (its one
// allowed request) at that time is judged at the time of the request. An
// ended dossier is early when judged on a date before its appointment date,
// on time when on that date and not after the appointment, late after it; an
// open one is within time or overdue. Supplement time is subtracted: the
// workflow moves the appointment forward by the working time of each pause
// (paused_seconds), and the judged time is compared with the moved
// appointment. Late whatever the dates: an extended dossier (the appointment
// moved once with an apology, dossier.State.Extended: late even when it
// meets the new date), and one with more supplement requests during
// processing than its procedure allows (definitions.Supplements.Max, one by
// default: a second request makes the dossier late).
//
// A dossier without an appointment date (refused at reception, withdrawn or
// stopped before acceptance, not yet checked) is judged by the legal time
// limit: its would-be appointment is computed from its reception with the
// procedure's time limit for its mode over the working calendar, exactly as
// the workflow computes an appointment, and moved by its paused time; then
// the same rules apply. This is "end − start − supplement time ≤ legal time
// limit" in working time. A dossier whose procedure or mode is not in the
// catalog, or whose dates have no working calendar, cannot be judged: it is
// counted in timeliness_unknown and named in a note.
//
//	on_time_rate = (finished_early + finished_on_time + open_within) / handled
//	late_rate    = (finished_late + open_overdue) / handled
//
// Per step, every officer's action that closed a task with a due time (the
// dossier's own and its consultations') counts in the period of its time
// with the timeliness the workflow judged against the task's due time.
//
// # The other figures
//
//	average handling time = Σ working days from acceptance (else reception)
//	    to processing − Σ paused working time / 8 h, over processed dossiers
//	online rate = received online with an e-result where the result is a
//	    document / received (a dossier not yet given its e-result does not
//	    count yet); the online, in-person and postal shares are by channel
//	online payment rate = received with fees due and paid online / received
//	    with fees due
//	e-result rate = results with an electronic result / results of
//	    procedures whose result is a document
//	digitisation rate = results with digitised components and an
//	    electronic result / results
//	re-use rate = received with a re-used component / received
//	sync rate = received, with a status push accepted by the national
//	    portal before the cut / received
//	complaint rate = handled, with a complaint before the cut / handled
//	satisfaction = 1 − late_rate − dissatisfied_or_complained / handled,
//	    where dissatisfied_or_complained counts once each handled dossier
//	    rated dissatisfied or with a complaint before the cut
//
// Working days are counted as the Civil Code counts a time limit: the days
// after the start date up to and including the end date that are working
// days of the calendar.
//
// # Catalog figures
//
// From the catalog (filtered like the dossiers) and the dossiers received
// in the period: an online service is a procedure with a mode that accepts
// online submission; it is full-online when it offers the full_online mode;
// a service "with dossiers" received at least one dossier online in the
// period; a fee-charging procedure (a fee above zero) is payable online when
// all its fees above zero are.
//
// # Portal sync and complaints
//
// The sync rate and the complaints come from outside the workflows: the
// SyncPortal activity records each status push the national portal
// accepts, and the citizen feedback system sends its complaints to POST
// /v1/callbacks/feedback (store.PortalSynced, store.ComplaintAdd). Like
// the audit log, they are not rebuilt by replaying the projections.
package indicators
