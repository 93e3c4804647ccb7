package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/motcua/motcua/internal/codec"
	"github.com/motcua/motcua/internal/devenv"
)

func newKeysCmd(s streams) *cobra.Command {
	var file, data string
	path := func() string {
		if file != "" {
			return file
		}
		return filepath.Join(data, devenv.CodecKeysFile)
	}
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the payload codec's keys (AES-256-GCM encryption of Temporal histories)",
		Long: `keys manages the key file of the payload codec (internal/codec), which seals
every payload the engine hands to Temporal — the applicant, the e-form, the
components, activity inputs and results — so that no personal data rests in
plaintext in Temporal's database. Every worker and API node of a deployment
reads the same file (--codec-keys, or MOTCUA_CODEC_KEYS); 'motcua dev' writes
DATA/codec-keys.yaml on its first start.

Rotation adds a new key and makes it current: new payloads are sealed with
it, older histories still open with the keys that sealed them. Never delete
a key while histories sealed with it are kept. Restart the workers and API
nodes to take a new key into use (payloads sealed with the new key cannot be
opened by a process that has not read it yet: rotate on all of them
together).`,
		Example: `  motcua keys init --file /etc/motcua/codec-keys.yaml
  motcua keys rotate --file /etc/motcua/codec-keys.yaml
  motcua keys show --data .motcua`,
	}
	cmd.PersistentFlags().StringVar(&file, "file", "", "the key file (default DATA/codec-keys.yaml)")
	cmd.PersistentFlags().StringVar(&data, "data", ".motcua", "data folder of 'motcua dev', whose key file is the default")
	cmd.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Create a key file with one new key (refuses to replace one)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := codec.WriteKeyFile(path())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "created %s with key %s (mode 0600): keep it secret and backed up\n", path(), id)
			return nil
		},
	}, &cobra.Command{
		Use:   "rotate",
		Short: "Add a new key and make it current; the old keys stay to open older histories",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := codec.RotateKeyFile(path())
			if err != nil {
				return err
			}
			fmt.Fprintf(s.out, "%s: key %s is now current; restart the workers and API nodes to seal with it\n", path(), id)
			return nil
		},
	}, &cobra.Command{
		Use:   "show",
		Short: "List the key ids and the current one (never the keys)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ring, err := codec.LoadKeyFile(path())
			if err != nil {
				return err
			}
			for _, id := range ring.IDs() {
				mark := ""
				if id == ring.Current() {
					mark = "  (current)"
				}
				fmt.Fprintf(s.out, "%s%s\n", id, mark)
			}
			return nil
		},
	})
	for _, c := range cmd.Commands() {
		c.SilenceUsage = true
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return usageError{errors.New("give a subcommand: init, rotate or show")}
	}
	return cmd
}
