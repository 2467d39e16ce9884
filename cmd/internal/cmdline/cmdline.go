// Package cmdline is the command line every accountd command shares: flags
// read from the arguments and then from their ACCOUNTD_ environment twins,
// help on stdout, and usage errors that exit with status 2.
package cmdline

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// UsageError is a command line that does not parse. ExitStatus makes it 2,
// as the flag package does, and its message points to the command's help
// rather than printing all of it.
type UsageError struct {
	Cmd string // the command whose help to point to, such as "accountd serve"
	Err error
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("%v\nRun '%s --help' for usage.", e.Err, e.Cmd)
}

func (e *UsageError) Unwrap() error { return e.Err }

// ExitStatus is 2 for a command line that does not parse, as with the flag
// package, and 1 for any other failure.
func ExitStatus(err error) int {
	if errors.As(err, new(*UsageError)) {
		return 2
	}
	return 1
}

// NewFlagSet returns the flag set of the command name, such as "accountd
// serve". It writes nothing itself: Parse prints the help, and main the
// error of a command line that does not parse, without the whole help
// after it.
func NewFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// envName is a flag's environment twin.
func envName(flagName string) string {
	switch flagName {
	case "database":
		return "ACCOUNTD_DATABASE_URL"
	case "smtp":
		return "ACCOUNTD_SMTP_URL"
	}
	return "ACCOUNTD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse reads args, then fills each flag not given there from its
// environment twin. Asked for help, it prints help, the command's usage
// and then its flags, to stdout and returns flag.ErrHelp. A command line
// or environment that does not parse is a UsageError.
func Parse(fs *flag.FlagSet, help string, args []string, getenv func(string) string, stdout io.Writer) error {
	fs.VisitAll(func(f *flag.Flag) { f.Usage = fmt.Sprintf("%s [$%s]", f.Usage, envName(f.Name)) })
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help, "\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return &UsageError{Cmd: fs.Name(), Err: err}
	}
	if fs.NArg() > 0 {
		return &UsageError{Cmd: fs.Name(), Err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if given[f.Name] || v == "" || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = &UsageError{Cmd: fs.Name(), Err: fmt.Errorf("$%s: %w", envName(f.Name), e)}
		}
	})
	return err
}

// IgnoreHelp is err, or nil for the flag.ErrHelp of help already printed.
func IgnoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
