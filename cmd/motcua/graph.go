package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/motcua/motcua/definitions"
	"github.com/spf13/cobra"
)

func newGraphCmd(s streams) *cobra.Command {
	var mode, format string
	cmd := &cobra.Command{
		Use:   "graph FILE",
		Short: "Draw the steps of a procedure as a flowchart (Mermaid or Graphviz DOT)",
		Long: `graph draws the steps of one mode of a procedure definition as a top-down
flowchart, ready to paste into a wiki (Mermaid) or to render with Graphviz (DOT).

Each step shows its name, its kind, the role that acts and its allotted time;
steps where the citizen must come in person are outlined. Edges carry the
outcome that takes them (a decide step: its condition). A parallel step forks
into its branches, which meet again at a join. The dossier ends at
"Kết thúc" (after the result is returned), "Từ chối" (refused) or
"Dừng xử lý" (stopped). The title gives the code, name, mode, time limit,
version and the short hash of the compiled plan.

--mode defaults to the first mode the procedure offers (full_online, then
partial_online). An invalid definition is not drawn: its problems are printed
as file:line:col lines and graph exits 1.`,
		Example: `  motcua graph definitions/procedures/1.001193-dang-ky-khai-sinh.yaml
  motcua graph --mode partial_online birth.yaml > birth.mmd
  motcua graph --format dot birth.yaml | dot -Tsvg > birth.svg`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("graph needs exactly one definition file, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "mermaid", "dot"); err != nil {
				return err
			}
			if mode != "" {
				if err := checkChoice("mode", mode, definitions.AllModes...); err != nil {
					return err
				}
			}
			plan, err := loadPlan(s.err, args[0])
			if err != nil {
				return err
			}
			if mode == "" {
				mode = plan.Modes[0].Mode
			}
			draw := definitions.Mermaid
			if format == "dot" {
				draw = definitions.DOT
			}
			out, err := draw(plan, mode)
			if err != nil {
				return fmt.Errorf("drawing %s: %w", args[0], err)
			}
			_, err = io.WriteString(s.out, out)
			return err
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "", "mode to draw: "+strings.Join(definitions.AllModes, " or ")+" (default: the first the procedure offers)")
	cmd.Flags().StringVar(&format, "format", "mermaid", "output format: mermaid or dot")
	return cmd
}

// loadPlan reads and compiles one definition. When it is invalid, every
// diagnostic goes to w as a file:line:col line and the error is exit status
// 1; warnings of a valid definition are printed too.
func loadPlan(w io.Writer, path string) (*definitions.Plan, error) {
	plan, diags, err := definitions.LoadFile(path)
	if err != nil {
		return nil, err
	}
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
	if plan == nil {
		fmt.Fprintf(w, "%s is not a valid definition: run 'motcua lint %s' after fixing the errors above\n", path, path)
		return nil, exitError{code: 1}
	}
	return plan, nil
}
