// Package simulate runs a what-if simulation of a procedure definition: many
// dossiers go through the real Dossier workflow (and its Consultation
// children) in the Temporal SDK's time-skipping test environment, with the
// real activities wired to instant in-memory stand-ins and with simulated
// people answering every task.
//
// # What is simulated
//
// Each dossier runs in its own testsuite.TestWorkflowEnvironment, started
// at its arrival time. Arrivals are a Poisson process over working time:
// Options.ArrivalsPerDay dossiers per working day on average, counted
// through the office hours of the calendar from Options.Start.
//
// People are simulated from the read model's side, as a real inbox would
// see the dossier: when a projection shows a new open task, its answer is
// scheduled (a delayed callback of the test environment) after a working
// time drawn from the DurationModel for that task, converted to wall-clock
// time through office hours with the calendar. Then
//
//   - an officer takes the happy outcome: the first outcome of the step
//     that goes on along the path (accept, approve, signed, …); at
//     reception, the first time, the officer asks for a supplement with
//     probability Options.SupplementRate instead;
//   - the applicant supplements, or pays the fee that is due;
//   - the other agency answers a consultation (the Consultation child
//     workflow runs for real);
//   - an officer confirms the counter pick-up.
//
// Automated checks pass unless the model says how often they fail (see
// CheckModel). Nothing else fails: notifications, portal pushes, signing,
// payments and postal delivery succeed at once.
//
// Dossiers are independent: officers have no capacity limit and no queue,
// so the simulation shows what the definition and the people's pace do to
// the deadlines, not congestion.
//
// # Determinism
//
// A run is a pure function of its Options: arrivals come from one PCG
// stream seeded by Seed; each task's draws come from a PCG stream seeded by
// Seed and a hash of the dossier number and the task's id, so they do not
// depend on the order in which dossiers run in parallel or in which the
// test environment's goroutines report. Results are aggregated by dossier
// number and listed in plan order; only WallTime differs between runs.
package simulate
