package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"accountd"
	"accountd/storetest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

var t0 = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

// serverURL is the server the tests create their databases on: a
// postgres:// URL whose user may create databases.
func serverURL() string {
	if u := os.Getenv("ACCOUNTD_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// admin connects to the server's own database. With no server to reach it
// skips the test, except under CI, where these tests must run.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		where := serverURL()
		if u, perr := url.Parse(where); perr == nil {
			where = u.Redacted()
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("no PostgreSQL server at %s, and CI must run these tests: %v", where, err)
		}
		t.Skipf("no PostgreSQL server at %s (set ACCOUNTD_TEST_POSTGRES to another): %v", where, err)
	}
	return conn
}

// newDatabase creates an empty database for t and returns its URL. The
// database is dropped when t ends.
func newDatabase(t testing.TB) string {
	t.Helper()
	conn := admin(t)
	defer conn.Close(context.Background())
	u, err := url.Parse(serverURL())
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("ACCOUNTD_TEST_POSTGRES must be a postgres:// URL: %q %v", serverURL(), err)
	}
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "accountd_test_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn := admin(t)
		defer conn.Close(context.Background())
		// FORCE (PostgreSQL 13 and later) ends connections a failed test left.
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// openURL opens the store at url and closes it when t ends.
func openURL(t testing.TB, url string) *DB {
	t.Helper()
	db, err := Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// openMigrated opens a store on a new, migrated database.
func openMigrated(t testing.TB) *DB {
	t.Helper()
	db := openURL(t, newDatabase(t))
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestStore runs the suite on one database, migrated once and emptied
// before each subtest: creating a database takes far longer than emptying
// one.
func TestStore(t *testing.T) {
	url := newDatabase(t)
	if _, err := openURL(t, url).Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	empty := func(t *testing.T) *DB {
		db := openURL(t, url)
		_, err := db.pool.Exec(t.Context(),
			"TRUNCATE accounts, achievements, sessions, codes, outbox, rate_limits, tags, account_tags, bookmarks, listing_count_changes, media")
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	storetest.Run(t, func(t *testing.T) accountd.Store { return empty(t) })
	storetest.RunRows(t, func(t *testing.T) (accountd.Store, storetest.Rows) {
		db := empty(t)
		return db, rows{db}
	})
}

// rows reads the database's rows for storetest.RunRows.
type rows struct{ db *DB }

func (r rows) Row(ctx context.Context, query, arg string) (map[string]any, error) {
	rs, err := r.db.pool.Query(ctx, strings.Replace(query, "?", "$1", 1), arg)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	if !rs.Next() {
		return nil, rs.Err()
	}
	values, err := rs.Values()
	if err != nil {
		return nil, err
	}
	byName := make(map[string]any, len(values))
	for i, f := range rs.FieldDescriptions() {
		byName[f.Name] = values[i]
	}
	return byName, nil
}

// Time reads a timestamptz.
func (rows) Time(v any) (time.Time, error) {
	t, ok := v.(time.Time)
	if !ok {
		return time.Time{}, fmt.Errorf("want a timestamptz, got %T", v)
	}
	return t, nil
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	db := openURL(t, newDatabase(t))
	if v, err := db.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion of a new database = %d, %v; want 0", v, err)
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
	if _, err := db.pool.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", newer); err != nil {
		t.Fatal(err)
	}
	n, err := db.Migrate(ctx)
	want := fmt.Sprintf("database schema version %d is newer than this accountd supports (%d); upgrade accountd",
		newer, len(migrations))
	if err == nil || err.Error() != want || n != 0 {
		t.Fatalf("Migrate = %d, %v; want 0, %q", n, err, want)
	}
	if v, err := db.SchemaVersion(ctx); err != nil || v != newer {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, newer)
	}
}

// TestMigrateConcurrently: instances starting at once on a new database
// all succeed, and each step is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	const instances = 4
	applied := make([]int, instances)
	errs := make([]error, instances)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range instances {
		db := openURL(t, url)
		wg.Go(func() {
			<-start
			applied[i], errs[i] = db.Migrate(ctx)
		})
	}
	close(start)
	wg.Wait()
	total := 0
	for i := range instances {
		if errs[i] != nil {
			t.Errorf("instance %d: Migrate: %v", i, errs[i])
		}
		total += applied[i]
	}
	if total != len(migrations) {
		t.Errorf("%d migrations applied in all; want %d", total, len(migrations))
	}
	var rows, versions int
	err := openURL(t, url).pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").
		Scan(&rows, &versions)
	if err != nil || rows != len(migrations) || versions != len(migrations) {
		t.Errorf("schema_migrations: %d rows, %d versions, %v; want %d of each", rows, versions, err, len(migrations))
	}
}

// TestClaimMailConcurrently: senders claiming at once never get the same
// mail, and between them get all of it.
func TestClaimMailConcurrently(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	const mails, senders = 300, 8
	err := db.Write(ctx, func(tx accountd.Tx) error {
		for i := range mails {
			m := accountd.NewMail(t0.Add(time.Duration(i)*time.Millisecond), fmt.Sprintf("user%d@example.com", i), "Hello", "Hi")
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	claimed := make([][]string, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		// Each sender its own pool, as on its own instance.
		sender := openURL(t, db.pool.Config().ConnString())
		wg.Go(func() {
			for {
				got, err := sender.ClaimMail(ctx, t0.Add(time.Hour), time.Hour, 7)
				if err != nil || len(got) == 0 {
					errs[i] = err
					return
				}
				for _, m := range got {
					claimed[i] = append(claimed[i], m.ID)
				}
			}
		})
	}
	wg.Wait()
	seen := make(map[string]int)
	for i := range senders {
		if errs[i] != nil {
			t.Errorf("sender %d: %v", i, errs[i])
		}
		for _, id := range claimed[i] {
			if prev, ok := seen[id]; ok {
				t.Errorf("mail %s claimed by senders %d and %d", id, prev, i)
			}
			seen[id] = i
		}
	}
	if len(seen) != mails {
		t.Errorf("%d mails claimed; want all %d", len(seen), mails)
	}
}

// TestWriteRetriesSerializationFailure: fn's first run ends in a
// serialization failure; Write undoes it, runs fn again and commits that.
func TestWriteRetriesSerializationFailure(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	var runs []*accountd.Account
	err := db.Write(ctx, func(tx accountd.Tx) error {
		a := accountd.NewAccount(t0, "ada@example.com", "Ada", "Lovelace")
		a.UserName, a.ReferralCode = "ada-"+a.ID, "R"+a.ID
		runs = append(runs, a)
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		if len(runs) == 1 {
			return fmt.Errorf("as the server says: %w", &pgconn.PgError{Code: "40001", Message: "could not serialize access"})
		}
		return nil
	})
	if err != nil || len(runs) != 2 {
		t.Fatalf("Write = %v after %d runs of fn; want nil after 2", err, len(runs))
	}
	err = db.Read(ctx, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, runs[0].ID)
		if !errors.Is(err, accountd.ErrNotFound) {
			t.Errorf("the failed run's account: %v; want ErrNotFound", err)
		}
		_, err = tx.AccountByID(ctx, runs[1].ID)
		return err
	})
	if err != nil {
		t.Fatalf("the second run's account: %v", err)
	}
}

// TestWriteGivesUp: a conflict that never resolves ends after maxAttempts
// runs, with the conflict as the error.
func TestWriteGivesUp(t *testing.T) {
	db := openMigrated(t)
	runs := 0
	err := db.Write(t.Context(), func(accountd.Tx) error {
		runs++
		return &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}
	})
	if !retryable(err) || runs != maxAttempts {
		t.Fatalf("Write = %v after %d runs; want the deadlock after %d", err, runs, maxAttempts)
	}
}

// TestWriteRetriesDeadlock: two Writes lock two accounts in opposite
// orders; the server aborts one, which runs again once the other is done.
func TestWriteRetriesDeadlock(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a, b := createAccount(t, db, "ada@example.com"), createAccount(t, db, "grace@example.com")
	var runs atomic.Int32
	var bothLocked sync.WaitGroup
	bothLocked.Add(2)
	bump := func(first, second string) error {
		var once sync.Once
		return db.Write(ctx, func(tx accountd.Tx) error {
			runs.Add(1)
			if _, err := tx.AccountByID(ctx, first); err != nil {
				return err
			}
			// The first run waits until the other holds its first lock too.
			once.Do(func() { bothLocked.Done(); bothLocked.Wait() })
			cur, err := tx.AccountByID(ctx, second)
			if err != nil {
				return err
			}
			cur.Score++
			return tx.UpdateAccount(ctx, cur)
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = bump(a.ID, b.ID) })
	wg.Go(func() { errs[1] = bump(b.ID, a.ID) })
	wg.Wait()
	// Three runs at least: both first runs, and the deadlock's victim again.
	// A loaded machine may time a retry out into another round.
	if err := errors.Join(errs...); err != nil || runs.Load() < 3 {
		t.Fatalf("Writes = %v after %d runs of fn; want both done after 3 or more", err, runs.Load())
	}
	for _, acc := range []*accountd.Account{a, b} {
		if got := accountByID(t, db, acc.ID); got.Score != 1 {
			t.Errorf("score %d, want 1", got.Score)
		}
	}
}

// TestWriteSerializesAccountUpdates: Writes that read an account, change it
// and write it back at the same time lose none of the changes.
func TestWriteSerializesAccountUpdates(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a := createAccount(t, db, "ada@example.com")
	const writers = 30
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx accountd.Tx) error {
				cur, err := tx.AccountByID(ctx, a.ID)
				if err != nil {
					return err
				}
				cur.Score++
				return tx.UpdateAccount(ctx, cur)
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := accountByID(t, db, a.ID); got.Score != writers {
		t.Errorf("score %d after %d increments", got.Score, writers)
	}
}

// TestWriteSerializesCodeGuesses: of many wrong guesses at one code made at
// once, only as many as a code allows get to be checked.
func TestWriteSerializesCodeGuesses(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a := createAccount(t, db, "ada@example.com")
	code, _ := accountd.NewCode(t0, a.ID, accountd.PurposeVerifyEmail)
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.PutCode(ctx, code) }); err != nil {
		t.Fatal(err)
	}
	const guesses = 20
	var checked atomic.Int32
	errs := make([]error, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Go(func() {
			errs[i] = db.Write(ctx, func(tx accountd.Tx) error {
				c, err := tx.CodeFor(ctx, a.ID, accountd.PurposeVerifyEmail)
				if err != nil || !c.Usable(t0) {
					return err
				}
				checked.Add(1) // fn runs once here: nothing conflicts
				return tx.CountCodeAttempt(ctx, c.ID)
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := checked.Load(); n != accountd.MaxCodeAttempts {
		t.Errorf("%d guesses checked; want %d", n, accountd.MaxCodeAttempts)
	}
}

// wantUnavailable fails the test unless err is the domain's
// store_unavailable error.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	var e *accountd.Error
	if !errors.As(err, &e) || e.Kind != accountd.KindUnavailable || e.Code != "store_unavailable" {
		t.Errorf("%s: got %v, want the store_unavailable error", what, err)
	}
}

// TestUnreachable: with no server at the address, every method fails at
// once as unavailable. It needs no server of its own.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	start := time.Now()
	db := openURL(t, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable")
	wantUnavailable(t, "Ping", db.Ping(ctx))
	wantUnavailable(t, "Read", db.Read(ctx, func(accountd.Tx) error { return nil }))
	wantUnavailable(t, "Write", db.Write(ctx, func(accountd.Tx) error { return nil }))
	_, _, err := db.SessionAccount(ctx, accountd.HashToken("token"))
	wantUnavailable(t, "SessionAccount", err)
	_, _, err = db.Hit(ctx, "k", time.Minute, t0)
	wantUnavailable(t, "Hit", err)
	_, err = db.ClaimMail(ctx, t0, time.Minute, 10)
	wantUnavailable(t, "ClaimMail", err)
	_, err = db.Migrate(ctx)
	wantUnavailable(t, "Migrate", err)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %s to find the server unreachable", d)
	}
}

// TestConnectionLost: a connection that dies in the middle of a Write makes
// it fail as unavailable.
func TestConnectionLost(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a := createAccount(t, db, "ada@example.com")
	conn := admin(t)
	defer conn.Close(context.Background())
	err := db.Write(ctx, func(atx accountd.Tx) error {
		var pid int
		if err := atx.(*tx).tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		// Waits up to 5 s for the backend to be gone (PostgreSQL 14 and later).
		if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend($1, 5000)", pid); err != nil {
			t.Fatal(err)
		}
		_, err := atx.AccountByID(ctx, a.ID)
		return err
	})
	wantUnavailable(t, "Write on a terminated connection", err)
	if got := accountByID(t, db, a.ID); got.ID != a.ID {
		t.Errorf("the store does not recover: %+v", got)
	}
}

// refusingServer speaks just enough of the protocol to refuse every
// connection: TLS when asked for it, and the login for a wrong password.
func refusingServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			backend := pgproto3.NewBackend(conn, conn)
			switch msg, _ := backend.ReceiveStartupMessage(); msg.(type) {
			case *pgproto3.SSLRequest:
				conn.Write([]byte("N"))
			case *pgproto3.StartupMessage:
				backend.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "28P01", Message: "password authentication failed"})
				backend.Flush()
			}
			conn.Close()
		}
	}()
	return ln.Addr().String()
}

// selfSignedCA writes a certificate that signed no server's and returns
// its file.
func selfSignedCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the server's CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestMisconfigured: a role, password, database or TLS setting the server
// refuses is no unavailable store to try again shortly, but an error that
// says what to fix.
func TestMisconfigured(t *testing.T) {
	u, err := url.Parse(newDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	withURL := func(change func(u *url.URL, q url.Values)) string {
		c := *u
		q := c.Query()
		change(&c, q)
		c.RawQuery = q.Encode()
		return c.String()
	}
	type refusal struct{ name, url, code, fix string }
	cases := []refusal{
		{"unknown role", withURL(func(u *url.URL, _ url.Values) { u.User = url.User("accountd_no_such_role") }),
			"28000", "fix the user in the database URL"},
		{"unknown database", withURL(func(u *url.URL, _ url.Values) { u.Path = "/accountd_no_such_database" }),
			"3D000", "fix the database name in the database URL"},
		{"wrong password", "postgres://accountd:wrong@" + refusingServer(t) + "/accountd?sslmode=disable",
			"28P01", "fix the user or password in the database URL"},
		{"server without TLS", "postgres://accountd@" + refusingServer(t) + "/accountd?sslmode=require",
			"", "fix sslmode"},
	}
	otherCA := selfSignedCA(t)
	for _, mode := range []string{"verify-ca", "verify-full"} {
		cases = append(cases, refusal{"server certificate of another CA, " + mode,
			withURL(func(_ *url.URL, q url.Values) {
				q.Set("sslmode", mode)
				q.Set("sslrootcert", otherCA)
			}), "", "fix sslmode (or sslrootcert)"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.url, otherCA) {
				// The server's own TLS is what this case needs.
				db := openURL(t, withURL(func(_ *url.URL, q url.Values) { q.Set("sslmode", "require") }))
				if err := db.Ping(t.Context()); err != nil {
					t.Skipf("the server does not do TLS: %v", err)
				}
			}
			_, err := openURL(t, c.url).Migrate(t.Context())
			var e *accountd.Error
			if err == nil || !strings.Contains(err.Error(), c.fix) || strings.Contains(err.Error(), "try again") {
				t.Fatalf("Migrate: %v, want an error that says to %s, not to try again", err, c.fix)
			}
			if !errors.As(err, &e) || e.Kind != accountd.KindUnavailable {
				t.Errorf("Migrate: %v, want a request that meets it answered as an outage", err)
			}
			var pg *pgconn.PgError
			if c.code != "" && (!errors.As(err, &pg) || pg.Code != c.code) {
				t.Errorf("Migrate: %v, want SQLSTATE %s", err, c.code)
			}
		})
	}
}

func createAccount(t *testing.T, db *DB, email string) *accountd.Account {
	t.Helper()
	a := accountd.NewAccount(t0, email, "Ada", "Lovelace")
	a.UserName, a.ReferralCode = "ada-lovelace-"+a.ID, "R"+a.ID
	if err := db.Write(t.Context(), func(tx accountd.Tx) error { return tx.CreateAccount(t.Context(), a) }); err != nil {
		t.Fatal(err)
	}
	return a
}

func accountByID(t *testing.T, db *DB, id string) *accountd.Account {
	t.Helper()
	var a *accountd.Account
	err := db.Read(t.Context(), func(tx accountd.Tx) (err error) {
		a, err = tx.AccountByID(t.Context(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
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
