package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAdminCreate makes the first admin from the command line, signs in
// with the generated password, and refuses the same email twice.
func TestAdminCreate(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "accountd.db")
	args := []string{"admin", "create", "--database", db, "--email", "root@example.com", "--first-name", "Root",
		"--argon2-memory", "64", "--argon2-iterations", "1"}
	var out bytes.Buffer
	if err := run(context.Background(), args, envOf(nil), &out, &out); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no generated password in %q", out.String())
	}
	if err := run(context.Background(), args, envOf(nil), &out, &out); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("the same email again: %v", err)
	}

	base, _, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", db}, nil)
	defer stop()
	res, err := http.Post(base+"/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"root@example.com","password":"`+m[1]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("login with the printed password: %d", res.StatusCode)
	}
}
