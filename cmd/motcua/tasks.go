package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/service"
)

func newTasksCmd(s streams) *cobra.Command {
	var (
		ef     engineFlags
		req    service.TasksRequest
		format string
	)
	cmd := &cobra.Command{
		Use:   "tasks [--role ROLE]... [--agency AGENCY] [--applicant ID]",
		Short: "List open tasks (an inbox), overdue first",
		Long: `tasks lists the open tasks of an inbox from the read model, overdue tasks
first (marked QUÁ HẠN), then by due time; tasks without a due time last.

--role and --agency select an officer's inbox: tasks of those roles (any
role when none is given) at that agency (any agency when not given).
--applicant selects the tasks waiting for a citizen (supplements, payments)
on the dossiers that citizen submitted. With no flag, every open task.

Act on a task with 'motcua act CODE --task TASK ...'.` + engineHelp,
		Example: `  motcua tasks --role mot_cua --agency ubnd_xa
  motcua tasks --role tu_phap_ho_tich --role chu_tich_xa --agency ubnd_xa
  motcua tasks --applicant 079090001234`,
		Args: cobra.NoArgs,
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
			tasks, err := eng.svc.Tasks(ctx, req)
			if err != nil {
				return ef.report(s, err)
			}
			if format == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				return enc.Encode(tasks)
			}
			printTasks(s.out, tasks)
			return nil
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&req.Roles, "role", nil, "a role whose tasks to list (repeat)")
	f.StringVar(&req.Agency, "agency", "", "the agency whose tasks to list")
	f.StringVar(&req.ApplicantID, "applicant", "", "list the tasks waiting for this applicant")
	f.IntVar(&req.Limit, "limit", 100, "at most this many tasks (up to 1000)")
	formatFlag(cmd, &format)
	return cmd
}
