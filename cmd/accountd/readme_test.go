package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeWalkHeading is the README section whose sh blocks
// TestREADMEWalkThrough runs.
const readmeWalkHeading = "## A walk through the API"

// TestREADMEWalkThrough runs the README's walk through the API as a reader
// would: its sh blocks, in order, in one bash, from the repository root,
// against a fresh server that writes its mail to the log. The blocks are
// read from the README itself so that they cannot drift from what is
// tested.
func TestREADMEWalkThrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing, and CI must run the README's walk-through: %v", tool, err)
			}
			t.Skipf("%s is missing (apt-get install curl jq): %v", tool, err)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(readme), readmeWalkHeading, "sh")
	if err != nil {
		t.Fatal(err)
	}
	// bash runs with -e whatever the README says, so that no failing step
	// can pass; the README must say it too, for those who paste the blocks.
	if !strings.HasPrefix(blocks[0], "set -euo pipefail\n") {
		t.Fatalf("the first block of %q must begin with set -euo pipefail, so that a failing step stops the reader's shell:\n%s", readmeWalkHeading, blocks[0])
	}

	dir := t.TempDir()
	logPath := filepath.Join(dir, "accountd.log")
	env := map[string]string{
		"ACCOUNTD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "accountd.db"),
		// Cheap hashing, for the server and for the README's admin command.
		"ACCOUNTD_ARGON2_MEMORY":     "64",
		"ACCOUNTD_ARGON2_ITERATIONS": "1",
		// No SMTP server and the default rate limits: what a reader who
		// follows the README gets.
	}
	api, stop := startReadmeServer(t, env, logPath)

	script := filepath.Join(dir, "walk.sh")
	if err := os.WriteFile(script, []byte(strings.Join(blocks, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-u", "-o", "pipefail", script)
	cmd.Dir = root // where the README's go run finds ./cmd/accountd
	cmd.Env = append(readmeEnviron(), "API="+api, "LOG="+logPath)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.WaitDelay = 5 * time.Second
	out, runErr := cmd.CombinedOutput()
	t.Logf("the walk-through's output:\n%s", out)
	if err := stop(); err != nil {
		t.Errorf("server did not stop cleanly: %v", err)
	}
	if runErr != nil {
		t.Fatalf("the walk-through in README.md failed (its output is above): %v\nthe server's log ends:\n%s", runErr, readmeLogTail(logPath, 30))
	}
	if n := readmeRequests(t, logPath); n == 0 {
		t.Fatalf("the server logged no request: the blocks do not use $API")
	}
}

// readmeBlocks returns the bodies of the fences of language lang in the
// section of markdown titled heading, up to the next heading of its level
// or above; an error when the section is missing or has none.
func readmeBlocks(markdown, heading, lang string) ([]string, error) {
	var blocks []string
	var body []string
	inSection, found := false, false
	fence := "" // the info string of the fence open, "" outside one
	inFence := false
	for i, line := range strings.Split(markdown, "\n") {
		switch {
		case inFence && strings.TrimSpace(line) == "```":
			if inSection && fence == lang {
				blocks = append(blocks, strings.Join(body, "\n")+"\n")
			}
			inFence, body = false, nil
		case inFence:
			body = append(body, line)
		case strings.HasPrefix(line, "```"):
			inFence, fence = true, strings.TrimSpace(strings.TrimPrefix(line, "```"))
		case line == heading:
			if found {
				return nil, fmt.Errorf("README.md: line %d: a second section %q", i+1, heading)
			}
			inSection, found = true, true
		case strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## "):
			inSection = false
		}
	}
	switch {
	case inFence:
		return nil, errors.New("README.md: a code fence is not closed")
	case !found:
		return nil, fmt.Errorf("README.md has no section %q", heading)
	case len(blocks) == 0:
		return nil, fmt.Errorf("README.md: section %q has no %s blocks", heading, lang)
	}
	return blocks, nil
}

// startReadmeServer runs serve on a free loopback port with its log in
// logPath, and returns its base URL and a stop that returns run's error.
func startReadmeServer(t *testing.T, env map[string]string, logPath string) (string, func() error) {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, getenv, &bytes.Buffer{}, logFile)
	}()
	stopped := false
	var stopErr error
	stop := func() error {
		if stopped {
			return stopErr
		}
		stopped = true
		cancel()
		select {
		case stopErr = <-done:
		case <-time.After(20 * time.Second):
			stopErr = errors.New("run did not return after cancel")
		}
		logFile.Close()
		return stopErr
	}
	t.Cleanup(func() { stop() })
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if addr := readmeListening(logPath); addr != "" {
			return "http://" + addr, stop
		}
		select {
		case err := <-done:
			t.Fatalf("serve returned early: %v\n%s", err, readmeLogTail(logPath, 30))
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s", readmeLogTail(logPath, 30))
	return "", nil
}

// readmeListening returns the address of the log's "listening" record, or
// "" before there is one.
func readmeListening(logPath string) string {
	b, _ := os.ReadFile(logPath)
	for line := range strings.Lines(string(b)) {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
			return rec.Addr
		}
	}
	return ""
}

// readmeRequests counts the requests the server logged.
func readmeRequests(t *testing.T, logPath string) int {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	s.Buffer(nil, 1<<20)
	for s.Scan() {
		var rec struct{ Msg string }
		if json.Unmarshal(s.Bytes(), &rec) == nil && rec.Msg == "request" {
			n++
		}
	}
	return n
}

// readmeLogTail is the last n lines of the log, for a failure's message.
func readmeLogTail(logPath string, n int) string {
	b, _ := os.ReadFile(logPath)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// readmeEnviron is this process's environment without what would point
// the walk-through elsewhere: the server and admin command settings, and
// API and LOG, which the test sets.
func readmeEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "ACCOUNTD_") || name == "API" || name == "LOG" {
			continue
		}
		out = append(out, kv)
	}
	return out
}
