package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"

	"accountd"
	"accountd/cmd/internal/cmdline"
	"accountd/cmd/internal/server"
)

const adminCreateUsage = `Usage: accountd admin create --email EMAIL --first-name NAME [--last-name NAME] [flags]

Opens an admin account with a verified email: the first admin, who can then
make others admin or partner through PATCH /v1/admin/accounts/{id}. The
password is read from $ACCOUNTD_ADMIN_PASSWORD; without it, a random one is
made and printed once.
`

const adminUsage = adminCreateUsage + `
Run 'accountd admin create --help' for its flags.
`

// admin runs the admin subcommands; there is one, create.
func admin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	switch {
	case len(args) == 0:
		return &cmdline.UsageError{Cmd: "accountd admin", Err: errors.New("no admin command given; there is one: create")}
	case slices.Contains(helpArgs, args[0]):
		fmt.Fprint(stdout, adminUsage)
		return nil
	case args[0] != "create":
		return &cmdline.UsageError{Cmd: "accountd admin", Err: fmt.Errorf("unknown admin command %q", args[0])}
	}
	c := server.DefaultConfig()
	var in accountd.ManagedAccountInput
	fs := cmdline.NewFlagSet("accountd admin create")
	// The password is hashed at the cost serve would hash it.
	c.Flags(fs, "database", "argon2-memory", "argon2-iterations", "argon2-parallelism", "log-level")
	fs.StringVar(&in.Email, "email", "", "the admin's email address")
	fs.StringVar(&in.FirstName, "first-name", "", "the admin's first name")
	fs.StringVar(&in.LastName, "last-name", "", "the admin's last name")
	if err := cmdline.Parse(fs, adminCreateUsage, args[1:], getenv, stdout); err != nil {
		return cmdline.IgnoreHelp(err)
	}
	in.Password = getenv("ACCOUNTD_ADMIN_PASSWORD")
	generated := in.Password == ""
	if generated {
		in.Password = rand.Text()
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: c.LogLevel}))
	db, err := server.OpenStore(ctx, c.Database, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := accountd.NewService(db, accountd.NewHasher(c.Hash, c.HashConcurrent), nil, c.Service, log)
	a, err := svc.CreateAdmin(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "admin %s created with id %s\n", a.Email, a.ID)
	if generated {
		fmt.Fprintf(stdout, "password: %s\n(shown once; change it after signing in)\n", in.Password)
	}
	return nil
}
