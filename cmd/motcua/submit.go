package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/service"
)

func newSubmitCmd(s streams) *cobra.Command {
	var (
		ef            engineFlags
		req           service.SubmitRequest
		fields, files []string
		format        string
	)
	cmd := &cobra.Command{
		Use:   "submit --procedure CODE --mode MODE --channel CHANNEL --applicant-id ID --applicant-name NAME [--field K=V]... [--file COMPONENT=PATH]...",
		Short: "Submit a new dossier (nộp hồ sơ) and print its code and state",
		Long: `submit files a new dossier for a procedure of the catalog, as a citizen or a
one-stop officer would, and starts its workflow.

Everything is checked against the procedure's definition first, and every
problem is listed at once, one line per problem ("field FIELD: what is
wrong"); then nothing is started and nothing is stored (exit status 1):

  - the procedure exists; the mode is one it offers (full_online: toàn
    trình, partial_online: một phần); the channel (online, in_person,
    postal) and the result delivery (e_result, postal, counter) are allowed
    in that mode;
  - each --field is a field of the procedure's e-forms, converted to its type
    (integer, number, boolean true/false, date YYYY-MM-DD, one of a select's
    options) and checked with its rules (required, max=100 …);
  - each --file is a component of the procedure, of an accepted type (by its
    extension and by its content; default pdf, jpg, png) and size (default
    10 MB); every required component is given — components marked optional,
    or whose condition ('when') does not hold for the form, may be left
    out; a component filled in through its e-form needs no file; one that
    can be re-used from a data store (population database …) may be listed
    with --reused instead of uploaded.

Files are stored once, by content, in DATA/files; only their SHA-256 goes to
the workflow. The dossier code is <agency code>-<YYMMDD>-<NNNN>, NNNN
counting the day's dossiers of the agency. The first line printed is the
code.` + engineHelp,
		Example: `  motcua submit --procedure 1.001193 --mode full_online --channel online \
    --applicant-id 079090001234 --applicant-name "Nguyễn Văn A" --contact a@example.vn \
    --field child_name="Nguyễn Văn B" --field birth_date=2025-07-01 --field gender=Nam \
    --field birth_place="Bệnh viện tỉnh Tây Ninh" \
    --file to_khai=./to_khai.pdf --file giay_chung_sinh=./giay_chung_sinh.jpg \
    --reused giay_to_tuy_than

  # partial online, filed at the counter, result collected there
  motcua submit --procedure 1.001193 --mode partial_online --channel in_person --delivery counter ...`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.Procedure == "" {
				return usageError{fmt.Errorf("--procedure is required (the procedure code, e.g. 1.001193; see definitions/procedures)")}
			}
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			form, ups, release, err := formAndFiles(fields, files)
			defer release()
			if err != nil {
				return ef.report(s, err) // usage errors pass through unchanged
			}
			req.Form, req.Components = form, ups
			ctx, cancel := ef.context(cmd)
			defer cancel()
			eng, err := ef.open(ctx, true)
			if err != nil {
				return err
			}
			defer eng.close()
			st, err := eng.svc.Submit(ctx, req)
			if err != nil {
				return ef.report(s, err)
			}
			if format == "text" {
				fmt.Fprintln(s.out, st.Code)
			}
			return writeState(s, format, st, eng.catalog)
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&req.Procedure, "procedure", "", "procedure code, e.g. 1.001193 (required)")
	f.StringVar(&req.Mode, "mode", "", "full_online or partial_online")
	f.StringVar(&req.Channel, "channel", "", "how the dossier arrives: online, in_person or postal")
	f.StringVar(&req.Delivery, "delivery", "", "how the result is returned: e_result, postal or counter (default: the mode's first)")
	f.StringVar(&req.Applicant.ID, "applicant-id", "", "the applicant's personal identification number (or business code)")
	f.StringVar(&req.Applicant.Name, "applicant-name", "", "the applicant's full name")
	f.StringVar(&req.Applicant.Contact, "contact", "", "e-mail or phone for notifications")
	f.StringArrayVar(&fields, "field", nil, "an e-form field, FIELD=VALUE (repeat)")
	f.StringArrayVar(&files, "file", nil, "a component's file, COMPONENT=PATH (repeat)")
	f.StringSliceVar(&req.Reused, "reused", nil, "a component taken from a data store instead of uploaded (repeat, or comma-separated)")
	formatFlag(cmd, &format)
	return cmd
}
