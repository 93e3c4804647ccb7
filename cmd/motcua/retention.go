package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/internal/store"
)

func newRetentionCmd(s streams) *cobra.Command {
	var (
		data, readModel, before string
		keepYears               int
		dryRun                  bool
	)
	cmd := &cobra.Command{
		Use:   "retention (--keep-years N | --ended-before DATE) [--dry-run]",
		Short: "Remove citizens' personal data from the read model's dossiers that ended long ago",
		Long: `retention removes, from the read model, the personal data of the dossiers
that ended (result returned, stopped or refused) before a cut-off: the
applicant's identity number and name, the components' file names, the rating's
comment, what the applicant wrote on the timeline, complaints' content. The
figures stay, so reports and analyses over those years do not change; the
officers' actions and the audit log stay. The cut-off must be at least a year
ago. Run it on a schedule (a systemd timer, cron) with the province's rule.

Temporal keeps a closed workflow's history for the namespace's retention
period (set it with 'temporal operator namespace update --retention'); the
histories are sealed by the payload codec meanwhile.`,
		Example: `  motcua retention --keep-years 5 --dry-run
  motcua retention --ended-before 2021-01-01 --read-model postgres://motcua@db/motcua`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			var cutoff time.Time
			switch {
			case before != "" && keepYears != 0:
				return usageError{errors.New("give --keep-years or --ended-before, not both")}
			case before != "":
				var err error
				if cutoff, err = parseDay("ended-before", before); err != nil {
					return err
				}
			case keepYears > 0:
				today := now.In(dossier.Vietnam)
				cutoff = time.Date(today.Year()-keepYears, today.Month(), today.Day(), 0, 0, 0, 0, dossier.Vietnam)
			default:
				return usageError{errors.New("give --keep-years N (N ≥ 1) or --ended-before YYYY-MM-DD")}
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			st, err := openReadModel(ctx, data, readModel)
			if err != nil {
				return err
			}
			defer st.Close()
			c, err := st.AnonymizeEnded(ctx, cutoff, now, dryRun)
			if errors.Is(err, store.ErrRetentionTooShort) {
				return usageError{err}
			}
			if err != nil {
				return err
			}
			if dryRun {
				fmt.Fprintf(s.out, "%d dossiers ended before %s would lose their personal data (dry run: nothing changed)\n",
					c.Dossiers, cutoff.Format(time.DateOnly))
				return nil
			}
			fmt.Fprintf(s.out, "%d dossiers ended before %s: personal data removed (%d timeline entries, %d complaints)\n",
				c.Dossiers, cutoff.Format(time.DateOnly), c.Events, c.Complaints)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&keepYears, "keep-years", 0, "keep personal data for N years after a dossier ended (N ≥ 1)")
	fl.StringVar(&before, "ended-before", "", "cut-off date, YYYY-MM-DD: dossiers that ended before it")
	fl.BoolVar(&dryRun, "dry-run", false, "only count the dossiers")
	fl.StringVar(&data, "data", ".motcua", "data folder of the engine: the read model is DATA/read.db")
	fl.StringVar(&readModel, "read-model", "", "read model DSN (a postgres:// URL or a SQLite file); default DATA/read.db")
	return cmd
}
