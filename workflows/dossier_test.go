package workflows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
)

// Every example procedure, in each mode it offers, runs to a returned
// result when every officer takes the first outcome.
func TestExampleProceduresHappyPath(t *testing.T) {
	t.Parallel()
	cat, err := catalog()
	require.NoError(t, err)
	for _, p := range cat.Plans() {
		for _, mp := range p.Modes {
			t.Run(p.Code+"/"+mp.Mode, func(t *testing.T) {
				t.Parallel()
				h := newHarness(t, p, mp.Mode, mp.Channels[0])
				h.driveHappyPath()
				s := h.run()
				require.Equal(t, dossier.StatusReturned, s.Status, "timeline: %v", eventKinds(s))
				require.NotZero(t, s.AppointmentAt)
				require.NotNil(t, s.Rating)
				require.Empty(t, s.OpenTasks)
				if p.Result.Kind == "document" {
					require.NotNil(t, s.Result)
					require.Equal(t, h.in.Code+"-KQ1", s.Result.Code)
				}
				require.Contains(t, h.rec.notesTo(dossier.RoleApplicant), "Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
				last := h.rec.projections[len(h.rec.projections)-1]
				require.Equal(t, len(s.Timeline), last.Seq, "the last projection carries the whole timeline")
				require.Equal(t, dossier.StatusReturned, last.Snapshot.Status)
			})
		}
	}
}
