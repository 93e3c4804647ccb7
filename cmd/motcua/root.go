package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// streams are the standard streams a command reads and writes; tests pass
// buffers.
type streams struct {
	in       io.Reader
	out, err io.Writer
}

// exitError carries an exit code out of a command whose output is already
// written (e.g. lint found problems).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes the CLI with the given arguments and streams and returns the
// process exit code: 0 on success, 1 when the command found problems (or
// failed), 2 for a usage error.
func run(args []string, in io.Reader, out, errOut io.Writer) int {
	s := streams{in: in, out: out, err: errOut}
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.Execute()
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case isUsageError(err):
		fmt.Fprintf(errOut, "motcua: %v\nRun 'motcua --help' for usage.\n", err)
		return 2
	default:
		fmt.Fprintf(errOut, "motcua: %v\n", err)
		return 1
	}
}

// usageError marks errors in the command line itself.
type usageError struct{ error }

func isUsageError(err error) bool {
	var ue usageError
	return errors.As(err, &ue)
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "motcua",
		Short: "motcua runs a province's administrative procedures as durable workflows",
		Long: `motcua ("một cửa", one-stop) runs Vietnam's administrative procedures.

Business analysts describe each procedure in YAML under definitions/procedures/;
motcua checks those files, draws them and compares versions. Every citizen
dossier then runs as a durable Temporal workflow that follows its procedure.

Start with:
  motcua lint definitions/procedures        check every definition
  motcua graph FILE --mode full_online      draw one procedure (Mermaid)
  motcua diff OLD.yaml NEW.yaml             what a re-engineering changed
  motcua schema > procedure.schema.json     JSON Schema for editors`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(
		newLintCmd(s),
		newSchemaCmd(s),
		newGraphCmd(s),
		newDiffCmd(s),
		newDevCmd(s),
		newAPICmd(s),
		newSubmitCmd(s),
		newStatusCmd(s),
		newTasksCmd(s),
		newActCmd(s),
		newSupplementCmd(s),
		newWithdrawCmd(s),
		newRateCmd(s),
		newPayCmd(s),
		newExtendCmd(s),
		newVerifyCmd(s),
		newReportCmd(s),
		newDemoDataCmd(s),
		newSimulateCmd(s),
		newAnalyzeCmd(s),
		newKeysCmd(s),
		newWorkerCmd(s),
		newRetentionCmd(s),
		newBenchCmd(s),
	)
	return root
}

// checkFormat returns a usage error unless format is one of allowed.
func checkFormat(format string, allowed ...string) error {
	return checkChoice("format", format, allowed...)
}

// checkChoice returns a usage error unless the value of --flag is one of allowed.
func checkChoice(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageError{fmt.Errorf("unknown --%s %q (use one of %s)", flag, value, strings.Join(allowed, ", "))}
}
