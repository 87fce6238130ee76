// Command sandbox runs the Azure auth learning sandbox: the web app, its
// JSON API, the simulated Azure and the proxy that lets a learner's own
// program reach it, all on one address.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "lessons" {
		return lessonsCommand(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "azure" {
		return azureCommand(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "instructor" {
		return instructorCommand(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "keys" {
		return keysCommand(ctx, args[1:], stdout, stderr, getenv)
	}
	m := NewMain(stdout, stderr, getenv)
	if err := m.ParseFlags(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "sandbox:", err)
		return 2
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(stderr, "sandbox:", err)
		m.Close()
		return 1
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "sandbox: shutting down")
	case err := <-m.Done():
		fmt.Fprintln(stderr, "sandbox: server stopped:", err)
	}
	if err := m.Close(); err != nil {
		fmt.Fprintln(stderr, "sandbox: close:", err)
		return 1
	}
	return 0
}
