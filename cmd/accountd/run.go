package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"accountd/cmd/internal/cmdline"
	"accountd/cmd/internal/server"
)

const usage = `accountd: the account service.

Usage:
  accountd [serve] [flags]   start the HTTP server (the default)
  accountd migrate [flags]   bring the database schema up to date and exit
  accountd admin create ...  open the first admin account

Run 'accountd COMMAND --help' for the flags of a command. Every flag also
reads an ACCOUNTD_ environment variable, named in its help.
`

// helpArgs ask for help, as a command or as a flag.
var helpArgs = []string{"help", "-h", "-help", "--help"}

// run is the whole program: main only hands it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || slices.Contains(helpArgs, args[0])) {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case cmd == "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case cmd == "admin":
		return admin(ctx, args, getenv, stdout, stderr)
	case slices.Contains(helpArgs, cmd):
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &cmdline.UsageError{Cmd: "accountd", Err: fmt.Errorf("unknown command %q", cmd)}
	}
}

const migrateUsage = `Usage: accountd migrate [flags]

Brings the database schema up to date and exits.
`

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := server.DefaultConfig()
	fs := cmdline.NewFlagSet("accountd migrate")
	c.Flags(fs, "database")
	if err := cmdline.Parse(fs, migrateUsage, args, getenv, stdout); err != nil {
		return cmdline.IgnoreHelp(err)
	}
	db, err := server.OpenStore(ctx, c.Database, slog.New(slog.NewJSONHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d\n", v)
	return nil
}

const serveUsage = `Usage: accountd [serve] [flags]

Serves the account API over HTTP until SIGINT or SIGTERM, after bringing
the database schema up to date. Every flag also reads the environment
variable named in its help.
`

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := server.DefaultConfig()
	fs := cmdline.NewFlagSet("accountd serve")
	c.Flags(fs)
	if err := cmdline.Parse(fs, serveUsage, args, getenv, stdout); err != nil {
		return cmdline.IgnoreHelp(err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	app, err := server.Start(ctx, c, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return app.Stop()
}
