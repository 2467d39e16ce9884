package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"accountd"
	"accountd/storetest"
)

var t0 = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

// openFile opens a new database file without migrating it.
func openFile(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

func openMigrated(t testing.TB) *DB {
	t.Helper()
	db := openFile(t)
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) accountd.Store { return openMigrated(t) })
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	db := openFile(t)
	if v, err := db.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion of a new file = %d, %v; want 0", v, err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != len(migrations) {
		t.Fatalf("first Migrate = %d, %v; want %d applied", n, err, len(migrations))
	}
	if n, err := db.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want none applied", n, err)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != len(migrations) {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, len(migrations))
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	newer := len(migrations) + 2
	if _, err := db.writer.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	n, err := db.Migrate(ctx)
	want := fmt.Sprintf("database schema version %d is newer than this accountd supports (%d); upgrade accountd",
		newer, len(migrations))
	if err == nil || err.Error() != want || n != 0 {
		t.Fatalf("Migrate = %d, %v; want 0, %q", n, err, want)
	}
}

func TestJournalModeIsWAL(t *testing.T) {
	db := openMigrated(t)
	for name, h := range map[string]*handle{"writer": db.writer, "reader": db.reader} {
		var mode string
		if err := h.db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Errorf("%s journal_mode = %q, want wal", name, mode)
		}
	}
}

func TestWriteInsideReadFails(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a := accountd.NewAccount(t0, "ada@example.com", "Ada", "Lovelace")
	err := db.Read(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) })
	if err == nil || errors.Is(err, accountd.ErrEmailTaken) {
		t.Fatalf("CreateAccount inside Read: got %v, want a read-only error", err)
	}
	err = db.Read(ctx, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, a.ID)
		return err
	})
	if !errors.Is(err, accountd.ErrNotFound) {
		t.Fatalf("AccountByID after the refused write: got %v, want ErrNotFound", err)
	}
}

func TestOpenRefusesQuestionMark(t *testing.T) {
	if db, err := Open(t.Context(), filepath.Join(t.TempDir(), "a?b.db")); err == nil {
		db.Close()
		t.Fatal("Open of a path with '?' succeeded")
	}
}

// mailRow reads what the interface does not show of a mail: its body once
// sent, and whether its row exists at all.
func mailRow(t *testing.T, db *DB, id string) (body string, exists bool) {
	t.Helper()
	err := db.reader.db.QueryRowContext(t.Context(), "SELECT body FROM outbox WHERE id = ?", id).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return body, true
}

func TestMarkMailSentEmptiesBody(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	m := accountd.NewMail(t0, "ada@example.com", "Verify your email", "Your code is 123456")
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.EnqueueMail(ctx, m) }); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkMailSent(ctx, m.ID, t0); err != nil {
		t.Fatal(err)
	}
	if body, _ := mailRow(t, db, m.ID); body != "" {
		t.Errorf("body after MarkMailSent = %q, want empty", body)
	}
}

func TestPruneDeletesMailSentOverAWeekAgo(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	now := t0.Add(30 * 24 * time.Hour)
	old := accountd.NewMail(t0, "ada@example.com", "Old", "old")
	recent := accountd.NewMail(t0, "ada@example.com", "Recent", "recent")
	unsent := accountd.NewMail(t0, "ada@example.com", "Unsent", "unsent")
	err := db.Write(ctx, func(tx accountd.Tx) error {
		return errors.Join(tx.EnqueueMail(ctx, old), tx.EnqueueMail(ctx, recent), tx.EnqueueMail(ctx, unsent))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(
		db.MarkMailSent(ctx, old.ID, now.Add(-7*24*time.Hour-time.Millisecond)),
		db.MarkMailSent(ctx, recent.ID, now.Add(-7*24*time.Hour)),
	); err != nil {
		t.Fatal(err)
	}
	if err := db.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    *accountd.Mail
		kept bool
	}{{old, false}, {recent, true}, {unsent, true}} {
		if _, exists := mailRow(t, db, c.m.ID); exists != c.kept {
			t.Errorf("mail %q after Prune: exists = %v, want %v", c.m.Subject, exists, c.kept)
		}
	}
}

// BenchmarkTokenCheck is the look-up every authenticated request makes.
func BenchmarkTokenCheck(b *testing.B) {
	ctx := b.Context()
	db := openMigrated(b)
	a := accountd.NewAccount(t0, "ada@example.com", "Ada", "Lovelace")
	token, hash := accountd.NewToken()
	s := &accountd.Session{ID: accountd.NewID(t0), AccountID: a.ID, TokenHash: hash,
		CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
	err := db.Write(ctx, func(tx accountd.Tx) error {
		return errors.Join(tx.CreateAccount(ctx, a), tx.CreateSession(ctx, s))
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		err := db.Read(ctx, func(tx accountd.Tx) error {
			s, err := tx.SessionByTokenHash(ctx, accountd.HashToken(token))
			if err != nil {
				return err
			}
			_, err = tx.AccountByID(ctx, s.AccountID)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestSessionAccountNoticesOtherProcesses: a commit that does not go
// through this DB (another process on the same file) empties its cache
// within the watcher's poll.
func TestSessionAccountNoticesOtherProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	open := func() *DB {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return db
	}
	mine, theirs := open(), open()
	a := accountd.NewAccount(t0, "shared@example.com", "Before", "Change")
	a.UserName, a.ReferralCode = "before-change-0000", "SHRD"
	_, hash := accountd.NewToken()
	err := mine.Write(t.Context(), func(tx accountd.Tx) error {
		if err := tx.CreateAccount(t.Context(), a); err != nil {
			return err
		}
		return tx.CreateSession(t.Context(), &accountd.Session{ID: accountd.NewID(t0), AccountID: a.ID, TokenHash: hash,
			CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, got, err := mine.SessionAccount(t.Context(), hash); err != nil || got.FirstName != "Before" {
		t.Fatalf("%v %v", err, got)
	}
	err = theirs.Write(t.Context(), func(tx accountd.Tx) error {
		cur, err := tx.AccountByID(t.Context(), a.ID)
		if err != nil {
			return err
		}
		cur.FirstName = "After"
		return tx.UpdateAccount(t.Context(), cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * hotPoll)
	for {
		_, got, err := mine.SessionAccount(t.Context(), hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName == "After" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %q %s after another process's commit", got.FirstName, 5*hotPoll)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeleteAccountLeavesNoPersonalData reads the deleted account's row
// itself: nothing of what the person gave may remain in any column.
func TestDeleteAccountLeavesNoPersonalData(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a := accountd.NewAccount(t0, "Ada.Lovelace@example.com", "Augusta", "Byron")
	a.UserName, a.ReferralCode, a.PasswordHash = "augusta-byron-x7k2", "Qz9w", "$argon2id$v=19$secret"
	a.Profile.Contact = accountd.Contact{Country: "UK", State: "Surrey", City: "Ockham", Address: "Ockham Park", Phone: "+44 1483 000000"}
	a.Profile.Bio = accountd.Bio{Title: "Enchantress of Numbers", Description: "Notes on the engine"}
	a.Profile.Talent.About = "Writes the first program"
	a.Socials = accountd.Socials{GitHub: "augusta", Twitter: "@augusta", LinkedIn: "in/augusta", Website: "https://augusta.example"}
	referrer := accountd.NewAccount(t0, "grace@example.com", "Grace", "Hopper")
	referrer.UserName, referrer.ReferralCode = "grace-hopper-0000", "GRCE"
	a.ReferredBy = referrer.ID
	at := t0.Add(time.Hour)
	err := db.Write(ctx, func(tx accountd.Tx) error {
		if err := errors.Join(tx.CreateAccount(ctx, referrer), tx.CreateAccount(ctx, a)); err != nil {
			return err
		}
		_, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(t0, "Analytical Engines")}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, a.ID, at) }); err != nil {
		t.Fatal(err)
	}

	rows, err := db.reader.db.QueryContext(ctx, "SELECT * FROM accounts WHERE id = ?", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("the deleted account's row is gone: %v; want it kept, so its id stays taken", rows.Err())
	}
	values := make([]any, len(columns))
	pointers := make([]any, len(columns))
	for i := range values {
		pointers[i] = &values[i]
	}
	if err := rows.Scan(pointers...); err != nil {
		t.Fatal(err)
	}
	personal := []string{a.Email, a.EmailKey, a.PasswordHash, a.FirstName, a.LastName, a.UserName, a.ReferralCode,
		referrer.ID, "Surrey", "Ockham", "+44", "Enchantress", "engine", "program", "augusta"}
	for i, column := range columns {
		v := fmt.Sprint(values[i])
		for _, p := range personal {
			if strings.Contains(strings.ToLower(v), strings.ToLower(p)) {
				t.Errorf("column %s = %q still holds %q", column, v, p)
			}
		}
		if column == "deleted_at" && values[i] != at.UnixMilli() {
			t.Errorf("deleted_at = %v, want %d", values[i], at.UnixMilli())
		}
	}
	for _, table := range []string{"account_tags WHERE account_id", "achievements WHERE owner"} {
		var n int
		if err := db.reader.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" = ?", a.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows left in %s", n, table)
		}
	}
}

// TestProfileCompleteness: the column a search sorts on holds what the
// domain computes.
func TestProfileCompleteness(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	stored := func(a *accountd.Account) int {
		t.Helper()
		var n int
		if err := db.reader.db.QueryRowContext(ctx, "SELECT profile_completeness FROM accounts WHERE id = ?",
			a.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	a := accountd.NewAccount(t0, "ada@example.com", "Ada", "Lovelace")
	a.UserName, a.ReferralCode = "ada-lovelace-0000", "ADA0"
	a.Profile.Bio.Title = "Analyst"
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(a), a.Completeness(); got != want || want == 0 {
		t.Errorf("after CreateAccount: profile_completeness = %d, want %d", got, want)
	}

	a.Profile.Contact = accountd.Contact{Country: "UK", State: "London", City: "London", Address: "St James's Square", Phone: "+44 20 7946 0000"}
	a.Profile.Bio.Description = "Notes on the engine"
	a.Profile.Talent.About, a.Profile.Talent.Tags = "Programs", []string{"Go"}
	a.Socials = accountd.Socials{GitHub: "ada", Website: "https://ada.example.com"}
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, a) }); err != nil {
		t.Fatal(err)
	}
	if got, want := stored(a), a.Completeness(); got != want || want != 90 {
		t.Errorf("after UpdateAccount: profile_completeness = %d, want %d (90)", got, want)
	}
}

// TestWaitingForTheWriterHonoursContext: a write queued behind another
// gives up when its context ends, rather than waiting out the first.
func TestWaitingForTheWriterHonoursContext(t *testing.T) {
	db := openMigrated(t)
	holding, letGo := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(t.Context(), func(accountd.Tx) error { close(holding); <-letGo; return nil })
	}()
	<-holding
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := db.Hit(ctx, "k", time.Minute, t0)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("queued Hit: %v after %s", err, time.Since(start))
	}
	close(letGo)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n, _, err := db.Hit(t.Context(), "k", time.Minute, t0); err != nil || n != 1 {
		t.Fatalf("after the writer is free: %d %v", n, err)
	}
}
