package service_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/service"
	"github.com/motcua/motcua/internal/service/servicetest"
	"github.com/motcua/motcua/internal/store"
)

// TestSubmitWithIdempotencyKey: a submission sent again with its key gets
// the first attempt's dossier, whether the first attempt started it or
// failed before; keys are the applicant's own and name one procedure.
func TestSubmitWithIdempotencyKey(t *testing.T) {
	env := servicetest.Start(t, testCatalog(t))
	day := time.Date(2025, 7, 2, 9, 0, 0, 0, dossier.Vietnam)
	svc, err := service.New(service.Options{Client: env.Client, Store: env.Store, Catalog: env.Catalog,
		FilesDir: env.DataDir + "/files", Now: func() time.Time { return day }})
	require.NoError(t, err)
	submit := func(key string, req service.SubmitRequest) (dossier.State, error) {
		req.IdempotencyKey = key
		return svc.Submit(ctx(t), req)
	}

	first, err := submit("8f14e45f-ceea-467a-9af1-0b2d6e1e7c11", birthRequest())
	require.NoError(t, err)
	require.Equal(t, agencyCode+"-250702-0001", first.Code)
	again, err := submit("8f14e45f-ceea-467a-9af1-0b2d6e1e7c11", birthRequest())
	require.NoError(t, err, "the same submission again")
	require.Equal(t, first.Code, again.Code)
	require.Equal(t, dossier.StatusNew, again.Status)

	// Another key, or no key, is another dossier; so is the same key of
	// another applicant.
	other, err := submit("8f14e45f-ceea-467a-9af1-0b2d6e1e7c12", birthRequest())
	require.NoError(t, err)
	require.Equal(t, agencyCode+"-250702-0002", other.Code)
	none, err := submit("", birthRequest())
	require.NoError(t, err)
	require.Equal(t, agencyCode+"-250702-0003", none.Code)
	someoneElse := birthRequest()
	someoneElse.Applicant.ID = "079090009999"
	theirs, err := submit("8f14e45f-ceea-467a-9af1-0b2d6e1e7c11", someoneElse)
	require.NoError(t, err)
	require.Equal(t, agencyCode+"-250702-0004", theirs.Code)

	// A key names one submission: another procedure under it is refused,
	// as is a key that is not printable ASCII; nothing is started.
	var invalid *service.ValidationError
	_, err = submit("8f14e45f-ceea-467a-9af1-0b2d6e1e7c11", lienThongRequest())
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, "idempotency_key", invalid.Problems[0].Field)
	require.Contains(t, invalid.Problems[0].Message, first.Code)
	_, err = submit("khóa có dấu", birthRequest())
	require.ErrorAs(t, err, &invalid)
	require.Equal(t, "idempotency_key", invalid.Problems[0].Field)

	// The first attempt numbered the dossier and failed before starting
	// its workflow: the retry starts it under that number.
	_, err = env.Store.SubmissionKeyClaim(ctx(t), store.SubmissionKey{ApplicantID: applicant.ID, Key: "lost-answer",
		Procedure: birth, DossierCode: agencyCode + "-250702-0042", CreatedAt: day})
	require.NoError(t, err)
	late, err := submit("lost-answer", birthRequest())
	require.NoError(t, err)
	require.Equal(t, agencyCode+"-250702-0042", late.Code)

	// Attempts racing with one key make one dossier (one workflow ID).
	var wg sync.WaitGroup
	codes := make([]string, 6)
	errs := make([]error, len(codes))
	for i := range codes {
		wg.Go(func() {
			req := birthRequest() // each its own readers
			st, err := submit("raced", req)
			codes[i], errs[i] = st.Code, err
		})
	}
	wg.Wait()
	for i := range codes {
		require.NoError(t, errs[i])
		require.Equal(t, codes[0], codes[i])
	}
}
