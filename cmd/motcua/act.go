package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// codeArg checks that a command got exactly one dossier code.
func codeArg(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError{errors.New(name + " needs one dossier code")}
		}
		return nil
	}
}

func newActCmd(s streams) *cobra.Command {
	var (
		ef          engineFlags
		req         workflows.ActRequest
		as, officer string
		format      string
	)
	cmd := &cobra.Command{
		Use:   "act CODE --task TASK --outcome OUTCOME --as ROLE@AGENCY [--officer ID] [--note TEXT] [--item TEXT]...",
		Short: "Act on an open task of a dossier as an officer",
		Long: `act performs an officer's action on an open task: it chooses one of the
task's outcomes (see 'motcua status CODE' or 'motcua tasks' for the open
tasks and their outcomes). The dossier's workflow checks the action first:
the officer's role and agency must be the task's, the outcome one of its
own; a refusal needs its reasons (--note) and a supplement request the
list of what is missing or wrong (--item, repeated). A rejected action
changes nothing and prints why (exit status 1).

Tasks of other agencies consulted on the dossier (liên thông) are acted on
the same way, with the dossier's code.

Outcomes every reception offers: accept, supplement, refuse. A counter
pick-up is confirmed with outcome returned; a withdrawal's stop notice with
stop.` + engineHelp,
		Example: `  motcua act UBND_XA-250701-0001 --task tiep_nhan --outcome accept --as mot_cua@ubnd_xa --officer cb01
  motcua act UBND_XA-250701-0001 --task tham_dinh --outcome supplement --as tu_phap_ho_tich@ubnd_xa \
    --item "Giấy chứng sinh bị mờ" --item "Thiếu trang 2 tờ khai"
  motcua act UBND_XA-250701-0001 --task tham_dinh --outcome refuse --note "Không thuộc thẩm quyền" --as tu_phap_ho_tich@ubnd_xa`,
		Args: codeArg("act"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Task == "" || req.Outcome == "" {
				return usageError{errors.New("--task and --outcome are required")}
			}
			if !ef.viaServer() {
				actor, err := parseActor(as, officer)
				if err != nil {
					return err
				}
				req.Actor = actor
			}
			return ef.stateAction(cmd, s, format, args[0], func(ctx context.Context, eng *engine) (dossier.State, error) {
				return eng.svc.Act(ctx, args[0], req)
			})
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Task, "task", "", "the open task, e.g. tiep_nhan (required)")
	f.StringVar(&req.Outcome, "outcome", "", "the outcome chosen, one of the task's (required)")
	f.StringVar(&as, "as", "", "who acts: ROLE@AGENCY, e.g. mot_cua@ubnd_xa (required)")
	f.StringVar(&officer, "officer", "", "the officer's id, recorded in the timeline (default: your user name)")
	f.StringVar(&req.Note, "note", "", "a note; the reasons of a refusal")
	f.StringArrayVar(&req.Items, "item", nil, "a missing or wrong item, for a supplement request (repeat)")
	formatFlag(cmd, &format)
	return cmd
}
