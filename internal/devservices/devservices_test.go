package devservices_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/activities"
	"github.com/motcua/motcua/internal/devservices"
	"github.com/motcua/motcua/internal/integrations"
)

// The real clients talk to the stand-ins; a retried call gets the same answer.
func TestStandInsAnswerTheRealClients(t *testing.T) {
	ctx := context.Background()
	var confirmed []devservices.Order
	s, err := devservices.Start(devservices.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		ConfirmPayment: func(_ context.Context, o devservices.Order) error { confirmed = append(confirmed, o); return nil }})
	require.NoError(t, err)
	defer s.Close()

	pay, err := integrations.NewPaymentsClient(s.PaymentsConfig())
	require.NoError(t, err)
	req := activities.PaymentRequest{Code: "HS-1", Amount: 100000, Fees: []string{"le_phi"}}
	o1, err := pay.RequestPayment(ctx, req)
	require.NoError(t, err)
	o2, err := pay.RequestPayment(ctx, req)
	require.NoError(t, err)
	require.Equal(t, o1, o2)
	require.Contains(t, o1.URL, s.URL()+"/pay/")

	resp, err := http.Post(o1.URL, "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, confirmed, 1)
	require.Equal(t, "HS-1", confirmed[0].Request.Code)
	require.True(t, s.Orders()[0].Paid)

	checks, err := integrations.NewChecksClient(s.ChecksConfig())
	require.NoError(t, err)
	res, err := checks.Check(ctx, activities.CheckRequest{Code: "HS-1", Check: "population_lookup"})
	require.NoError(t, err)
	require.True(t, res.Passed)

	postal, err := integrations.NewPostalClient(s.PostalConfig())
	require.NoError(t, err)
	tr1, err := postal.Ship(ctx, activities.Shipment{Code: "HS-1", ResultCode: "HS-1-KQ1"})
	require.NoError(t, err)
	tr2, err := postal.Ship(ctx, activities.Shipment{Code: "HS-1", ResultCode: "HS-1-KQ1"})
	require.NoError(t, err)
	require.Equal(t, tr1, tr2)
}
