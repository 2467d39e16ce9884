// Command accountd-bench measures the account service on this machine: it
// starts the service on scratch stores and drives it over loopback, printing
// throughput and latency beside baselines measured in the same run.
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"accountd"
	"accountd/cmd/internal/cmdline"
	"accountd/cmd/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "accountd-bench:", err)
		os.Exit(cmdline.ExitStatus(err))
	}
}

const benchUsage = `Usage: accountd-bench [flags]

Starts the service on scratch stores and drives it over loopback, printing
throughput and latency beside baselines measured in the same run.
`

// run is the whole program: main only hands it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := server.DefaultConfig()
	fs := cmdline.NewFlagSet("accountd-bench")
	// Of accountd serve's flags, those that bear on the figures; the bench
	// sets the others it needs itself, below.
	c.Flags(fs, "database", "argon2-memory", "argon2-iterations", "argon2-parallelism", "hash-concurrency")
	duration := fs.Duration("duration", 10*time.Second, "how long each load runs")
	clients := fs.Int("clients", 32, "concurrent clients of each load")
	users := fs.Int("users", 200, "accounts to register before the loads")
	writers := fs.Int("writers", 64, "concurrent clients of the PATCH loads")
	crowd := fs.Int("crowd", 1000, "concurrent logins of the memory test")
	loads := fs.String("loads", "account,login,patch,memory,search", "which loads to run, of account, login, patch, memory and search")
	searchSizes := fs.String("search-accounts", "100000,1000000", "population sizes of the search load")
	// Latency is measured at the machine's parallelism: more clients than
	// cores measure the queue in front of them.
	searchClients := fs.Int("search-clients", runtime.GOMAXPROCS(0), "concurrent clients of the search load")
	compare := fs.String("compare", "", "a second store, sqlite: or postgres://…, to run every load on too; its figures are printed beside")
	cpuProfile := fs.String("cpuprofile", "", "a file to write a CPU profile of the whole run to, client and server alike")
	if err := cmdline.Parse(fs, benchUsage, args, getenv, stdout); err != nil {
		return cmdline.IgnoreHelp(err)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	selected := map[string]bool{}
	for _, l := range strings.Split(*loads, ",") {
		switch l = strings.TrimSpace(l); l {
		case "account", "login", "patch", "memory", "search":
			selected[l] = true
		default:
			return fmt.Errorf("--loads: unknown load %q", l)
		}
	}
	var sizes []int
	for _, s := range strings.Split(*searchSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("--search-accounts: %q is not a number of accounts", s)
		}
		sizes = append(sizes, n)
	}
	// The loads come from one address and a few accounts: limits would
	// measure themselves, not the service.
	c.Service.IPLimit, c.Service.AccountLimit = accountd.Rate{}, accountd.Rate{}
	c.Addr = "127.0.0.1:0"
	// Scratch stores need no key that outlives them.
	c.SecretKey = hex.EncodeToString(server.RandomKey())

	databases := []string{c.Database}
	if *compare != "" {
		databases = append(databases, *compare)
	}
	w := &table{out: stdout, figures: map[string][]string{}}
	for i, database := range databases {
		w.store = i
		if selected["account"] || selected["login"] || selected["patch"] || selected["memory"] {
			o := serviceLoads{run: selected, duration: *duration, clients: *clients, users: *users, writers: *writers, crowd: *crowd}
			scratch, _, drop, err := scratchStore(ctx, database)
			if err != nil {
				return err
			}
			c.Database = scratch
			err = benchService(ctx, c, o, w)
			if err := errors.Join(err, drop()); err != nil {
				return err
			}
		}
		if selected["search"] {
			c.Database = database
			if err := benchSearch(ctx, c, sizes, *searchClients, *duration, w); err != nil {
				return err
			}
		}
	}
	if len(databases) > 1 {
		w.sideBySide(databases)
	}
	return nil
}
