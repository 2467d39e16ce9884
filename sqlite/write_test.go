package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"accountd"
)

// holdWriter runs a Write that holds the writer until the returned func is
// called, so that the Writes started meanwhile queue up behind it.
func holdWriter(t *testing.T, db *DB) (letGo func()) {
	t.Helper()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(t.Context(), func(accountd.Tx) error { close(holding); <-release; return nil })
	}()
	<-holding
	return func() {
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// errPanicked is what queued reports when its Write panicked.
var errPanicked = errors.New("the write panicked")

// queued starts fn in a Write once the writer is held, and waits until it is
// in the queue. A panic of the Write comes back as errPanicked.
func queued(t *testing.T, db *DB, ctx context.Context, fn func(accountd.Tx) error) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	before := queueLen(db)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("%w: %v", errPanicked, p)
			}
		}()
		done <- db.Write(ctx, fn)
	}()
	for queueLen(db) == before {
		time.Sleep(time.Millisecond)
	}
	return done
}

func queueLen(db *DB) int {
	db.queue.mu.Lock()
	defer db.queue.mu.Unlock()
	return len(db.queue.writes)
}

// hitCount reads the count of a rate-limit key, 0 when it has none.
func hitCount(t *testing.T, db *DB, key string) int {
	t.Helper()
	var n int
	err := db.reader.db.QueryRowContext(t.Context(), "SELECT ifnull(max(count), 0) FROM rate_limits WHERE key = ?", key).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func insertHit(ctx context.Context, x accountd.Tx, key string) error {
	_, err := x.(*tx).tx.ExecContext(ctx, "INSERT INTO rate_limits (key, reset_at, count) VALUES (?, 0, 1)", key)
	return err
}

// TestQueuedWritesShareATransaction: the writes that wait together run in
// one transaction; one that fails or panics leaves nothing, and the others
// are committed.
func TestQueuedWritesShareATransaction(t *testing.T) {
	db := openMigrated(t)
	ctx := t.Context()
	letGo := holdWriter(t, db)
	var mu sync.Mutex
	seen := map[*tx]bool{}
	var results []<-chan error
	for i := range 6 {
		key := fmt.Sprint("k", i)
		results = append(results, queued(t, db, ctx, func(x accountd.Tx) error {
			mu.Lock()
			seen[x.(*tx)] = true
			mu.Unlock()
			if err := insertHit(ctx, x, key); err != nil {
				return err
			}
			switch i {
			case 1:
				return errBoom
			case 4:
				panic("boom")
			}
			return nil
		}))
	}
	letGo()
	for i, done := range results {
		switch err := <-done; {
		case i == 1 && !errors.Is(err, errBoom), i == 4 && !errors.Is(err, errPanicked), i != 1 && i != 4 && err != nil:
			t.Errorf("write %d: %v", i, err)
		}
	}
	if len(seen) != 1 {
		t.Errorf("the queued writes ran in %d transactions, want 1", len(seen))
	}
	for i := range 6 {
		want := 1
		if i == 1 || i == 4 {
			want = 0
		}
		if n := hitCount(t, db, fmt.Sprint("k", i)); n != want {
			t.Errorf("k%d: count %d, want %d", i, n, want)
		}
	}
}

// errBoom is what a failing write returns.
var errBoom = errors.New("boom")

// TestInterruptedWriteLeavesTheOthers: a write whose context ends while its
// statement runs is interrupted, and SQLite then ends the whole
// transaction; the other writes of that transaction run again and are
// committed.
func TestInterruptedWriteLeavesTheOthers(t *testing.T) {
	db := openMigrated(t)
	ctx := t.Context()
	letGo := holdWriter(t, db)
	var firstRuns atomic.Int32
	first := queued(t, db, ctx, func(x accountd.Tx) error {
		firstRuns.Add(1)
		return insertHit(ctx, x, "first")
	})
	slowCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	running := make(chan struct{})
	slow := queued(t, db, slowCtx, func(x accountd.Tx) error {
		close(running)
		_, err := x.(*tx).tx.ExecContext(slowCtx, `WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000)
			INSERT INTO rate_limits (key, reset_at, count) SELECT 'slow' || i, 0, 1 FROM n`)
		return err
	})
	last := queued(t, db, ctx, func(x accountd.Tx) error { return insertHit(ctx, x, "last") })
	go func() {
		<-running
		time.Sleep(20 * time.Millisecond)
		cancel()
	}()
	letGo()
	if err := <-slow; err == nil {
		t.Error("the interrupted write succeeded")
	}
	if err := errors.Join(<-first, <-last); err != nil {
		t.Fatal(err)
	}
	if hitCount(t, db, "first") != 1 || hitCount(t, db, "last") != 1 || hitCount(t, db, "slow1") != 0 {
		t.Errorf("first %d, last %d, slow1 %d; want 1, 1, 0", hitCount(t, db, "first"), hitCount(t, db, "last"), hitCount(t, db, "slow1"))
	}
	// The first write ran again: the interruption took its work with the
	// transaction.
	if n := firstRuns.Load(); n != 2 {
		t.Errorf("the first write ran %d times, want 2", n)
	}
}
