package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// pgbenchTPS is what the PostgreSQL server of database does in
// PostgreSQL's own benchmark of one primary-key SELECT a transaction
// (pgbench -S -M prepared), on a scratch database, with as many clients and
// for as long as the service's loads: the ceiling of GET /v1/account, whose
// every request needs one look-up on that server, measured in the same run.
func pgbenchTPS(ctx context.Context, database string, clients int, duration time.Duration) (float64, error) {
	pgbench, err := exec.LookPath("pgbench")
	if err != nil {
		return 0, fmt.Errorf("no pgbench on PATH (it comes with PostgreSQL's client programs): %w", err)
	}
	scratch, _, drop, err := scratchStore(ctx, database)
	if err != nil {
		return 0, err
	}
	defer drop()
	if out, err := exec.CommandContext(ctx, pgbench, "-i", "-q", scratch).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("pgbench -i: %w: %s", err, out)
	}
	seconds := strconv.Itoa(max(1, int(duration/time.Second)))
	out, err := exec.CommandContext(ctx, pgbench, "-S", "-M", "prepared", "-c", strconv.Itoa(clients),
		"-j", strconv.Itoa(runtime.GOMAXPROCS(0)), "-T", seconds, scratch).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench -S: %w: %s", err, out)
	}
	m := pgbenchResult.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench -S printed no tps: %s", strings.TrimSpace(string(out)))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// pgbenchResult finds the figure pgbench ends with: "tps = 25000.123456
// (without initial connection time)".
var pgbenchResult = regexp.MustCompile(`tps = ([0-9.]+) \(without`)
