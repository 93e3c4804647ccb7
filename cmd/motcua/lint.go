package main

import (
	"encoding/json"
	"fmt"

	"github.com/motcua/motcua/definitions"
	"github.com/spf13/cobra"
)

func newLintCmd(s streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "lint PATH...",
		Short: "Check procedure definitions and report every problem with file:line:col",
		Long: `lint checks procedure definition files (and folders of them, recursively:
every *.yaml and *.yml file) and prints every problem it finds as

  file:line:col: message (hint)

It exits 0 when every definition is valid, 1 when any has an error.
Folders named calendars are read as working calendars.`,
		Example: `  motcua lint definitions/procedures
  motcua lint --format json birth.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("lint needs at least one file or folder")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			res, err := definitions.LintPaths(args)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(s.out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			} else {
				for _, d := range res.Diagnostics {
					fmt.Fprintln(s.out, d.String())
				}
				fmt.Fprintf(s.err, "%d file(s) checked: %d error(s), %d warning(s)\n", res.Files, res.Errors, res.Warnings)
			}
			if res.Errors > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}
