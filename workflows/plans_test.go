package workflows

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
)

// Dossiers of one plan share one decoded copy of it; a plan whose content
// no longer matches its hash keeps its own.
func TestSharedPlan(t *testing.T) {
	decoded := func() *definitions.Plan {
		data, err := json.Marshal(examplePlan(t, "1.001193"))
		require.NoError(t, err)
		var p definitions.Plan
		require.NoError(t, json.Unmarshal(data, &p))
		return &p
	}
	a, b := decoded(), decoded()
	require.True(t, a.HashValid(), "a plan decoded from a dossier's input keeps its hash")
	require.NotSame(t, a, b)
	require.Same(t, sharedPlan(a), sharedPlan(b))
	require.Empty(t, b.Hash, "the replaced copy is emptied, so that only the shared one stays in memory")

	tampered := decoded()
	tampered.Modes[0].Steps[0].Role = "someone_else"
	require.False(t, tampered.HashValid())
	require.Same(t, tampered, sharedPlan(tampered), "a changed plan is not swapped for the shared one")
	require.Nil(t, sharedPlan(nil))
}
