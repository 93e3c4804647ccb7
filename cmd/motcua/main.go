// Command motcua is the one binary of the motcua workflow engine: it lints,
// draws and compares procedure definitions, and (in later commands) runs the
// engine.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
