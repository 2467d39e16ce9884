package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"accountd/cmd/internal/cmdline"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// flagNames are the flags a command's help lists.
func flagNames(help string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestHelp: help goes to stdout and lists the flags the bench uses and no
// others.
func TestHelp(t *testing.T) {
	argon2 := []string{"argon2-iterations", "argon2-memory", "argon2-parallelism"}
	for _, c := range []struct {
		args      []string
		wantFlags []string
	}{
		{[]string{"-h"}, slices.Concat(argon2, []string{"clients", "compare", "cpuprofile", "crowd", "database", "duration",
			"hash-concurrency", "loads", "search-accounts", "search-clients", "users", "writers"})},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), c.args, envOf(nil), &stdout, &stderr); err != nil || stderr.Len() > 0 {
			t.Errorf("%v: error %v, stderr %q", c.args, err, stderr.String())
			continue
		}
		if got := flagNames(stdout.String()); !slices.Equal(got, c.wantFlags) {
			t.Errorf("%v lists the flags %v, want %v", c.args, got, c.wantFlags)
		}
	}
}

// TestUsageErrors: a command line that does not parse is a UsageError,
// whose message is the error and a line pointing to the bench's help;
// nothing else is written.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--loads", "none", "--smtp", "smtp://x"}, nil, "flag provided but not defined: -smtp\nRun 'accountd-bench --help' for usage."},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), c.args, envOf(c.env), &stdout, &stderr)
		var usage *cmdline.UsageError
		if !errors.As(err, &usage) || err.Error() != c.want || cmdline.ExitStatus(err) != 2 {
			t.Errorf("%v: %#v, want a UsageError %q", c.args, err, c.want)
		}
		if stdout.Len()+stderr.Len() > 0 {
			t.Errorf("%v wrote %q to stdout and %q to stderr", c.args, stdout.String(), stderr.String())
		}
	}
}
