// Command accountd runs the account service.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"accountd/cmd/internal/cmdline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "accountd:", err)
		os.Exit(cmdline.ExitStatus(err))
	}
}
