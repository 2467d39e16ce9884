package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"accountd"
)

// hotLimit bounds the entries kept; past it the cache starts over.
const hotLimit = 10_000

// hotPoll is how often the store asks SQLite whether another process has
// committed; its own commits invalidate at once.
const hotPoll = 250 * time.Millisecond

// hotCache keeps the answers of SessionAccount, the look-up behind every
// authenticated request, for as long as nothing has been committed since
// they were read. Every commit through this store empties it before the
// commit is acknowledged, so a revoked token or a changed account is never
// served from memory. Commits by other processes on the same file show in
// PRAGMA data_version, which a watcher polls every hotPoll.
type hotCache struct {
	mu      sync.RWMutex
	gen     uint64 // counts invalidations; an answer read in an older one is not kept
	entries map[string]hotEntry
}

type hotEntry struct {
	session accountd.Session
	account *accountd.Account
}

func newHotCache() *hotCache {
	return &hotCache{entries: make(map[string]hotEntry)}
}

// generation is read before a look-up goes to SQLite.
func (c *hotCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *hotCache) get(key []byte) (*accountd.Session, *accountd.Account, bool) {
	c.mu.RLock()
	e, ok := c.entries[string(key)]
	c.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	s := e.session
	return &s, e.account.Clone(), true
}

// put keeps an answer read while the generation was gen, unless something
// was committed since: then the answer may already be stale.
func (c *hotCache) put(gen uint64, key []byte, s *accountd.Session, a *accountd.Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.entries) >= hotLimit {
		clear(c.entries)
	}
	c.entries[string(key)] = hotEntry{session: *s, account: a.Clone()}
}

func (c *hotCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

// watch invalidates the cache whenever another connection has committed,
// until ctx ends. It holds a connection of its own, since data_version is
// reported per connection.
func (c *hotCache) watch(ctx context.Context, conn *sql.Conn) {
	defer conn.Close()
	var last int64 = -1
	t := time.NewTicker(hotPoll)
	defer t.Stop()
	for {
		var v int64
		// A failed poll proves nothing; treat it as a change to stay safe.
		if err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil || v != last {
			if last != -1 || err != nil {
				c.invalidate()
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SessionAccount answers from the cache when it can, and otherwise reads
// both records in one transaction.
func (db *DB) SessionAccount(ctx context.Context, tokenHash []byte) (*accountd.Session, *accountd.Account, error) {
	if s, a, ok := db.hot.get(tokenHash); ok {
		return s, a, nil
	}
	gen := db.hot.generation()
	var s *accountd.Session
	var a *accountd.Account
	err := db.Read(ctx, func(tx accountd.Tx) (err error) {
		if s, err = tx.SessionByTokenHash(ctx, tokenHash); err != nil {
			return err
		}
		a, err = tx.AccountByID(ctx, s.AccountID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	db.hot.put(gen, tokenHash, s, a)
	return s, a, nil
}
