package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"accountd"
	"accountd/sqlite/searchindex"
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

// rows reads the database's rows for storetest.RunRows.
type rows struct{ db *DB }

func (r rows) Row(ctx context.Context, query, arg string) (map[string]any, error) {
	rs, err := r.db.reader.db.QueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	columns, err := rs.Columns()
	if err != nil || !rs.Next() {
		return nil, errors.Join(err, rs.Err())
	}
	values := make([]any, len(columns))
	pointers := make([]any, len(columns))
	for i := range values {
		pointers[i] = &values[i]
	}
	if err := rs.Scan(pointers...); err != nil {
		return nil, err
	}
	byName := make(map[string]any, len(columns))
	for i, c := range columns {
		byName[c] = values[i]
	}
	return byName, nil
}

// Time reads the Unix milliseconds times are kept as.
func (rows) Time(v any) (time.Time, error) {
	ms, ok := v.(int64)
	if !ok {
		return time.Time{}, fmt.Errorf("want INTEGER milliseconds, got %T", v)
	}
	return time.UnixMilli(ms).UTC(), nil
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) accountd.Store { return openChecked(t) })
	storetest.RunRows(t, func(t *testing.T) (accountd.Store, storetest.Rows) {
		db := openChecked(t)
		return db, rows{db}
	})
}

// openChecked opens a migrated store and, when the test is done with it,
// checks that the search index agrees with the accounts, whatever the test
// did to them.
func openChecked(t *testing.T) *DB {
	db := openMigrated(t)
	t.Cleanup(func() {
		if err := searchindex.Check(context.Background(), db.writer.db); err != nil {
			t.Errorf("search index: %v", err)
		}
	})
	return db
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

// TestMigrateListsExistingAccounts takes a store back to before the store
// wrote the search index and the bitmaps itself, with no listings,
// and shows that the migrations list its accounts: the public ones are
// found again, by text and by tag.
func TestMigrateListsExistingAccounts(t *testing.T) {
	ctx := t.Context()
	db := openChecked(t)
	for i, private := range []bool{false, true, false} {
		a := accountd.NewAccount(t0.Add(time.Duration(i)*time.Second), fmt.Sprintf("old%d@example.com", i), "Olde", "Timer")
		a.UserName, a.ReferralCode, a.IsPrivate = fmt.Sprintf("olde-%d", i), fmt.Sprintf("OLD%d", i), private
		err := db.Write(ctx, func(tx accountd.Tx) error {
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
			_, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(t0, "Go"), accountd.NewTag(t0, "Rust")}, t0)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		"DELETE FROM listings",
		"DELETE FROM listing_counts",
		"INSERT INTO listing_search (listing_search) VALUES ('delete-all')",
		"DROP VIEW listing_text",
		"DROP TABLE listing_bits",
		"DROP INDEX accounts_slot",
		"ALTER TABLE accounts DROP COLUMN slot",
		"DROP TABLE media",
		"DROP INDEX accounts_profile_image",
		"DROP INDEX accounts_background_image",
		"ALTER TABLE accounts DROP COLUMN profile_image",
		"ALTER TABLE accounts DROP COLUMN background_image",
		"PRAGMA user_version = 4",
	} {
		if _, err := db.writer.db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n, err := db.Migrate(ctx); err != nil || n != len(migrations)-4 {
		t.Fatalf("Migrate = %d, %v; want %d applied", n, err, len(migrations)-4)
	}
	for _, q := range []accountd.SearchQuery{{Text: "olde"}, {Text: "timer", CompletenessMin: 10}, {TagKeys: []string{"go", "rust"}},
		{TagKeys: []string{"go"}, AsOf: t0.Add(time.Hour)}} {
		q.Sort, q.Page, q.Limit, q.CompletenessMax = accountd.SortNewest, 1, 10, 100
		var res *accountd.SearchResult
		err := db.Read(ctx, func(tx accountd.Tx) (err error) {
			res, err = tx.SearchAccounts(ctx, &q)
			return err
		})
		if err != nil || res.Total != 2 || len(res.Hits) != 2 {
			t.Fatalf("search %+v after the migrations: %+v, %v; want the 2 public accounts", q, res, err)
		}
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

// TestOpenNamesTheDirectoryToFix: a database in a directory that is missing,
// not a directory, or not writable fails with a message that says so.
func TestOpenNamesTheDirectoryToFix(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	readOnly := filepath.Join(tmp, "read-only")
	if err := errors.Join(os.WriteFile(file, nil, 0o600), os.Mkdir(readOnly, 0o500)); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ dir, want string }{
		{filepath.Join(tmp, "no", "such"), "does not exist"},
		{file, "is not a directory"},
		{readOnly, "is not writable"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if c.dir == readOnly {
				if probe, err := os.CreateTemp(readOnly, ""); err == nil {
					probe.Close()
					t.Skip("this user writes in a directory of mode 0500 (root does)")
				}
			}
			path := filepath.Join(c.dir, "accountd.db")
			db, err := Open(t.Context(), path)
			if err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", path)
			}
			if want := fmt.Sprintf("sqlite: database %s: ", path); !strings.HasPrefix(err.Error(), want) ||
				!strings.Contains(err.Error(), c.dir+" "+c.want) {
				t.Errorf("Open(%q): %v, want %q and %q %s", path, err, want, c.dir, c.want)
			}
		})
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

// TestFirstSearchesWhileEveryReaderIsBusy runs a search of a shape never
// run before in each of as many reads as there are free connections, all
// open at once. Preparing a new statement on the pool would wait for a
// connection that none of them gives back.
func TestFirstSearchesWhileEveryReaderIsBusy(t *testing.T) {
	db := openMigrated(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	stats := db.reader.db.Stats()
	readers := stats.MaxOpenConnections - stats.InUse
	sorts := []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest, accountd.SortCompleteness, accountd.SortScore}
	var open sync.WaitGroup
	open.Add(readers)
	errs := make(chan error, readers)
	for i := range readers {
		go func() {
			errs <- db.Read(ctx, func(tx accountd.Tx) error {
				open.Done()
				open.Wait()
				q := &accountd.SearchQuery{Sort: sorts[i%len(sorts)], AsOf: t0, Page: 1, Limit: 10}
				if i/len(sorts)%2 == 1 {
					q.Text = "someone"
				}
				_, err := tx.SearchAccounts(ctx, q)
				return err
			})
		}()
	}
	for range readers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
