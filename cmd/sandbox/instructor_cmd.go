package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/azure-auth-sandbox/sandbox/store"
)

const instructorUsage = `usage: sandbox instructor add NAME [--data DIR] [--public-url URL]
       sandbox instructor remove NAME [--data DIR]
       sandbox instructor list [--data DIR]`

// instructorCommand runs "sandbox instructor add|remove|list". add prints a
// one-time sign-in link (the store keeps only its hash; adding the same name
// again prints a new link and voids the unused one); remove revokes the
// link and every browser the instructor signed in with. A running server
// sees the change at once (it reads the same database).
func instructorCommand(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, instructorUsage)
		return 2
	}
	verb := args[0]
	switch verb {
	case "add", "remove", "list":
	default:
		fmt.Fprintln(stderr, instructorUsage)
		return 2
	}
	fs := flag.NewFlagSet("sandbox instructor "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", cmp.Or(getenv(envData), "./sandbox-data"), "data `directory` of the sandbox ["+envData+"]")
	public := fs.String("public-url", cmp.Or(getenv(envPublicURL), "http://127.0.0.1:8080"),
		"`URL` the server is reached at, for the printed link ["+envPublicURL+"]")
	// The name may come before or after the flags.
	var name string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if verb != "list" && strings.TrimSpace(name) == "" {
		fmt.Fprintln(stderr, instructorUsage)
		return 2
	}
	db, err := store.Open(ctx, filepath.Join(*dir, dbFile))
	if err != nil {
		fmt.Fprintln(stderr, "sandbox: instructor:", err)
		return 1
	}
	defer db.Close()
	switch verb {
	case "add":
		base, err := url.Parse(*public)
		if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
			fmt.Fprintln(stderr, "sandbox: instructor add: --public-url must be an http(s) URL")
			return 2
		}
		token := oneTimeToken()
		in, err := db.AddInstructor(ctx, name, token)
		if err != nil {
			fmt.Fprintln(stderr, "sandbox: instructor add:", err)
			return 1
		}
		link := strings.TrimSuffix(base.String(), "/") + "/instructor/signin?token=" + token
		fmt.Fprintf(stdout, "Instructor %q can sign in once with this link (keep it private; it works once):\n\n  %s\n\nAfter signing in, the browser stays signed in. \"sandbox instructor remove %s\" revokes it.\n",
			in.Name, link, in.Name)
	case "remove":
		if err := db.RemoveInstructor(ctx, name); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				fmt.Fprintf(stderr, "sandbox: instructor remove: no instructor named %q\n", name)
				return 1
			}
			fmt.Fprintln(stderr, "sandbox: instructor remove:", err)
			return 1
		}
		fmt.Fprintf(stdout, "Instructor %q removed: their link and signed-in browsers no longer work; their workshops' progress is kept.\n", name)
	case "list":
		ins, err := db.Instructors(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "sandbox: instructor list:", err)
			return 1
		}
		for _, in := range ins {
			fmt.Fprintf(stdout, "%s\tadded %s\n", in.Name, in.CreatedAt.Format("2006-01-02 15:04 UTC"))
		}
	default:
		fmt.Fprintln(stderr, instructorUsage)
		return 2
	}
	return 0
}

// oneTimeToken is 32 random bytes, base64url (URL-safe, 43 characters).
func oneTimeToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
