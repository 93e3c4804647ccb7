package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/dossier"
	"github.com/motcua/motcua/workflows"
)

// appointmentLayouts are the ways --new-appointment may be written, in
// Vietnam time unless an offset is given.
var appointmentLayouts = []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"}

func parseAppointment(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, l := range appointmentLayouts {
		if t, err := time.ParseInLocation(l, v, dossier.Vietnam); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("--new-appointment %q: write YYYY-MM-DDTHH:MM (Vietnam time), e.g. 2025-03-20T17:00", v)}
}

func newExtendCmd(s streams) *cobra.Command {
	var (
		ef                 engineFlags
		req                workflows.ExtendRequest
		as, officer, newAt string
		format             string
	)
	cmd := &cobra.Command{
		Use:   "extend CODE --as ROLE@AGENCY --new-appointment YYYY-MM-DDTHH:MM --reason TEXT",
		Short: "Move a late dossier's appointment once, with an apology (gia hạn)",
		Long: `extend sends the applicant the apology letter with the reason and a new
appointment date (văn bản xin lỗi và hẹn lại ngày trả kết quả). It is
allowed once per dossier, at least one working day before the current
appointment, by an officer of the procedure; the original date is kept and
the dossier still counts as late.` + engineHelp,
		Example: `  motcua extend UBND_XA-250701-0001 --as tu_phap_ho_tich@ubnd_xa \
    --new-appointment 2025-03-20T17:00 --reason "Chờ xác minh của cơ quan công an"`,
		Args: codeArg("extend"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if newAt == "" || req.Reason == "" {
				return usageError{errors.New("--new-appointment and --reason are required")}
			}
			actor, err := parseActor(as, officer)
			if ef.viaServer() {
				actor, err = dossier.Actor{}, nil
			}
			if err != nil {
				return err
			}
			req.Actor = actor
			if req.NewAppointment, err = parseAppointment(newAt); err != nil {
				return err
			}
			return ef.stateAction(cmd, s, format, args[0], func(ctx context.Context, eng *engine) (dossier.State, error) {
				return eng.svc.Extend(ctx, args[0], req)
			})
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "who extends: ROLE@AGENCY (required)")
	f.StringVar(&officer, "officer", "", "the officer's id (default: your user name)")
	f.StringVar(&newAt, "new-appointment", "", "the new appointment, YYYY-MM-DDTHH:MM in Vietnam time (required)")
	f.StringVar(&req.Reason, "reason", "", "why the dossier is late (required)")
	formatFlag(cmd, &format)
	return cmd
}
