package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

func newRateCmd(s streams) *cobra.Command {
	var (
		ef                      engineFlags
		req                     workflows.RateRequest
		applicantID             string
		satisfied, dissatisfied bool
		format                  string
	)
	cmd := &cobra.Command{
		Use:   "rate CODE --applicant-id ID --satisfied|--dissatisfied [--comment TEXT]",
		Short: "Rate the handling of a dossier after its result was returned",
		Long: `rate records the applicant's rating of a dossier's handling (hài lòng /
không hài lòng, with a comment), once, after the result was returned
(status 10). Ratings feed the satisfaction indicator.` + engineHelp,
		Example: `  motcua rate UBND_XA-250701-0001 --applicant-id 079090001234 --satisfied --comment "Nhanh, đúng hẹn"
  motcua rate UBND_XA-250701-0001 --applicant-id 079090001234 --dissatisfied --comment "Phải đi lại hai lần"`,
		Args: codeArg("rate"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if applicantID == "" && !ef.viaServer() {
				return usageError{errors.New("--applicant-id is required")}
			}
			if satisfied == dissatisfied {
				return usageError{errors.New("give exactly one of --satisfied and --dissatisfied")}
			}
			req.Actor = dossier.Actor{ID: applicantID, Role: dossier.RoleApplicant}
			req.Satisfied = satisfied
			return ef.stateAction(cmd, s, format, args[0], func(ctx context.Context, eng *engine) (dossier.State, error) {
				return eng.svc.Rate(ctx, args[0], req)
			})
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&applicantID, "applicant-id", "", "the applicant's identification number, as submitted (required)")
	f.BoolVar(&satisfied, "satisfied", false, "the applicant is satisfied (hài lòng)")
	f.BoolVar(&dissatisfied, "dissatisfied", false, "the applicant is not satisfied (không hài lòng)")
	f.StringVar(&req.Comment, "comment", "", "a comment")
	formatFlag(cmd, &format)
	return cmd
}
