package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"accountd"
)

// Rows reads a store's rows directly, for what the interface does not
// show: that a delivered mail's body is gone, that a deleted account keeps
// no personal data.
type Rows interface {
	// Row returns every column of the first row query finds, by name, as
	// the driver gives it; nil when it finds none. query is the store's own
	// SQL with one parameter, written ?.
	Row(ctx context.Context, query, arg string) (map[string]any, error)
	// Time reads a stored time as the store keeps it.
	Time(v any) (time.Time, error)
}

// RunRows runs the tests that need Rows. open returns a fresh, migrated,
// empty store and its Rows for each subtest.
func RunRows(t *testing.T, open func(t *testing.T) (accountd.Store, Rows)) {
	tests := []struct {
		name string
		test func(t *testing.T, s accountd.Store, r Rows)
	}{
		{"MarkMailSentEmptiesBody", testMarkMailSentEmptiesBody},
		{"PruneDeletesMailSentOverAWeekAgo", testPruneDeletesMailSentOverAWeekAgo},
		{"DeleteAccountLeavesNoPersonalData", testDeleteAccountLeavesNoPersonalData},
		{"ProfileCompleteness", testProfileCompleteness},
		{"DeleteAccountLeavesNoMedia", testDeleteAccountLeavesNoMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := open(t)
			tt.test(t, s, r)
		})
	}
}

func row(t *testing.T, r Rows, query, arg string) map[string]any {
	t.Helper()
	values, err := r.Row(t.Context(), query, arg)
	if err != nil {
		t.Fatal(err)
	}
	return values
}

// text is a column's value as text, bytes included.
func text(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return fmt.Sprint(v)
}

func testMarkMailSentEmptiesBody(t *testing.T, s accountd.Store, r Rows) {
	ctx := t.Context()
	m := accountd.NewMail(t0, "ada@example.com", "Verify your email", "Your code is 123456")
	write(t, s, func(tx accountd.Tx) error { return tx.EnqueueMail(ctx, m) })
	if err := s.MarkMailSent(ctx, m.ID, t0); err != nil {
		t.Fatal(err)
	}
	if body := text(row(t, r, "SELECT body FROM outbox WHERE id = ?", m.ID)["body"]); body != "" {
		t.Errorf("body after MarkMailSent = %q, want empty", body)
	}
}

func testPruneDeletesMailSentOverAWeekAgo(t *testing.T, s accountd.Store, r Rows) {
	ctx := t.Context()
	now := t0.Add(30 * 24 * time.Hour)
	old := accountd.NewMail(t0, "ada@example.com", "Old", "old")
	recent := accountd.NewMail(t0, "ada@example.com", "Recent", "recent")
	unsent := accountd.NewMail(t0, "ada@example.com", "Unsent", "unsent")
	write(t, s, func(tx accountd.Tx) error {
		return errors.Join(tx.EnqueueMail(ctx, old), tx.EnqueueMail(ctx, recent), tx.EnqueueMail(ctx, unsent))
	})
	if err := errors.Join(
		s.MarkMailSent(ctx, old.ID, now.Add(-7*24*time.Hour-time.Millisecond)),
		s.MarkMailSent(ctx, recent.ID, now.Add(-7*24*time.Hour)),
	); err != nil {
		t.Fatal(err)
	}
	if err := s.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    *accountd.Mail
		kept bool
	}{{old, false}, {recent, true}, {unsent, true}} {
		if exists := row(t, r, "SELECT id FROM outbox WHERE id = ?", c.m.ID) != nil; exists != c.kept {
			t.Errorf("mail %q after Prune: exists = %v, want %v", c.m.Subject, exists, c.kept)
		}
	}
}

// testDeleteAccountLeavesNoPersonalData reads the deleted account's row
// itself: nothing of what the person gave may remain in any column.
func testDeleteAccountLeavesNoPersonalData(t *testing.T, s accountd.Store, r Rows) {
	ctx := t.Context()
	a := accountd.NewAccount(t0, "Ada.Lovelace@example.com", "Augusta", "Byron")
	a.UserName, a.ReferralCode, a.PasswordHash = "augusta-byron-x7k2", "Qz9w", "$argon2id$v=19$secret"
	a.Profile.Contact = accountd.Contact{Country: "UK", State: "Surrey", City: "Ockham", Address: "Ockham Park", Phone: "+44 1483 000000"}
	a.Profile.Bio = accountd.Bio{Title: "Enchantress of Numbers", Description: "Notes on the engine"}
	a.Profile.Talent.About = "Writes the first program"
	a.Socials = accountd.Socials{GitHub: "augusta", Twitter: "@augusta", LinkedIn: "in/augusta", Website: "https://augusta.example"}
	a.TwoFA.Secret, a.TwoFA.RecoveryCodes = []byte("augusta's sealed secret"), [][]byte{[]byte("augusta's recovery hash")}
	referrer := accountd.NewAccount(t0, "grace@example.com", "Grace", "Hopper")
	referrer.UserName, referrer.ReferralCode = "grace-hopper-0000", "GRCE"
	a.ReferredBy = referrer.ID
	at := t0.Add(time.Hour)
	write(t, s, func(tx accountd.Tx) error {
		if err := errors.Join(tx.CreateAccount(ctx, referrer), tx.CreateAccount(ctx, a)); err != nil {
			return err
		}
		_, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(t0, "Analytical Engines")}, t0)
		return err
	})
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, a.ID, at) })

	values := row(t, r, "SELECT * FROM accounts WHERE id = ?", a.ID)
	if values == nil {
		t.Fatal("the deleted account's row is gone; want it kept, so its id stays taken")
	}
	personal := []string{a.Email, a.EmailKey, a.PasswordHash, a.FirstName, a.LastName, a.UserName, a.ReferralCode,
		referrer.ID, "Surrey", "Ockham", "+44", "Enchantress", "engine", "program", "augusta"}
	for column, v := range values {
		for _, p := range personal {
			if strings.Contains(strings.ToLower(text(v)), strings.ToLower(p)) {
				t.Errorf("column %s = %q still holds %q", column, text(v), p)
			}
		}
	}
	if deleted, err := r.Time(values["deleted_at"]); err != nil || !deleted.Equal(at) {
		t.Errorf("deleted_at = %v (%v), want %v", values["deleted_at"], err, at)
	}
	for _, table := range []string{"account_tags WHERE account_id", "achievements WHERE owner"} {
		if n := text(row(t, r, "SELECT count(*) AS n FROM "+table+" = ?", a.ID)["n"]); n != "0" {
			t.Errorf("%s rows left in %s", n, table)
		}
	}
}

// testProfileCompleteness: the column a search sorts on holds what the
// domain computes.
func testProfileCompleteness(t *testing.T, s accountd.Store, r Rows) {
	ctx := t.Context()
	stored := func(a *accountd.Account) string {
		t.Helper()
		return text(row(t, r, "SELECT profile_completeness FROM accounts WHERE id = ?", a.ID)["profile_completeness"])
	}
	a := accountd.NewAccount(t0, "ada@example.com", "Ada", "Lovelace")
	a.UserName, a.ReferralCode = "ada-lovelace-0000", "ADA0"
	a.Profile.Bio.Title = "Analyst"
	write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) })
	if got, want := stored(a), a.Completeness(); got != fmt.Sprint(want) || want == 0 {
		t.Errorf("after CreateAccount: profile_completeness = %s, want %d", got, want)
	}

	a.Profile.Contact = accountd.Contact{Country: "UK", State: "London", City: "London", Address: "St James's Square", Phone: "+44 20 7946 0000"}
	a.Profile.Bio.Description = "Notes on the engine"
	a.Profile.Talent.About, a.Profile.Talent.Tags = "Programs", []string{"Go"}
	a.Socials = accountd.Socials{GitHub: "ada", Website: "https://ada.example.com"}
	write(t, s, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, a) })
	if got, want := stored(a), a.Completeness(); got != fmt.Sprint(want) || want != 90 {
		t.Errorf("after UpdateAccount: profile_completeness = %s, want %d (90)", got, want)
	}
}
