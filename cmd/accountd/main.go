// Command accountd runs the account service.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "accountd:", err)
		os.Exit(exitStatus(err))
	}
}

// exitStatus is 2 for a command line that does not parse, as with the flag
// package, and 1 for any other failure.
func exitStatus(err error) int {
	if errors.As(err, new(*usageError)) {
		return 2
	}
	return 1
}
