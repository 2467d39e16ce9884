package sqlite

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"accountd"
)

// Write runs fn in a transaction on the writer. It never retries fn because
// of a conflict: with a single writer connection and BEGIN IMMEDIATE there
// is none, only a lock to wait for, which busy_timeout does.
//
// Writes that wait for the writer together are committed together: the
// first to get the writer runs every queued fn in one transaction, each in
// a savepoint of its own, so that one fn's error undoes that fn alone, and
// then commits once for all. A commit costs more than most writes, and so
// does the full-text index's flush, which happens once a transaction; under
// load, this is where the writer's time would go.
//
// fn holds the only writer connection, so it must not call the DB's own
// writing methods (Write, Hit, ClaimMail, MarkMail*, Prune): they would wait
// for that connection until ctx ends.
//
// The cache of SessionAccount is emptied before Write returns, whatever the
// outcome, so no answer read before the change outlives it.
func (db *DB) Write(ctx context.Context, fn func(accountd.Tx) error) error {
	w := &queuedWrite{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	db.queue.add(w)
	for {
		// An outcome already there comes first: leading a transaction of
		// others' writes would only delay it.
		select {
		case r := <-w.done:
			return r.get()
		default:
		}
		select {
		case r := <-w.done:
			return r.get()
		case db.writerTurn <- struct{}{}:
			db.writeQueued()
			<-db.writerTurn
		case <-ctx.Done():
			if w.state.CompareAndSwap(writeWaiting, writeAbandoned) {
				return fmt.Errorf("sqlite: waiting for the writer: %w", ctx.Err())
			}
			// A transaction has taken it: its outcome is on the way.
			return (<-w.done).get()
		}
	}
}

const (
	writeWaiting = iota
	writeTaken
	writeAbandoned
)

// queuedWrite is one Write waiting for a transaction to run it in.
type queuedWrite struct {
	ctx   context.Context
	fn    func(accountd.Tx) error
	state atomic.Int32
	done  chan writeResult
	// lost counts the transactions that ended under this write's statements.
	lost int
}

// writeResult is what became of a queued write. A panic in fn is carried
// back to the goroutine of its own Write, which panics with it there.
type writeResult struct {
	err      error
	panicked any
}

// ok reports whether the write succeeded.
func (r *writeResult) ok() bool { return r.err == nil && r.panicked == nil }

func (r writeResult) get() error {
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

type writeQueue struct {
	mu     sync.Mutex
	writes []*queuedWrite
}

func (q *writeQueue) add(w *queuedWrite) {
	q.mu.Lock()
	q.writes = append(q.writes, w)
	q.mu.Unlock()
}

// take empties the queue and returns the writes that were still waiting.
func (q *writeQueue) take() []*queuedWrite {
	q.mu.Lock()
	writes := q.writes
	q.writes = nil
	q.mu.Unlock()
	taken := writes[:0]
	for _, w := range writes {
		if w.state.CompareAndSwap(writeWaiting, writeTaken) {
			taken = append(taken, w)
		}
	}
	return taken
}

// writeQueued runs the queued writes while the caller holds the writer.
func (db *DB) writeQueued() {
	writes := db.queue.take()
	for len(writes) > 0 {
		results, again := db.writer.runWrites(writes)
		// Before any Write returns: see Write.
		db.hot.invalidate()
		for i, w := range writes {
			if results[i] != nil {
				w.done <- *results[i]
			}
		}
		writes = again
	}
}

// runWrites runs writes in one transaction. It returns the result of each
// write it could settle; the others, whose work was lost with the whole
// transaction because of another write, it returns to be run again.
//
// A savepoint that cannot be released or rolled back to means SQLite ended
// the transaction, as it does when a statement is interrupted: a write's
// context that ends while one of its statements runs interrupts it.
func (h *handle) runWrites(writes []*queuedWrite) (results []*writeResult, again []*queuedWrite) {
	results = make([]*writeResult, len(writes))
	lostAt := -1
	// The transaction is everyone's, so no one's context ends it; each
	// write's statements still run under its own.
	ctx := context.Background()
	err := h.run(ctx, nil, func(x accountd.Tx) error {
		t := x.(*tx).tx
		for i, w := range writes {
			if err := w.ctx.Err(); err != nil {
				results[i] = &writeResult{err: fmt.Errorf("sqlite: waiting for the writer: %w", err)}
				continue
			}
			if _, err := t.ExecContext(ctx, "SAVEPOINT write"); err != nil {
				return err
			}
			r := runWrite(w.fn, x)
			end := []string{"RELEASE write"}
			if !r.ok() {
				end = []string{"ROLLBACK TO write", "RELEASE write"}
			}
			for _, stmt := range end {
				if _, err := t.ExecContext(ctx, stmt); err != nil {
					if r.ok() {
						r.err = fmt.Errorf("sqlite: write: %w", err)
					}
					results[i], lostAt = &r, i
					return err
				}
			}
			results[i] = &r
		}
		return nil
	})
	if lostAt >= 0 {
		// The writes before lostAt that succeeded lost their work with the
		// transaction, and those after it never ran. The one whose
		// statement took the transaction with it runs again once, unless
		// its context ended: the interruption may have been another's.
		// No write runs again once it has ended two transactions, so the
		// rounds end.
		writes[lostAt].lost++
		for i, w := range writes {
			if i < lostAt && results[i].ok() || i == lostAt && w.ctx.Err() == nil && w.lost < 2 || i > lostAt {
				results[i] = nil
				again = append(again, w)
			}
		}
		return results, again
	}
	for i, r := range results {
		// Nothing was committed: the writes that succeeded did not happen.
		if r == nil || err != nil && r.ok() {
			results[i] = &writeResult{err: err}
		}
	}
	return results, nil
}

// runWrite calls fn, catching a panic to hand back to fn's own Write.
func runWrite(fn func(accountd.Tx) error, x accountd.Tx) (r writeResult) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked = p
		}
	}()
	r.err = fn(x)
	return r
}
