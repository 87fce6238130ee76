package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/azure-auth-sandbox/sandbox/azure"
	"github.com/azure-auth-sandbox/sandbox/store"
)

// Environment variables of the real-mode flags.
const (
	envAzureSubscription = "SANDBOX_AZURE_SUBSCRIPTION"
	envAzureLocation     = "SANDBOX_AZURE_LOCATION"
	envAzurePrefix       = "SANDBOX_AZURE_RESOURCE_GROUP_PREFIX"
	envAzureCloud        = "SANDBOX_AZURE_CLOUD"
)

// preflightTimeout bounds the preflight: a token, three ARM reads and two
// Graph calls, with the SDK's retries.
const preflightTimeout = 2 * time.Minute

// azureFlags adds the real-mode flags to fs, defaults from the environment.
func azureFlags(fs *flag.FlagSet, c *azure.Config, getenv func(string) string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Subscription, "azure-subscription", env(envAzureSubscription, ""),
		"Azure subscription `ID` that turns real Azure mode on: sandboxes can then run against real Entra ID, ARM, Key Vault and Queue Storage, provisioned with this server's own DefaultAzureCredential ["+envAzureSubscription+"]")
	fs.StringVar(&c.Location, "azure-location", env(envAzureLocation, azure.DefaultLocation),
		"Azure `region` of real-mode sandboxes' resources ["+envAzureLocation+"]")
	fs.StringVar(&c.ResourceGroupPrefix, "azure-resource-group-prefix", env(envAzurePrefix, azure.DefaultPrefix),
		"`prefix` of real-mode sandboxes' resource groups and app registrations (the sandbox ID follows) ["+envAzurePrefix+"]")
	fs.StringVar(&c.Cloud, "azure-cloud", env(envAzureCloud, azure.DefaultCloud),
		"Azure `cloud`: public, china or usgovernment ["+envAzureCloud+"]")
}

// azureCommand runs "sandbox azure check" and "sandbox azure cleanup".
func azureCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	const usage = "usage: sandbox azure check [--azure-subscription SUB] [--azure-cloud C]\n" +
		"       sandbox azure cleanup [--azure-subscription SUB] [--data DIR] [--yes]"
	if len(args) == 0 || (args[0] != "check" && args[0] != "cleanup") {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("sandbox azure "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg azure.Config
	azureFlags(fs, &cfg, getenv)
	var yes bool
	var dataDir string
	if args[0] == "cleanup" {
		fs.BoolVar(&yes, "yes", false, "delete what is listed (without it, only list)")
		fs.StringVar(&dataDir, "data", getenv(envData), "the server's data `directory`: its live sandboxes are kept ["+envData+"]")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(stderr, "sandbox:", err)
		return 2
	}
	if !cfg.Enabled() {
		fmt.Fprintln(stderr, "sandbox: --azure-subscription (or "+envAzureSubscription+") is required")
		return 2
	}
	client, err := newAzureClient(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "sandbox:", err)
		return 1
	}
	if args[0] == "cleanup" {
		return azureCleanup(ctx, cfg, client, dataDir, yes, stdout, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, preflightTimeout)
	defer cancel()
	rep := azure.Preflight(ctx, cfg, client)
	rep.Print(stdout)
	if !rep.Ready() {
		return 1
	}
	return 0
}

// newAzureClient builds the server's own credential and a client of the
// configured subscription, on the default transport (HTTPS_PROXY honoured).
func newAzureClient(cfg azure.Config) (*azure.Client, error) {
	ep, err := azure.EndpointsOf(cfg.Cloud)
	if err != nil {
		return nil, err
	}
	cred, err := azure.NewCredential(ep, nil)
	if err != nil {
		return nil, err
	}
	return azure.NewClient(ep, cfg.Subscription, cred, nil)
}

// azureCleanup lists the resource groups tagged with a sandbox ID and the
// sandboxes' app registrations; with --yes it deletes them, except those of
// sandboxes the server in --data still has (they are in use).
func azureCleanup(ctx context.Context, cfg azure.Config, client *azure.Client, dataDir string, yes bool, stdout, stderr io.Writer) int {
	inUse := map[string]bool{}
	if dataDir != "" {
		db, err := store.Open(ctx, filepath.Join(dataDir, dbFile))
		if err != nil {
			fmt.Fprintln(stderr, "sandbox: azure cleanup:", err)
			return 1
		}
		rows, err := db.AzureSandboxes(ctx)
		db.Close()
		if err != nil {
			fmt.Fprintln(stderr, "sandbox: azure cleanup:", err)
			return 1
		}
		for key, data := range rows {
			var sb azure.Sandbox
			if json.Unmarshal(data, &sb) == nil && sb.Status != azure.StatusDeleting && sb.Key == key {
				inUse[sb.ID] = true
			}
		}
	}
	left, err := azure.Leftovers(ctx, cfg, client)
	if err != nil {
		fmt.Fprintln(stderr, "sandbox: azure cleanup:", err)
		return 1
	}
	if len(left) == 0 {
		fmt.Fprintln(stdout, "Nothing to clean up.")
		return 0
	}
	failed := false
	for _, l := range left {
		switch {
		case inUse[l.SandboxID]:
			fmt.Fprintf(stdout, "in use   %s %s (sandbox %s)\n", l.Kind, l.Name, l.SandboxID)
		case !yes:
			fmt.Fprintf(stdout, "leftover %s %s (sandbox %s)\n", l.Kind, l.Name, l.SandboxID)
		default:
			if err := azure.DeleteLeftover(ctx, client, l); err != nil {
				fmt.Fprintf(stdout, "FAILED   %s %s: %v\n", l.Kind, l.Name, err)
				failed = true
				continue
			}
			fmt.Fprintf(stdout, "deleted  %s %s (sandbox %s)\n", l.Kind, l.Name, l.SandboxID)
		}
	}
	if !yes {
		fmt.Fprintln(stdout, "Run again with --yes to delete the leftovers.")
	}
	if failed {
		return 1
	}
	return 0
}
