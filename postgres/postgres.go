// Package postgres is the accountd store in a PostgreSQL database, for a
// service that runs as several instances sharing one database.
//
// Writes run at READ COMMITTED and are made safe by row locks rather than by
// the isolation level: every record a Write looks up (an account, a code, a
// session) is locked until the end of the transaction, so a
// read-modify-write of it never interleaves with another Write of the same
// record and always starts from the latest commit, as if Writes ran one at
// a time; shared counters change by atomic increments. A stricter level
// would make every concurrent increment of a popular tag's count fail and
// start over; under READ COMMITTED it waits its turn and adds to the latest
// value. Reads run in a REPEATABLE READ, READ ONLY transaction, which sees
// one snapshot throughout.
package postgres

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is the store. Open it, then Migrate it before use.
type DB struct {
	pool *pgxpool.Pool
}

var _ accountd.Store = (*DB)(nil)

// connectTimeout bounds each attempt to connect when the URL sets no
// connect_timeout, so that a server that does not answer makes a request
// fail as unavailable instead of hanging until its context ends.
const connectTimeout = 5 * time.Second

// opTimeout bounds each operation of the store but Migrate: a transaction
// from its begin to its commit, and a statement run on its own. A server
// that stops answering (a stalled network, a frozen primary) then costs a
// request a 503 store_unavailable after opTimeout, never a hang; and the
// server is told to give up on a statement by then too (statement_timeout).
const opTimeout = 5 * time.Second

// bounded is ctx with the deadline of one operation.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

// Open returns a store on the database at url, a postgres:// URL (or any
// connection string pgx accepts, pool_max_conns and the like included). It
// does not connect: the first use does, so a server that is down when the
// service starts shows as unavailable rather than failing Open. It does not
// migrate the schema.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err) // pgx masks the password in what it reports
	}
	if !strings.Contains(url, "pool_max_conns") {
		// A request spends its time waiting for the server, not on a core,
		// so a few more connections than cores keep both busy; many more
		// would only crowd max_connections (100 by default), which every
		// instance shares.
		cfg.MaxConns = int32(max(8, 2*runtime.GOMAXPROCS(0)))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "accountd" // names the connections in pg_stat_activity
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.Itoa(int(opTimeout.Milliseconds()))
	}
	// Keep-alive probes find a server gone silent under an idle connection
	// within half a minute, rather than the two hours of the system's
	// default, so the pool does not hand out a dead one.
	dialer := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}}
	cfg.ConnConfig.DialFunc = dialer.DialContext
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		// The domain's times are UTC; pgx would return them in time.Local.
		conn.TypeMap().RegisterType(&pgtype.Type{
			Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return &DB{pool: pool}, nil
}

var (
	writeOptions = pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadWrite}
	readOptions  = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// maxAttempts bounds how often Write runs fn for one call.
const maxAttempts = 10

// Write runs fn in a READ COMMITTED transaction (see the package comment).
// When the server aborts it for a deadlock (40P01), which two Writes
// locking the same rows in opposite orders can meet, or for a
// serialization failure (40001), which a server running it at a stricter
// level reports, Write rolls back, waits a short random while and runs fn
// again, up to maxAttempts times in all. fn's own errors come back as they
// are.
func (db *DB) Write(ctx context.Context, fn func(accountd.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.transact(ctx, writeOptions, true, fn)
		if !retryable(err) || attempt == maxAttempts {
			return err
		}
		// Full jitter: the transactions that collided start again apart.
		wait := time.NewTimer(rand.N(time.Millisecond << min(attempt, 7)))
		select {
		case <-ctx.Done():
			wait.Stop()
			return errors.Join(err, ctx.Err())
		case <-wait.C:
		}
	}
}

// retryable reports whether err is a conflict that running the transaction
// again can resolve.
func retryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

// Read runs fn in a read-only transaction on one snapshot; any write in fn
// fails.
func (db *DB) Read(ctx context.Context, fn func(accountd.Tx) error) error {
	return db.transact(ctx, readOptions, false, fn)
}

// transact runs fn with the accountd.Tx of one transaction.
func (db *DB) transact(ctx context.Context, opts pgx.TxOptions, write bool, fn func(accountd.Tx) error) error {
	return db.run(ctx, opts, func(t pgx.Tx) error { return fn(&tx{tx: t, write: write}) })
}

// run runs fn in one transaction, within opTimeout, and commits it when fn
// returns nil. fn's error comes back unchanged.
func (db *DB) run(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return db.runUnbounded(ctx, opts, func(t pgx.Tx) error { return fn(boundedTx{Tx: t, ctx: ctx}) })
}

// runUnbounded is run with no deadline but ctx's: for migrations, which may
// rewrite every row.
func (db *DB) runUnbounded(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	t, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return wrap("begin", err)
	}
	defer t.Rollback(ctx) // a no-op after Commit; otherwise it undoes fn, even if fn panics
	if err := fn(t); err != nil {
		return err
	}
	if err := t.Commit(ctx); err != nil {
		return wrap("commit", err)
	}
	return nil
}

// boundedTx runs every statement of a transaction under ctx, the context
// run gave it, with the operation's deadline: the contexts the domain hands
// the Tx's methods are the one it handed Read or Write, of which ctx is a
// child, so they add nothing to it.
type boundedTx struct {
	pgx.Tx
	ctx context.Context
}

func (t boundedTx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.Tx.Exec(t.ctx, sql, args...)
}

func (t boundedTx) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.Tx.Query(t.ctx, sql, args...)
}

func (t boundedTx) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	return t.Tx.QueryRow(t.ctx, sql, args...)
}

func (t boundedTx) SendBatch(_ context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.Tx.SendBatch(t.ctx, b)
}

func (t boundedTx) CopyFrom(_ context.Context, table pgx.Identifier, columns []string, rows pgx.CopyFromSource) (int64, error) {
	return t.Tx.CopyFrom(t.ctx, table, columns, rows)
}

func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if err := db.pool.Ping(ctx); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// Close waits for the connections in use to be released, then closes them all.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// tx is the accountd.Tx of one transaction. write is set in a Write's, whose
// look-ups lock the row they read.
type tx struct {
	tx    pgx.Tx
	write bool
}

var _ accountd.Tx = (*tx)(nil)

// errUnavailable is what a caller hears when the server cannot be reached;
// the HTTP layer answers it with 503.
var errUnavailable = &accountd.Error{Kind: accountd.KindUnavailable, Code: "store_unavailable",
	Message: "The store cannot be reached; try again shortly", RetryAfter: opTimeout}

// wrap says which operation failed, turns a missing row into the domain's
// ErrNotFound, a connection the URL's settings doom into a configError,
// and a server out of reach into errUnavailable, keeping the cause for the
// logs.
func wrap(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return accountd.ErrNotFound
	}
	if fix := misconfiguration(err); fix != "" {
		// Which operation met it does not matter: every one would.
		return fmt.Errorf("postgres: %w", &configError{err: err, fix: fix})
	}
	if unreachable(err) {
		return fmt.Errorf("postgres: %s: %w: %w", op, errUnavailable, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// Unreachable reports whether err is the server being out of reach or not
// answering, which waiting may cure; not a connection refused for the
// database URL's settings, which it cannot.
func Unreachable(err error) bool {
	var c *configError
	return errors.Is(err, errUnavailable) && !errors.As(err, &c)
}

// configError is a connection refused for the database URL's role,
// password, database name or TLS settings: trying again cannot help, so its
// message says what to change rather than to try again.
type configError struct {
	err error
	fix string
}

func (e *configError) Error() string { return e.err.Error() + "; " + e.fix }
func (e *configError) Unwrap() error { return e.err }

// As makes a request that meets the error while serving (a password
// rotated under a running instance) answer as for an outage, 503: all its
// client can do is try again later.
func (e *configError) As(target any) bool {
	if t, ok := target.(**accountd.Error); ok {
		*t = errUnavailable
		return true
	}
	return false
}

// misconfiguration names what to fix when err is a connection refused for
// the URL's settings, and is "" otherwise.
func misconfiguration(err error) string {
	var connect *pgconn.ConnectError
	if !errors.As(err, &connect) {
		return ""
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "28P01": // invalid_password
			return "fix the user or password in the database URL"
		case "28000": // invalid_authorization_specification: no such role, or pg_hba.conf lets it not in
			return "fix the user in the database URL, or create that role or let it in through the server's pg_hba.conf"
		case "3D000": // invalid_catalog_name
			return "fix the database name in the database URL, or create that database"
		}
	}
	// verify-full fails with a CertificateVerificationError; verify-ca,
	// which pgx checks itself, with the x509 error alone. pgx says "server
	// refused TLS connection" with an error of no type of its own.
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	if errors.As(err, &verify) || errors.As(err, &authority) || errors.As(err, &invalid) || errors.As(err, &record) ||
		strings.Contains(err.Error(), "server refused TLS connection") {
		return "fix sslmode (or sslrootcert) in the database URL, or turn on TLS at the server"
	}
	return ""
}

// unreachable reports whether err means that no connection could be made or
// that the one in use was lost, rather than that the server refused what
// was asked.
func unreachable(err error) bool {
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		// Class 08 is "connection exception"; 57P01-57P03 say the server is
		// shutting down, has crashed, or is not accepting connections yet.
		return strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01" || pg.Code == "57P02" || pg.Code == "57P03"
	}
	// A deadline that passed is a server that did not answer in time:
	// opTimeout's, or the caller's.
	var network net.Error
	return errors.As(err, &network) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, context.DeadlineExceeded)
}

// mustAffect returns ErrNotFound when a change aimed at one record found none.
func mustAffect(op string, tag pgconn.CommandTag, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return accountd.ErrNotFound
	}
	return nil
}

// isUniqueViolation reports whether err is a breach of the named unique
// index or constraint.
func isUniqueViolation(err error, constraint string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" && e.ConstraintName == constraint
}

// ms is the value to store for t: the domain keeps milliseconds and
// timestamptz microseconds, so anything finer would not read back equal.
func ms(t time.Time) time.Time {
	return t.Truncate(time.Millisecond)
}

// optMs is ms for a time that may be unset; nil is stored as NULL.
func optMs(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ms(*t)
	return &v
}

// hashesOrNull stores an empty list of hashes as NULL, which reads back as
// nil: the domain does not tell the two apart.
func hashesOrNull(hashes [][]byte) [][]byte {
	if len(hashes) == 0 {
		return nil
	}
	return hashes
}

// textOrNull stores "" as NULL.
func textOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optText reads text that may be NULL, which becomes "".
type optText struct{ s *string }

func (o optText) ScanText(v pgtype.Text) error {
	*o.s = v.String // "" when NULL
	return nil
}
