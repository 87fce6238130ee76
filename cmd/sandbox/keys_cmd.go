package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/azure-auth-sandbox/sandbox/sim/entra"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// keysCommand runs "sandbox keys rotate [--data DIR]": a new active
// token-signing key, the previous ones kept for validation (as Entra ID
// publishes several keys in its JWKS), so tokens already issued stay valid.
// A running server picks the new key up at its next start.
func keysCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] != "rotate" {
		fmt.Fprintln(stderr, "usage: sandbox keys rotate [--data DIR]")
		return 2
	}
	fs := flag.NewFlagSet("sandbox keys rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := getenv(envData)
	if def == "" {
		def = "./sandbox-data"
	}
	dir := fs.String("data", def, "data `directory` of the sandbox ["+envData+"]")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if err := rotateKeys(ctx, filepath.Join(*dir, dbFile), stdout); err != nil {
		fmt.Fprintln(stderr, "sandbox: keys rotate:", err)
		return 1
	}
	return 0
}

func rotateKeys(ctx context.Context, dbPath string, stdout io.Writer) error {
	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	data, err := db.Secret(ctx, secretSigningKeys)
	if err != nil {
		return fmt.Errorf("no signing keys yet (start the server once): %w", err)
	}
	ks, err := entra.ParseKeySet(data)
	if err != nil {
		return err
	}
	old := ks.ActiveKID()
	if err := ks.Rotate(); err != nil {
		return err
	}
	if err := db.PutSecret(ctx, secretSigningKeys, ks.PEM()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "new signing key %s (was %s); keys published: %v\nRestart the server to sign with it; tokens signed with the older keys stay valid until they expire.\n",
		ks.ActiveKID(), old, ks.KIDs())
	return nil
}
