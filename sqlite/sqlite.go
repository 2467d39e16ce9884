// Package sqlite is the accountd store in a single SQLite file, for a
// service that runs as one process.
//
// Writes go through a single connection, so the process never contends with
// itself for SQLite's one write lock; reads run in parallel on a pool of
// read-only connections, which WAL lets proceed beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"accountd"
	"accountd/sqlite/searchindex"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the store. Open it, then Migrate it before use.
type DB struct {
	writer, reader *handle
	hot            *hotCache
	// writerTurn queues users of the writer connection first come, first
	// served: database/sql hands a freed connection to an arbitrary waiter,
	// which under load leaves some writes waiting many times longer than
	// the rest. Blocked channel senders are served in order.
	writerTurn chan struct{}
	// queue holds the Writes waiting for the next transaction.
	queue     writeQueue
	stopWatch context.CancelFunc
	watching  sync.WaitGroup
}

var _ accountd.Store = (*DB)(nil)

// pragmas apply to every connection: they are per connection, except
// journal_mode, which sticks to the file but costs nothing to repeat.
// cache_size lets each connection keep up to 64 MiB of pages instead of
// SQLite's 2: a search that intersects large index entries at a million
// accounts reads them again on every run, from the OS when not from here,
// and takes about 15% longer.
const pragmas = "_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)"

// Open opens the database file at path, creating it if missing. It does not
// migrate the schema.
func Open(ctx context.Context, path string) (*DB, error) {
	// The driver takes everything after the first '?' as its parameters.
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("sqlite: database path %q must not contain '?'", path)
	}
	// BEGIN IMMEDIATE takes the write lock up front: a transaction that
	// started as a reader could otherwise fail with SQLITE_BUSY when it
	// tries to upgrade, without busy_timeout helping.
	writer, err := sql.Open("sqlite", path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	// Connect the writer first: it creates the file and switches it to WAL
	// before any read-only connection opens it.
	if err := writer.PingContext(ctx); err != nil {
		writer.Close()
		return nil, openError(path, err)
	}

	reader, err := sql.Open("sqlite", path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One more than the readers: the cache's watcher keeps one for itself.
	n := max(4, runtime.GOMAXPROCS(0)) + 1
	reader.SetMaxOpenConns(n)
	// Idle connections are kept, not closed: each holds its prepared statements.
	reader.SetMaxIdleConns(n)
	watchConn, err := reader.Conn(ctx)
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{writer: &handle{db: writer}, reader: &handle{db: reader}, hot: newHotCache(), writerTurn: make(chan struct{}, 1)}
	watchCtx, stop := context.WithCancel(context.Background())
	db.stopWatch = stop
	db.watching.Add(1)
	go func() { defer db.watching.Done(); db.hot.watch(watchCtx, watchConn) }()
	return db, nil
}

// openError is err, SQLite's failure to open the file at path, saying which
// directory to fix when that is the cause: SQLite's own message, "unable
// to open database file", does not.
func openError(path string, err error) error {
	var e *sqlitedriver.Error
	if !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_CANTOPEN {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	fi, statErr := os.Stat(dir)
	switch {
	case errors.Is(statErr, fs.ErrNotExist):
		return fmt.Errorf("sqlite: database %s: directory %s does not exist", path, dir)
	case statErr == nil && !fi.IsDir():
		return fmt.Errorf("sqlite: database %s: %s is not a directory", path, dir)
	}
	// Permission bits do not tell: root ignores them and a read-only mount
	// overrides them. Making a file does.
	probe, probeErr := os.CreateTemp(dir, ".accountd-probe-*")
	if probeErr != nil {
		return fmt.Errorf("sqlite: database %s: directory %s is not writable", path, dir)
	}
	probe.Close()
	os.Remove(probe.Name())
	return fmt.Errorf("sqlite: open %s: %w", path, err)
}

// takeWriter waits for this caller's turn on the writer connection.
func (db *DB) takeWriter(ctx context.Context) (release func(), err error) {
	select {
	case db.writerTurn <- struct{}{}:
		return func() { <-db.writerTurn }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sqlite: waiting for the writer: %w", ctx.Err())
	}
}

// execOnWriter runs q on its own on the writer connection, in its turn.
func (db *DB) execOnWriter(ctx context.Context, q query, args ...any) (sql.Result, error) {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	stmt, err := db.writer.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return stmt.ExecContext(ctx, args...)
}

// Read runs fn in a transaction on a read-only connection; any write in fn
// fails, since the connection has query_only set.
func (db *DB) Read(ctx context.Context, fn func(accountd.Tx) error) error {
	return db.reader.run(ctx, &sql.TxOptions{ReadOnly: true}, fn)
}

func (db *DB) Ping(ctx context.Context) error {
	return errors.Join(db.writer.db.PingContext(ctx), db.reader.db.PingContext(ctx))
}

// Close closes the readers before the writer, so that the writer is the last
// connection and checkpoints the WAL into the database file as it goes.
func (db *DB) Close() error {
	db.stopWatch()
	db.watching.Wait()
	return errors.Join(db.reader.db.Close(), db.writer.db.Close())
}

// queries are the statements every handle prepares, numbered by query.
// Preparing each once and reusing it keeps SQLite from compiling the SQL
// again on every request.
var queries []string

type query int

// newQuery adds sql to the statements handles prepare.
func newQuery(sql string) query {
	queries = append(queries, sql)
	return query(len(queries) - 1)
}

// handle is one pool of connections, with the queries prepared on it.
type handle struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts atomic.Pointer[[]*sql.Stmt]
	// built holds the statements of SQL built at run time, such as a
	// search's, by text: their shapes are few, and compiling one can cost
	// more than running it.
	built sync.Map
}

// prepareBuilt prepares query on the pool for later transactions, once. It
// must not run inside a transaction: preparing waits for a free connection,
// and when every connection is held by a transaction waiting the same way,
// none comes. When preparing fails, the next transaction to run query
// prepares it for itself again.
func (h *handle) prepareBuilt(ctx context.Context, query string) {
	if _, ok := h.built.Load(query); ok {
		return
	}
	s, err := h.db.PrepareContext(ctx, query)
	if err != nil {
		return
	}
	if _, loaded := h.built.LoadOrStore(query, s); loaded {
		s.Close()
	}
}

// prepared returns h's statements, preparing them on first use rather than
// at Open, because the tables do not exist until Migrate has run.
func (h *handle) prepared(ctx context.Context) ([]*sql.Stmt, error) {
	if s := h.stmts.Load(); s != nil {
		return *s, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.stmts.Load(); s != nil {
		return *s, nil
	}
	stmts := make([]*sql.Stmt, len(queries))
	for i, q := range queries {
		s, err := h.db.PrepareContext(ctx, q)
		if err != nil {
			for _, s := range stmts[:i] {
				s.Close()
			}
			return nil, fmt.Errorf("sqlite: prepare %q: %w", q, err)
		}
		stmts[i] = s
	}
	h.stmts.Store(&stmts)
	return stmts, nil
}

// stmt returns the statement of q, to run on its own outside a transaction.
func (h *handle) stmt(ctx context.Context, q query) (*sql.Stmt, error) {
	stmts, err := h.prepared(ctx)
	if err != nil {
		return nil, err
	}
	return stmts[q], nil
}

// run calls fn with a Tx in a transaction on h.
func (h *handle) run(ctx context.Context, opts *sql.TxOptions, fn func(accountd.Tx) error) error {
	stmts, err := h.prepared(ctx)
	if err != nil {
		return err
	}
	x := &tx{stmts: stmts, h: h}
	err = h.transact(ctx, opts, func(t *sql.Tx) error {
		x.tx = t
		if err := fn(x); err != nil {
			return err
		}
		if err := x.listings.Write(ctx, x); err != nil {
			return wrap("write listings", err)
		}
		return nil
	})
	for _, query := range x.unprepared {
		h.prepareBuilt(ctx, query)
	}
	return err
}

// transact runs fn in a transaction on h and commits it when fn returns nil.
// fn's error comes back unchanged.
func (h *handle) transact(ctx context.Context, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	t, err := h.db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer t.Rollback() // a no-op after Commit; otherwise it undoes fn, even if fn panics
	if err := fn(t); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// tx is the accountd.Tx of one transaction.
type tx struct {
	tx    *sql.Tx
	stmts []*sql.Stmt
	h     *handle
	// listings are the accounts whose listings the search index brings
	// up to date when fn has made all its changes.
	listings searchindex.Changes
	// unprepared are the built queries the transaction prepared for itself.
	unprepared []string
}

var _ accountd.Tx = (*tx)(nil)

// stmt returns q's statement bound to the transaction. database/sql keeps it
// prepared on each connection, so this does not compile q again.
func (t *tx) stmt(ctx context.Context, q query) *sql.Stmt {
	return t.tx.StmtContext(ctx, t.stmts[q])
}

// Stmt is built, for the search index.
func (t *tx) Stmt(ctx context.Context, query string) (*sql.Stmt, error) { return t.built(ctx, query) }

// built returns the statement of SQL built at run time, bound to the
// transaction. The first transaction to run a query prepares it for itself,
// and leaves it to run to prepare it on the pool once the transaction is done.
func (t *tx) built(ctx context.Context, query string) (*sql.Stmt, error) {
	if s, ok := t.h.built.Load(query); ok {
		return t.tx.StmtContext(ctx, s.(*sql.Stmt)), nil
	}
	t.unprepared = append(t.unprepared, query)
	return t.tx.PrepareContext(ctx, query)
}

// wrap says which operation failed, and turns a missing row into the
// domain's ErrNotFound.
func wrap(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return accountd.ErrNotFound
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// mustAffect returns ErrNotFound when a change aimed at one record found none.
func mustAffect(op string, res sql.Result, err error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return accountd.ErrNotFound
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var e *sqlitedriver.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}
