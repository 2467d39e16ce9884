package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"serve"}, args...), envOf(env), &stdout, &stderr) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
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
	if fi, err := os.Stat(db + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
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
		{[]string{"serve", "--database", "mysql://x"}, nil, "want sqlite:PATH"},
		{[]string{"serve"}, map[string]string{"ACCOUNTD_RATE_LIMIT_IP": "lots"}, "ACCOUNTD_RATE_LIMIT_IP"},
		{[]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--smtp", "ftp://x"}, nil, "smtp"},
		{[]string{"frobnicate"}, nil, "unknown command"},
	} {
		err := run(context.Background(), c.args, envOf(c.env), &out, &out)
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
