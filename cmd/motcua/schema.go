package main

import (
	"github.com/motcua/motcua/definitions"
	"github.com/spf13/cobra"
)

func newSchemaCmd(s streams) *cobra.Command {
	var of string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of procedure definitions (or of calendars)",
		Long: `schema prints the JSON Schema (draft 2020-12) of procedure definitions,
generated from the same Go types the linter uses, so the two cannot drift.
Editors that speak the YAML language server (VS Code's YAML extension, for
one) give completion and checks with this first line in a definition:

  # yaml-language-server: $schema=../../schema/procedure.schema.json

The repository keeps the generated files in schema/; a test fails when they
differ from what this command prints.`,
		Example: `  motcua schema > schema/procedure.schema.json
  motcua schema --of calendar > schema/calendar.schema.json
  motcua schema --of reference > docs/format.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkChoice("of", of, "procedure", "calendar", "reference"); err != nil {
				return err
			}
			gen := definitions.Schema
			switch of {
			case "calendar":
				gen = definitions.CalendarSchema
			case "reference":
				gen = func() ([]byte, error) { return []byte(definitions.FormatReference()), nil }
			}
			out, err := gen()
			if err != nil {
				return err
			}
			_, err = s.out.Write(out)
			return err
		},
	}
	cmd.Flags().StringVar(&of, "of", "procedure", "what to print: procedure (JSON Schema), calendar (JSON Schema) or reference (Markdown docs)")
	return cmd
}
