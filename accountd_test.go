package accountd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"accountd"
)

func TestUserNameBase(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"Alice", "Bob"}:                "alice-bob",
		{"José", "Müller-Lüdenscheidt"}: "jose-muller-ludenscheidt",
		{"  Jukne ", ""}:                "jukne",
		{"李", "王"}:                      "user",
		{"O'Brien", "Mc Gee"}:           "o-brien-mc-gee",
	} {
		if got := accountd.UserNameBase(in[0], in[1]); got != want {
			t.Errorf("UserNameBase(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
	name := accountd.NewUserName("alice-bob")
	if len(name) != len("alice-bob-")+4 || !strings.HasPrefix(name, "alice-bob-") || strings.ToLower(name) != name {
		t.Errorf("NewUserName = %q", name)
	}
}

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		" Alice@Example.COM ":     "Alice@example.com",
		"a.b+tag@sub.example.org": "a.b+tag@sub.example.org",
		"no-at-sign":              "",
		"Name <a@example.com>":    "",
		"a@localhost":             "",
		"":                        "",
	} {
		var v accountd.Validation
		got := accountd.NormalizeEmail(&v, "email", in)
		if got != want || (want == "") != (v.Err() != nil) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, v.Err(), want)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for pw, ok := range map[string]bool{
		"short":                       false,
		"eight ch":                    true,
		"PASSWORD1":                   false, // common, whatever the case
		"qwertyuiop":                  false,
		"ünïcödé!":                    true, // eight characters, more bytes
		strings.Repeat("x", 128) + "": true,
		strings.Repeat("x", 129):      false,
	} {
		var v accountd.Validation
		accountd.CheckPassword(&v, "password", pw)
		if (v.Err() == nil) != ok {
			t.Errorf("CheckPassword(%q): %v, want ok=%v", pw, v.Err(), ok)
		}
	}
}

func TestHasherKeepsParametersAndAsksForRehash(t *testing.T) {
	ctx := context.Background()
	weak := accountd.NewHasher(accountd.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}, 1)
	strong := accountd.NewHasher(accountd.DefaultHashParams, 1)
	hash, err := weak.Hash(ctx, "some password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q does not carry its parameters", hash)
	}
	match, stale, err := strong.Verify(ctx, "some password", hash)
	if err != nil || !match || !stale {
		t.Fatalf("weak hash under strong params: match=%v stale=%v err=%v", match, stale, err)
	}
	strongHash, _ := strong.Hash(ctx, "some password")
	if !strings.HasPrefix(strongHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default parameters are below OWASP's: %q", strongHash)
	}
	if match, stale, _ := strong.Verify(ctx, "other password", strongHash); match || stale {
		t.Fatalf("wrong password: match=%v stale=%v", match, stale)
	}
	if match, _, err := strong.Verify(ctx, "anything", ""); match || err != nil {
		t.Fatalf("no hash: match=%v err=%v", match, err)
	}
}

func TestHasherQueuesBeyondItsSlots(t *testing.T) {
	h := accountd.NewHasher(accountd.HashParams{MemoryKiB: 8 * 1024, Iterations: 50, Parallelism: 1}, 1)
	done := make(chan struct{})
	go func() { h.Hash(context.Background(), "slow"); close(done) }()
	time.Sleep(10 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	_, err := h.Hash(ctx, "queued")
	select {
	case <-done:
		t.Skip("the first hash finished before the second asked; nothing queued")
	default:
	}
	if err == nil {
		t.Fatal("a second hash ran while the only slot was taken")
	}
	<-done
}

func TestParseRate(t *testing.T) {
	if r, err := accountd.ParseRate("10/15m"); err != nil || r.N != 10 || r.Window != 15*time.Minute {
		t.Fatalf("10/15m: %v %v", r, err)
	}
	if r, err := accountd.ParseRate("0"); err != nil || r.N != 0 {
		t.Fatalf("0: %v %v", r, err)
	}
	for _, bad := range []string{"", "10", "x/1m", "10/x", "-1/1m", "5/0s"} {
		if _, err := accountd.ParseRate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestCompletenessOfTheSeedsAlice(t *testing.T) {
	a := accountd.NewAccount(time.Now(), "alice@example.com", "Alice", "Bob")
	if got := a.Completeness(); got != 0 {
		t.Fatalf("fresh account scores %d", got)
	}
	a.Profile = accountd.Profile{
		Contact: accountd.Contact{Country: "England", State: "Manchester", City: "Manchester", Address: "30, alice bob blvd.", Phone: "+4412345678987"},
		Bio:     accountd.Bio{Title: "Software Engineer", Description: "Builds software Products"},
		Talent:  accountd.Talent{About: "About", Availability: "available", Tags: []string{"product"}},
	}
	a.Socials = accountd.Socials{GitHub: "https://github.com/tester", Website: "https://mywebsite.com"}
	if got := a.Completeness(); got != 90 {
		t.Fatalf("the seed's Alice scores %d, want 90", got)
	}
}
