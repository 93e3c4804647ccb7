package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/service"
)

func newStatusCmd(s streams) *cobra.Command {
	var (
		ef     engineFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "status CODE",
		Short: "Show a dossier: status, appointment date, open tasks and timeline",
		Long: `status shows where a dossier is: its national status (1–10, in Vietnamese),
the appointment date (ngày hẹn trả, with the original one when it was
extended), the open tasks with who may act on them and when they are due,
the time paused waiting for supplements, the result and rating, and the
timeline of every step (phiếu kiểm soát quá trình giải quyết hồ sơ).

A running dossier is asked live; a closed one is read from the read model.
--format json prints the state as the API returns it.` + engineHelp,
		Example: `  motcua status 000.00.01.H22-250701-0001
  motcua status UBND_XA-250701-0001 --format json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("status needs one dossier code")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			ctx, cancel := ef.context(cmd)
			defer cancel()
			eng, err := ef.open(ctx, false)
			if err != nil {
				return err
			}
			defer eng.close()
			st, err := eng.svc.Status(ctx, args[0])
			if errors.Is(err, service.ErrNotFound) {
				return fmt.Errorf("no dossier %s (neither the engine nor the read model at %s knows it)", args[0], ef.data)
			}
			if err != nil {
				return ef.report(s, err)
			}
			return writeState(s, format, st, eng.catalog)
		},
	}
	ef.add(cmd)
	formatFlag(cmd, &format)
	return cmd
}
