package demodata

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/definitions"
	"github.com/motcua/motcua/internal/workcal"
)

var loadCatalog = sync.OnceValues(func() (*definitions.Catalog, error) {
	return definitions.LoadCatalog("../../definitions")
})

// catalog is the example catalog and its calendar.
func catalog(t testing.TB) (*definitions.Catalog, *workcal.Calendar) {
	t.Helper()
	cat, err := loadCatalog()
	require.NoError(t, err)
	cal, err := workcal.FromCatalog(cat)
	require.NoError(t, err)
	return cat, cal
}

func mustCal(t testing.TB) *workcal.Calendar {
	t.Helper()
	_, cal := catalog(t)
	return cal
}

func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }
