package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

func newWithdrawCmd(s streams) *cobra.Command {
	var (
		ef          engineFlags
		req         workflows.WithdrawRequest
		applicantID string
		format      string
	)
	cmd := &cobra.Command{
		Use:   "withdraw CODE --applicant-id ID --reason TEXT",
		Short: "Ask to withdraw a dossier (rút hồ sơ), as its applicant",
		Long: `withdraw records the applicant's request to withdraw a dossier (status 7,
Công dân yêu cầu rút hồ sơ). The one-stop officer then issues the stop
notice ('motcua act CODE --task <reception step>.withdrawal --outcome stop')
and the dossier ends stopped (status 8). Only the applicant may ask, once,
and only before the dossier is finished.` + engineHelp,
		Example: `  motcua withdraw UBND_XA-250701-0001 --applicant-id 079090001234 --reason "Nộp nhầm thủ tục"`,
		Args:    codeArg("withdraw"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if applicantID == "" && !ef.viaServer() || req.Reason == "" {
				return usageError{errors.New("--applicant-id and --reason are required")}
			}
			req.Actor = dossier.Actor{ID: applicantID, Role: dossier.RoleApplicant}
			return ef.stateAction(cmd, s, format, args[0], func(ctx context.Context, eng *engine) (dossier.State, error) {
				return eng.svc.Withdraw(ctx, args[0], req)
			})
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&applicantID, "applicant-id", "", "the applicant's identification number, as submitted (required)")
	f.StringVar(&req.Reason, "reason", "", "why the dossier is withdrawn (required)")
	formatFlag(cmd, &format)
	return cmd
}
