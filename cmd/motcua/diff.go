package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/motcua/motcua/definitions"
	"github.com/spf13/cobra"
)

func newDiffCmd(s streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW",
		Short: "Summarise what changed between two versions of a procedure",
		Long: `diff compares two versions of a procedure definition and prints the
re-engineering summary: version and plan hash; the online level and the modes
offered; per mode the time limit, the number of in-person visits, the allotted
time along the longest path, channels, delivery and the steps added, removed
or changed; the dossier components (and their e-form fields), the fees and
the result.

Both files must be valid definitions; the problems of an invalid one are
printed as file:line:col lines and diff exits 1. Otherwise diff exits 0,
whether or not anything changed.

--format json prints the same summary as JSON with stable field names, for
tools (e.g. a comment on a merge request).`,
		Example: `  git show HEAD~1:definitions/procedures/birth.yaml > /tmp/old.yaml
  motcua diff /tmp/old.yaml definitions/procedures/birth.yaml
  motcua diff --format json old.yaml new.yaml | jq .modes`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError{fmt.Errorf("diff needs two definition files, OLD and NEW, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			oldPlan, oldErr := loadPlan(s.err, args[0])
			newPlan, newErr := loadPlan(s.err, args[1])
			if oldErr != nil {
				return oldErr
			}
			if newErr != nil {
				return newErr
			}
			d := definitions.Diff(oldPlan, newPlan)
			if format == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				if err := enc.Encode(d); err != nil {
					return fmt.Errorf("writing the diff: %w", err)
				}
				return nil
			}
			_, err := io.WriteString(s.out, d.Text())
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
