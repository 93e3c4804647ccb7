package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/service"
)

func newSupplementCmd(s streams) *cobra.Command {
	var (
		ef            engineFlags
		req           service.SupplementRequest
		fields, files []string
		format        string
	)
	cmd := &cobra.Command{
		Use:   "supplement CODE --applicant-id ID [--file COMPONENT=PATH]... [--field K=V]... [--note TEXT]",
		Short: "Send the applicant's supplement (bổ sung hồ sơ) to a dossier that asked for one",
		Long: `supplement answers a supplement request (Phiếu yêu cầu bổ sung, hoàn thiện hồ
sơ) with new files, corrected e-form fields, or both. Only the applicant of
the dossier may send it, and only while the dossier waits for it (status 5).

Files and fields are checked as in 'motcua submit' (component and field
ids, file types by extension and content, sizes, field types and rules);
every problem is listed, one line each, and nothing is stored or sent
(exit status 1). A new file replaces the component's earlier one; the
dossier keeps its code and its history.` + engineHelp,
		Example: `  motcua supplement UBND_XA-250701-0001 --applicant-id 079090001234 \
    --file giay_chung_sinh=./giay_chung_sinh_ro.jpg --note "Bản chụp rõ hơn"
  motcua supplement UBND_XA-250701-0001 --applicant-id 079090001234 --field birth_place="Trạm y tế xã"`,
		Args: codeArg("supplement"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if req.ApplicantID == "" && !ef.viaServer() {
				return usageError{errors.New("--applicant-id is required")}
			}
			if len(fields) == 0 && len(files) == 0 {
				return usageError{errors.New("give what is supplemented: --file COMPONENT=PATH or --field FIELD=VALUE")}
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
			st, err := eng.svc.Supplement(ctx, args[0], req)
			if err != nil {
				return ef.report(s, notFound(err, args[0]))
			}
			return writeState(s, format, st, eng.catalog)
		},
	}
	ef.add(cmd)
	f := cmd.Flags()
	f.StringVar(&req.ApplicantID, "applicant-id", "", "the applicant's identification number, as submitted (required)")
	f.StringArrayVar(&files, "file", nil, "a component's new file, COMPONENT=PATH (repeat)")
	f.StringArrayVar(&fields, "field", nil, "a corrected e-form field, FIELD=VALUE (repeat)")
	f.StringVar(&req.Note, "note", "", "a note for the officer")
	formatFlag(cmd, &format)
	return cmd
}
