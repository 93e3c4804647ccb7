package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

func newPayCmd(s streams) *cobra.Command {
	var (
		ef     engineFlags
		req    workflows.PayRequest
		format string
	)
	cmd := &cobra.Command{
		Use:   "pay CODE --reference REF --amount VND",
		Short: "Confirm a fee payment for a dossier (development: stands for the payment platform)",
		Long: `pay confirms that the fees of a dossier waiting for payment (status 6) were
paid. In production the payment platform sends this confirmation; in
development this command stands for it. The reference must be the payment
order's (shown in the dossier's timeline, event payment_requested) and the
amount at least what is due.` + engineHelp,
		Example: `  motcua pay UBND_XA-250701-0001 --reference PAY-UBND_XA-250701-0001 --amount 100000
  motcua pay UBND_XA-250701-0001 --reference BL-0042 --amount 100000 --online=false   # paid at the counter`,
		Args: codeArg("pay"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Reference == "" || !cmd.Flags().Changed("amount") {
				return usageError{errors.New("--reference and --amount are required")}
			}
			if req.Amount < 0 {
				return usageError{errors.New("--amount must not be negative")}
			}
			return ef.stateAction(cmd, s, format, args[0], func(ctx context.Context, eng *engine) (dossier.State, error) {
				if eng.direct == nil {
					return dossier.State{}, usageError{errors.New("pay confirms a payment as the payment platform does; through --server the platform calls POST /v1/callbacks/payments with its signature instead")}
				}
				return eng.direct.Pay(ctx, args[0], req)
			})
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Reference, "reference", "", "the payment order's reference (required)")
	f.Int64Var(&req.Amount, "amount", 0, "the amount paid, in đồng (required)")
	f.BoolVar(&req.Online, "online", true, "paid online (false: paid at the counter)")
	formatFlag(cmd, &format)
	return cmd
}
