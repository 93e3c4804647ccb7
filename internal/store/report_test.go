package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/indicators/indicatorstest"
	"github.com/motcua/motcua/internal/store"
)

// exerciseReport checks the report queries against the hand-computed
// fixture of indicatorstest (its package documentation tabulates the
// dossiers A–V; the letters below refer to it).
func exerciseReport(t *testing.T, setup func(t *testing.T) *store.Store) {
	ctx := context.Background()
	march := store.ReportPeriod{From: indicatorstest.March[0], To: indicatorstest.March[1]}
	february := store.ReportPeriod{From: indicatorstest.February[0], To: indicatorstest.February[1]}
	withFixture := func(t *testing.T) *store.Store {
		t.Helper()
		s := setup(t)
		require.NoError(t, indicatorstest.Apply(ctx, s))
		return s
	}

	t.Run("ReportDossiers", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		rows, err := s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}})
		require.NoError(t, err)
		require.Equal(t, []store.ReportRow{{
			Period: 0, Group: "",
			// Received in March: every dossier but N (25/02), O (February) and P (April).
			Received: 20,
			// N, received 25/02 and processed 04/03, is carried over.
			Handled:           21,
			ReceivedOnline:    12, // A D E F H I K Q R S U V
			ReceivedInPerson:  6,  // B E2 G J L T
			ReceivedPostal:    2,  // C M
			OnlineWithEResult: 5,  // A D F K R: the other online ones have no e-result (yet)
			WithFee:           7,  // A B C D F K Q have fees due
			PaidOnline:        4,  // A D F K
			Reused:            2,  // A R
			// Synced before the cut: all but E2 and M (refused by the
			// portal), S (synced 01/04) and T (not integrated).
			Synced:         16,
			Unscheduled:    5, // G H S T U: no appointment date
			FinishedEarly:  4, // A (05/03 < 06/03), I (26/03 < 27/03), J (07/03 < 10/03), V (ends at its request 06/03 < 10/03)
			FinishedOnTime: 3, // B (06/03 16:00), D (17/03 11:00, appointment moved by the pause), R (18/03 14:00)
			FinishedLate:   4, // C (10/03 > 07/03), F (two requests), K (extended), N (04/03 > 28/02)
			OpenWithin:     3, // E (ends at its request 19/03 < 20/03), L (due 01/04 17:00), Q (processed after the cut)
			OpenOverdue:    2, // E2 (asked 07/03 > 06/03), M (due 25/03)
			Open:           6, // E E2 L M Q S
			EndedProcessed: 1, // B
			EndedReturned:  7, // A C D F K N R
			EndedRefused:   3, // G T at reception, J after review
			EndedWithdrawn: 2, // H I
			EndedStopped:   2, // U V: supplement never given
			// Processed in March: A B C D F J K N R (Q on 03/04 is not).
			Processed:              9,
			ProcessedPausedSeconds: 2 * 16 * 3600, // D and F
			// Working days from acceptance to processing: A 03→05/03 2,
			// B 03→06/03 3, C 04→10/03 4, D 10→17/03 5, F 11→18/03 5,
			// J 05→07/03 2, K 10→19/03 7, N 25/02→04/03 5, R 18/03 0.
			ProcessedWorkingDays: 33,
			ProcessedFirstDay:    "2025-02-25", // N
			ProcessedLastDay:     "2025-03-19", // K
			Results:              8,            // all but J's refusal
			DocumentResults:      8,
			EResults:             5, // A D F K R
			DigitisedEResults:    4, // A D F R (K is not digitised, B has no e-result)
			Dissatisfied:         1, // C
			// Complaints before the cut: C (twice), L; Q's came on 05/04.
			Complained: 2,
			// C, rated dissatisfied and complained about, counts once.
			DissatisfiedOrComplained: 2,
		}}, rows)

		// February holds O, processed early, and N, open and past its
		// appointment at the cut (01/03 00:00 > 28/02 17:00).
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{february}})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		r := rows[0]
		require.Equal(t, [6]int{2, 2, 1, 1, 1, 1},
			[6]int{r.Handled, r.Received, r.FinishedEarly, r.OpenOverdue, r.Open, r.EndedReturned})
		require.Equal(t, 1, r.Processed)
		require.Equal(t, 2, r.Synced, "N and O, synced in February")
		require.Zero(t, r.DissatisfiedOrComplained)

		// Cut on 04/03 00:00: received A B E2 H; A counts from its first
		// push (03/03 08:32), recorded after a later one (05/03), B and H
		// from theirs, E2 never synced.
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{{From: march.From, To: indicatorstest.VN(3, 4, 0, 0)}}})
		require.NoError(t, err)
		require.Len(t, rows, 1)
		require.Equal(t, [2]int{4, 3}, [2]int{rows[0].Received, rows[0].Synced})
		// Cut on 13/03 00:00: C's first complaint (12/03) counts; it was
		// rated dissatisfied only on 11/03, so both, once.
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{{From: march.From, To: indicatorstest.VN(3, 13, 0, 0)}}})
		require.NoError(t, err)
		require.Equal(t, [3]int{1, 1, 1}, [3]int{rows[0].Dissatisfied, rows[0].Complained, rows[0].DissatisfiedOrComplained})
		// Cut on 12/03 00:00: rated dissatisfied (11/03), no complaint yet.
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{{From: march.From, To: indicatorstest.VN(3, 12, 0, 0)}}})
		require.NoError(t, err)
		require.Equal(t, [3]int{1, 0, 1}, [3]int{rows[0].Dissatisfied, rows[0].Complained, rows[0].DissatisfiedOrComplained})
		// April (cut 01/05): received P W X, all synced (S, synced on
		// 01/04, was received in March); handled and complained about
		// before the cut: Q (05/04) and L, still open (28/03).
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{{From: indicatorstest.VN(4, 1, 0, 0), To: indicatorstest.VN(5, 1, 0, 0)}}})
		require.NoError(t, err)
		require.Equal(t, [4]int{3, 3, 2, 2}, [4]int{rows[0].Received, rows[0].Synced, rows[0].Complained, rows[0].DissatisfiedOrComplained})
	})

	t.Run("ReportDossiersPerMonthAsAlone", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		both, err := s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{february, march}})
		require.NoError(t, err)
		require.Len(t, both, 2)
		for i, per := range []store.ReportPeriod{february, march} {
			alone, err := s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{per}})
			require.NoError(t, err)
			alone[0].Period = i
			require.Equal(t, alone[0], both[i])
		}
	})

	t.Run("ReportDossiersGroupsAndFilters", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		summary := func(rows []store.ReportRow) map[string][2]int {
			m := map[string][2]int{}
			for _, r := range rows {
				m[r.Group] = [2]int{r.Handled, r.Received}
			}
			return m
		}
		rows, err := s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Group: store.ReportGroupAgency})
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"phong_kinh_te": {18, 17}, "so_cu": {1, 1}, "ubnd_xa": {2, 2}}, summary(rows))
		require.Equal(t, []string{"phong_kinh_te", "so_cu", "ubnd_xa"}, []string{rows[0].Group, rows[1].Group, rows[2].Group})

		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Group: store.ReportGroupVersion})
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{
			"1.001193@2025.1": {2, 2}, // R S
			"1.001612@2025.1": {2, 1}, // C, and N carried over
			"1.001612@2025.2": {16, 16},
			"X.999999@1":      {1, 1}, // T
		}, summary(rows))

		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Group: store.ReportGroupProcedure,
			Agency: "phong_kinh_te", Procedures: []string{"1.001612", "1.001193"}})
		require.NoError(t, err)
		require.Equal(t, map[string][2]int{"1.001612": {18, 17}}, summary(rows))

		// A limit of two requests for 1.001612 makes F on time (18/03 10:00,
		// due 18/03 17:00) instead of late.
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march},
			SupplementLimits: []store.SupplementLimit{{Procedure: "1.001612", Max: 2}}})
		require.NoError(t, err)
		require.Equal(t, [2]int{4, 3}, [2]int{rows[0].FinishedOnTime, rows[0].FinishedLate})
		// A limit of none makes every dossier with a request late or overdue:
		// D (was on time), E (was within), F, E2 and V (was early).
		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march},
			SupplementLimits: []store.SupplementLimit{{Procedure: "1.001612", Max: 0}}})
		require.NoError(t, err)
		require.Equal(t, [4]int{3, 2, 6, 2}, [4]int{rows[0].FinishedEarly, rows[0].FinishedOnTime, rows[0].FinishedLate, rows[0].OpenWithin})
		require.Equal(t, 3, rows[0].OpenOverdue)

		rows, err = s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Agency: "nobody"})
		require.NoError(t, err)
		require.Empty(t, rows)
	})

	t.Run("ReportUnscheduled", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		rows, err := s.ReportUnscheduled(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}})
		require.NoError(t, err)
		type short struct {
			code, procedure, mode  string
			received, ended, asked string
		}
		got := make([]short, len(rows))
		for i, r := range rows {
			f := func(t interface{ IsZero() bool }, s string) string {
				if t.IsZero() {
					return ""
				}
				return s
			}
			got[i] = short{r.Code, r.Procedure, r.Mode, r.ReceivedAt.Format("02/01 15:04"),
				f(r.EndedAt, r.EndedAt.Format("02/01 15:04")), f(r.AskedAt, r.AskedAt.Format("02/01 15:04"))}
			require.Zero(t, r.PausedSince)
			require.Equal(t, 0, r.Period)
		}
		require.Equal(t, []short{
			{"H", "1.001612", "full_online", "03/03 09:00", "10/03 09:00", ""},
			{"U", "1.001612", "partial_online", "04/03 08:00", "25/03 17:00", "04/03 10:00"}, // still waiting on its request
			{"G", "1.001612", "partial_online", "12/03 08:00", "12/03 10:00", ""},            // end: the refused event
			{"T", "X.999999", "partial_online", "14/03 09:00", "14/03 10:00", ""},
			{"S", "1.001193", "full_online", "31/03 16:00", "", ""}, // open at the cut
		}, got)
	})

	t.Run("ReportSteps", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		// March: A early and on time, C late, N late (its February action is
		// not counted), K's consultation early; R's reception had no due time.
		rows, err := s.ReportSteps(ctx, store.ReportParams{Periods: []store.ReportPeriod{february, march}})
		require.NoError(t, err)
		require.Equal(t, []store.StepRow{
			{Period: 0, Early: 1, OnTime: 1}, // O early, N on time
			{Period: 1, Early: 2, OnTime: 1, Late: 2},
		}, rows)
		rows, err = s.ReportSteps(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Group: store.ReportGroupVersion})
		require.NoError(t, err)
		require.Equal(t, []store.StepRow{
			{Group: "1.001612@2025.1", Late: 2},
			{Group: "1.001612@2025.2", Early: 2, OnTime: 1},
		}, rows)
		rows, err = s.ReportSteps(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Agency: "phong_kinh_te"})
		require.NoError(t, err)
		require.Equal(t, []store.StepRow{{Early: 2, OnTime: 1, Late: 2}}, rows)
		rows, err = s.ReportSteps(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, Procedures: []string{"1.001193"}})
		require.NoError(t, err)
		require.Empty(t, rows)
	})

	t.Run("ReportWorkingDays", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		days := func(exceptions ...store.WorkingDayException) int64 {
			t.Helper()
			rows, err := s.ReportDossiers(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}, WorkingDayExceptions: exceptions})
			require.NoError(t, err)
			return rows[0].ProcessedWorkingDays
		}
		vn := indicatorstest.VN
		require.EqualValues(t, 33, days())
		// A day off on Wednesday 05/03 takes a day from A (03→05), B (03→06)
		// and C (04→10); J starts on it and does not count it: 33 - 3.
		require.EqualValues(t, 30, days(store.WorkingDayException{Day: vn(3, 5, 0, 0)}))
		// A Saturday worked, 08/03, adds a day to C (04→10); one off before
		// every start (01/01) or after every end (20/03) changes nothing;
		// the same day twice counts once.
		require.EqualValues(t, 31, days(
			store.WorkingDayException{Day: vn(1, 1, 0, 0)},
			store.WorkingDayException{Day: vn(3, 5, 9, 0)},
			store.WorkingDayException{Day: vn(3, 5, 16, 0)},
			store.WorkingDayException{Day: vn(3, 8, 0, 0), Working: true},
			store.WorkingDayException{Day: vn(3, 20, 0, 0)},
		))
		// Every working day from 25/02 to 19/03 off but 04/03: only the
		// dossiers started before it and ended on or after it count it:
		// A, B and N.
		var off []store.WorkingDayException
		for d := vn(2, 25, 0, 0); d.Before(vn(3, 20, 0, 0)); d = d.AddDate(0, 0, 1) {
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday && d.Day() != 4 {
				off = append(off, store.WorkingDayException{Day: d})
			}
		}
		require.EqualValues(t, 3, days(off...))
	})

	t.Run("ReportProcedures", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		rows, err := s.ReportProcedures(ctx, store.ReportParams{Periods: []store.ReportPeriod{march}})
		require.NoError(t, err)
		require.Equal(t, []store.ProcedureRow{
			{Procedure: "1.001193", Received: 2, ReceivedOnline: 2},
			{Procedure: "1.001612", Received: 17, ReceivedOnline: 10},
			{Procedure: "X.999999", Received: 1},
		}, rows)
	})

	t.Run("ReportAll", func(t *testing.T) {
		t.Parallel()
		s := withFixture(t)
		p := store.ReportParams{Periods: []store.ReportPeriod{february, march}, Group: store.ReportGroupAgency}
		all, err := s.ReportAll(ctx, p)
		require.NoError(t, err)
		dossiers, err := s.ReportDossiers(ctx, p)
		require.NoError(t, err)
		require.Equal(t, dossiers, all.Dossiers)
		steps, err := s.ReportSteps(ctx, p)
		require.NoError(t, err)
		require.Equal(t, steps, all.Steps)
		require.Len(t, all.Unscheduled, 5)
		require.Len(t, all.Procedures, 3)
	})

	t.Run("ReportInvalid", func(t *testing.T) {
		t.Parallel()
		s := setup(t)
		march := store.ReportPeriod{From: indicatorstest.March[0], To: indicatorstest.March[1]}
		for _, tc := range []struct {
			p    store.ReportParams
			want string
		}{
			{store.ReportParams{}, "reading the report: invalid parameter: a report needs at least one period"},
			{store.ReportParams{Periods: []store.ReportPeriod{{From: march.To, To: march.From}}},
				"reading the report: invalid parameter: period 0: from 2025-04-01T00:00:00+07:00 must be before to 2025-03-01T00:00:00+07:00"},
			{store.ReportParams{Periods: []store.ReportPeriod{march}, Group: "week"},
				`reading the report: invalid parameter: unknown report group "week" (use agency, procedure or version)`},
			{store.ReportParams{Periods: []store.ReportPeriod{march}, SupplementLimits: []store.SupplementLimit{{Procedure: "P", Max: -1}}},
				`reading the report: invalid parameter: supplement limit -1 for procedure "P"`},
		} {
			_, err := s.ReportAll(ctx, tc.p)
			require.EqualError(t, err, tc.want)
			require.True(t, errors.Is(err, store.ErrInvalid))
		}
		_, err := s.ReportDossiers(ctx, store.ReportParams{})
		require.EqualError(t, err, "counting dossiers for the report: invalid parameter: a report needs at least one period")
	})
}
