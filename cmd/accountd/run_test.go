package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"accountd/cmd/internal/cmdline"
	"accountd/cmd/internal/server"
	"accountd/mail/mailtest"
)

// syncBuffer is a bytes.Buffer the server's goroutines may write to while
// the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startServe runs `accountd serve` and returns its base URL, its log, and a
// stop function that returns run's error.
func startServe(t *testing.T, args []string, env map[string]string) (string, *syncBuffer, func() error) {
	t.Helper()
	return startServeUntil(t, args, env, "listening")
}

// startServeUntil is startServe, returning once serve logs msg with the
// address it listens on.
func startServeUntil(t *testing.T, args []string, env map[string]string, msg string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), envOf(env), &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
				stopped := false
				stop := func() error {
					if stopped {
						return nil
					}
					stopped = true
					cancel()
					select {
					case err := <-done:
						return err
					case <-time.After(15 * time.Second):
						t.Fatal("run did not return after cancel")
						return nil
					}
				}
				t.Cleanup(func() { stop() })
				return "http://" + rec.Addr, &stderr, stop
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("server did not start:\n%s", stderr.String())
	return "", nil, nil
}

func post(t *testing.T, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var env map[string]any
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, env
}

func get(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// TestServe runs the real program: flags and environment, the SQLite file,
// real SMTP, and a clean stop that leaves no secret in the log.
func TestServe(t *testing.T) {
	smtp := mailtest.Start(t)
	db := filepath.Join(t.TempDir(), "accountd.db")
	base, log, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", "sqlite:" + db}, map[string]string{
		"ACCOUNTD_SMTP_URL":          smtp.URL(),
		"ACCOUNTD_MAIL_FROM":         "accountd <no-reply@example.com>",
		"ACCOUNTD_ARGON2_MEMORY":     "1024",
		"ACCOUNTD_ARGON2_ITERATIONS": "1",
	})
	if s := get(t, base+"/healthz"); s != 200 {
		t.Fatalf("healthz %d", s)
	}
	if s := get(t, base+"/readyz"); s != 200 {
		t.Fatalf("readyz %d", s)
	}
	const pw = "a long and secret passphrase"
	status, env := post(t, base+"/v1/auth/register", "", `{"email":"run@example.com","password":"`+pw+`","firstName":"Run","lastName":"Test"}`)
	if status != 201 {
		t.Fatalf("register %d %v", status, env)
	}
	token := env["data"].(map[string]any)["token"].(string)
	m := smtp.WaitFor(t, "run@example.com", 10*time.Second)
	code := sixDigits.FindString(m.Body)
	if status, env := post(t, base+"/v1/auth/email/verify", token, `{"code":"`+code+`"}`); status != 200 {
		t.Fatalf("verify %d %v", status, env)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	// No secret key was given: one was made beside the database, for it alone.
	if fi, err := os.Stat(db + ".secret-key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("secret key file: %v %v", fi, err)
	}
	out := log.String()
	for _, secret := range []string{pw, token, code} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a secret %q", secret)
		}
	}
	if !strings.Contains(out, `"msg":"request"`) || !strings.Contains(out, `"request_id"`) || !strings.Contains(out, `"msg":"stopped"`) {
		t.Errorf("log lacks access or shutdown records:\n%s", out)
	}
}

// TestServeOnPostgres: the same program on a PostgreSQL database, which
// needs a secret key since there is no database file to keep one beside.
func TestServeOnPostgres(t *testing.T) {
	url := testPostgres(t)
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0", "--database", url}, envOf(nil), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "secret-key") {
		t.Fatalf("without a key: %v", err)
	}
	base, _, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", url, "--argon2-memory", "1024"},
		map[string]string{"ACCOUNTD_SECRET_KEY": strings.Repeat("ab", 32)})
	if s := get(t, base+"/readyz"); s != 200 {
		t.Fatalf("readyz %d", s)
	}
	email := fmt.Sprintf("pg%d@example.com", time.Now().UnixNano())
	if status, env := post(t, base+"/v1/auth/register", "", `{"email":"`+email+`","password":"a long and secret passphrase","firstName":"Pg"}`); status != 201 {
		t.Fatalf("register %d %v", status, env)
	}
	if status, env := post(t, base+"/v1/auth/login", "", `{"email":"`+email+`","password":"a long and secret passphrase"}`); status != 200 {
		t.Fatalf("login %d %v", status, env)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestServeWithoutSMTPLogsTheMail: a newcomer with no mail server finds the
// code in the log.
func TestServeWithoutSMTPLogsTheMail(t *testing.T) {
	db := filepath.Join(t.TempDir(), "accountd.db")
	base, log, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--argon2-memory", "1024"}, nil)
	if status, _ := post(t, base+"/v1/auth/register", "", `{"email":"dev@example.com","password":"a long and secret passphrase","firstName":"Dev"}`); status != 201 {
		t.Fatalf("register %d", status)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.String(), "Your verification code is") {
		if time.Now().After(deadline) {
			t.Fatalf("no mail in the log:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// One record per mail, the mail itself, and none that says it was sent.
	var mails []map[string]any
	for _, line := range strings.Split(log.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["mail_id"] != nil {
			mails = append(mails, rec)
		}
	}
	if len(mails) != 1 || mails[0]["msg"] != "mail written to this log (no SMTP server configured)" ||
		mails[0]["to"] != "dev@example.com" || !strings.Contains(fmt.Sprint(mails[0]["body"]), "Your verification code is") {
		t.Errorf("want one record of the mail, got %v", mails)
	}
}

func TestHelpListsFlagsWithTheirEnvironmentTwins(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, envOf(nil), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-addr", "ACCOUNTD_ADDR", "ACCOUNTD_DATABASE_URL", "ACCOUNTD_SMTP_URL", "ACCOUNTD_MAIL_FROM",
		"ACCOUNTD_PUBLIC_URL", "ACCOUNTD_TOKEN_TTL", "ACCOUNTD_ARGON2_MEMORY", "ACCOUNTD_RATE_LIMIT_IP", "ACCOUNTD_RATE_LIMIT_ACCOUNT"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
}

func TestMigrateAndBadConfiguration(t *testing.T) {
	db := filepath.Join(t.TempDir(), "accountd.db")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "--database", "sqlite:" + db}, envOf(nil), &out, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`schema at version [1-9]`).MatchString(out.String()) {
		t.Fatalf("migrate said %q", out.String())
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "mysql://x"}, nil, "want sqlite:PATH"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:/no/such/dir/accountd.db"}, nil,
			"database /no/such/dir/accountd.db: directory /no/such/dir does not exist"},
		{[]string{"migrate", "--database", "sqlite:/no/such/dir/accountd.db"}, nil, "directory /no/such/dir does not exist"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--mail-from", "nonsense"}, nil,
			`--mail-from "nonsense": want an address such as "accountd <no-reply@example.com>" or no-reply@example.com`},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--smtp", "smtp://mail.example.com"},
			map[string]string{"ACCOUNTD_MAIL_FROM": "accountd no-reply@example.com"}, `--mail-from "accountd no-reply@example.com": want an address`},
		{[]string{"serve"}, map[string]string{"ACCOUNTD_RATE_LIMIT_IP": "lots"}, "ACCOUNTD_RATE_LIMIT_IP"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--smtp", "ftp://x"}, nil, "smtp"},
		{[]string{"frobnicate"}, nil, "unknown command"},
	} {
		// A serve that starts after all stops here, and fails the case.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := run(ctx, c.args, envOf(c.env), &out, &out)
		cancel()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) {
			t.Errorf("%v %v: error %v, want one mentioning %q", c.args, c.env, err, c.want)
		}
	}
}

// freshDatabase creates a database of its own on the server of url and
// drops it when the test ends; it returns the URL of the new database.
func freshDatabase(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("accountd_cmd_%d", time.Now().UnixNano())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
		admin.Close(ctx)
	})
	cfg := admin.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

// TestMain runs main, instead of the tests, in a process that runMain
// starts: the way to see the exit status main gives.
func TestMain(m *testing.M) {
	if os.Getenv("ACCOUNTD_TEST_RUN_MAIN") != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runMain runs the program as a process of its own with args.
func runMain(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ACCOUNTD_TEST_RUN_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

func TestExitStatus(t *testing.T) {
	for _, c := range []struct {
		args       []string
		status     int
		wantStderr string
	}{
		{[]string{"--help"}, 0, ""},
		{[]string{"-x"}, 2, "accountd: flag provided but not defined: -x\nRun 'accountd serve --help' for usage.\n"},
		{[]string{"admin"}, 2, "accountd: no admin command given; there is one: create\nRun 'accountd admin --help' for usage.\n"},
		{[]string{"migrate", "--database", "mysql://x"}, 1, "accountd: database \"mysql://x\": want sqlite:PATH or postgres://…\n"},
	} {
		stdout, stderr, status := runMain(t, c.args...)
		if status != c.status || stderr != c.wantStderr {
			t.Errorf("accountd %v: status %d, stderr %q, want %d and %q", c.args, status, stderr, c.status, c.wantStderr)
		}
		if c.status == 0 && !strings.Contains(stdout, "Usage:") {
			t.Errorf("accountd %v: stdout %q, want the usage", c.args, stdout)
		}
	}
}

// flagNames are the flags a command's help lists.
func flagNames(help string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -(\S+)`).FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	return names
}

// TestHelp: help goes to stdout, lists the commands at the top and, for
// each command, the flags it uses and no others.
func TestHelp(t *testing.T) {
	argon2 := []string{"argon2-iterations", "argon2-memory", "argon2-parallelism"}
	for _, c := range []struct {
		args      []string
		wantFlags []string // nil: the list of commands, and no flag
	}{
		{[]string{"--help"}, nil},
		{[]string{"-h"}, nil},
		{[]string{"help"}, nil},
		{[]string{"admin", "--help"}, nil},
		{[]string{"serve", "--help"}, []string{"addr", "argon2-iterations", "argon2-memory", "argon2-parallelism", "cors-origins", "database",
			"hash-concurrency", "issuer", "log-level", "login-verify-after", "mail-from", "metrics-addr", "proxy-header", "public-url", "rate-limit-account", "rate-limit-ip",
			"secret-key", "shutdown-timeout", "smtp", "store-wait", "token-ttl", "trusted-proxies"}},
		{[]string{"migrate", "--help"}, []string{"database"}},
		{[]string{"admin", "create", "--help"}, slices.Concat(argon2, []string{"database", "email", "first-name", "last-name", "log-level"})},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), c.args, envOf(nil), &stdout, &stderr); err != nil || stderr.Len() > 0 {
			t.Errorf("%v: error %v, stderr %q", c.args, err, stderr.String())
			continue
		}
		got := flagNames(stdout.String())
		switch {
		case c.wantFlags == nil && c.args[0] != "admin" && !strings.Contains(stdout.String(), "accountd migrate [flags]"):
			t.Errorf("%v lists no commands:\n%s", c.args, stdout.String())
		case c.wantFlags == nil && c.args[0] == "admin" && !strings.Contains(stdout.String(), "accountd admin create"):
			t.Errorf("%v lists no admin command:\n%s", c.args, stdout.String())
		case !slices.Equal(got, c.wantFlags):
			t.Errorf("%v lists the flags %v, want %v", c.args, got, c.wantFlags)
		}
	}
}

// TestUsageErrors: a command line that does not parse is a UsageError,
// whose message is the error and a line pointing to the command's help;
// nothing else is written.
func TestUsageErrors(t *testing.T) {
	// Flags before the wrong one keep a command that took it from doing much.
	db := "sqlite:" + filepath.Join(t.TempDir(), "accountd.db")
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-x"}, nil, "flag provided but not defined: -x\nRun 'accountd serve --help' for usage."},
		{[]string{"serve", "--token-ttl", "lots"}, nil, "invalid value \"lots\" for flag -token-ttl: parse error\nRun 'accountd serve --help' for usage."},
		{[]string{"serve"}, map[string]string{"ACCOUNTD_TOKEN_TTL": "lots"}, "$ACCOUNTD_TOKEN_TTL: parse error\nRun 'accountd serve --help' for usage."},
		{[]string{"serve", "now"}, nil, "unexpected argument \"now\"\nRun 'accountd serve --help' for usage."},
		{[]string{"frobnicate"}, nil, "unknown command \"frobnicate\"\nRun 'accountd --help' for usage."},
		{[]string{"admin"}, nil, "no admin command given; there is one: create\nRun 'accountd admin --help' for usage."},
		{[]string{"admin", "delete"}, nil, "unknown admin command \"delete\"\nRun 'accountd admin --help' for usage."},
		{[]string{"admin", "create", "--database", db, "--addr", ":0"}, nil, "flag provided but not defined: -addr\nRun 'accountd admin create --help' for usage."},
		{[]string{"bench"}, nil, "unknown command \"bench\"\nRun 'accountd --help' for usage."},
		{[]string{"serve", "--trusted-proxies", "10.0.0.0/8,proxy.local"}, nil, "invalid value \"10.0.0.0/8,proxy.local\" for flag -trusted-proxies: \"proxy.local\" is no CIDR (such as 10.0.0.0/8) or address\nRun 'accountd serve --help' for usage."},
		{[]string{"serve", "--proxy-header", "X-Real-IP"}, nil, "invalid value \"X-Real-IP\" for flag -proxy-header: want X-Forwarded-For or Forwarded\nRun 'accountd serve --help' for usage."},
		{[]string{"migrate", "--database", db, "--log-level", "info"}, nil, "flag provided but not defined: -log-level\nRun 'accountd migrate --help' for usage."},
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

// TestBusyPortFailsFirst: a port taken fails the start before the store
// is created or a key file written.
func TestBusyPortFailsFirst(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	var out bytes.Buffer
	err = run(context.Background(), []string{"serve", "--addr", taken.Addr().String(), "--database", "sqlite:" + filepath.Join(dir, "accountd.db")},
		envOf(nil), &out, &out)
	if err == nil || !strings.Contains(err.Error(), taken.Addr().String()) {
		t.Fatalf("serve on a busy port: %v, want an error naming %s", err, taken.Addr())
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("serve on a busy port left %v", entries)
	}
}

// TestPublicURLFollowsTheListenAddress: without --public-url, mails link to
// the address listened on, its port resolved and "every interface" as
// localhost; with it, to what it says.
func TestPublicURLFollowsTheListenAddress(t *testing.T) {
	smtp := mailtest.Start(t)
	for i, c := range []struct {
		addr, publicURL string
		want            func(listened string) string
	}{
		{"127.0.0.1:0", "", func(listened string) string { return "http://" + listened }},
		{":0", "", func(listened string) string {
			return "http://localhost:" + listened[strings.LastIndex(listened, ":")+1:]
		}},
		{"127.0.0.1:0", "https://accounts.example.com", func(string) string { return "https://accounts.example.com" }},
	} {
		t.Run(c.addr+" "+c.publicURL, func(t *testing.T) {
			args := []string{"--addr", c.addr, "--database", "sqlite:" + filepath.Join(t.TempDir(), "accountd.db"),
				"--smtp", smtp.URL(), "--mail-from", "no-reply@example.com", "--argon2-memory", "64", "--argon2-iterations", "1"}
			if c.publicURL != "" {
				args = append(args, "--public-url", c.publicURL)
			}
			base, _, _ := startServe(t, args, nil)
			listened := strings.TrimPrefix(base, "http://")
			email := fmt.Sprintf("public-url-%d@example.com", i)
			if status, env := post(t, "http://127.0.0.1:"+listened[strings.LastIndex(listened, ":")+1:]+"/v1/auth/register", "",
				`{"email":"`+email+`","password":"a long and secret passphrase","firstName":"Url"}`); status != 201 {
				t.Fatalf("register %d %v", status, env)
			}
			m := smtp.WaitFor(t, email, 10*time.Second)
			if want := c.want(listened); !slices.Contains(strings.Split(m.Body, "\n"), want) {
				t.Errorf("the mail does not link to %s:\n%s", want, m.Body)
			}
		})
	}
}

// TestGitIgnoresTheDatabaseAndItsKey: a first start at the repository's
// root leaves nothing for git to offer to commit.
func TestGitIgnoresTheDatabaseAndItsKey(t *testing.T) {
	root := filepath.Join("..", "..")
	if err := exec.Command("git", "-C", root, "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skipf("not in a git work tree: %v", err)
	}
	for _, name := range []string{"accountd.db", "accountd.db-shm", "accountd.db-wal", "accountd.db" + server.KeyFileSuffix, "accountd.db.key"} {
		if err := exec.Command("git", "-C", root, "check-ignore", "-q", name).Run(); err != nil {
			t.Errorf("git does not ignore %s: %v", name, err)
		}
	}
}

// TestMisconfiguredPostgresAtStart: a database the server does not have is
// reported as that, not as a server to try again shortly.
func TestMisconfiguredPostgresAtStart(t *testing.T) {
	u, err := url.Parse(testPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/accountd_no_such_database"
	var out bytes.Buffer
	err = run(context.Background(), serveArgs(u.String()), envOf(nil), &out, &out)
	if err == nil || !strings.Contains(err.Error(), `database "accountd_no_such_database" does not exist`) ||
		!strings.Contains(err.Error(), "fix the database name in the database URL") || strings.Contains(err.Error(), "try again") {
		t.Errorf("serve on a database that does not exist: %v", err)
	}
}
