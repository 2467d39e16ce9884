package sqlite

import (
	"context"
	"time"
)

// qHit counts and reads in one statement, so concurrent hits on a key can
// neither lose a count nor see a window that has just been reset.
// ?1 is the key, ?2 now and ?3 the window, both in milliseconds.
var qHit = newQuery(`INSERT INTO rate_limits (key, reset_at, count) VALUES (?1, ?2 + ?3, 1)
	ON CONFLICT (key) DO UPDATE SET
		count    = CASE WHEN reset_at <= ?2 THEN 1 ELSE count + 1 END,
		reset_at = CASE WHEN reset_at <= ?2 THEN ?2 + ?3 ELSE reset_at END
	RETURNING count, reset_at`)

func (db *DB) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error) {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return 0, time.Time{}, err
	}
	defer release()
	stmt, err := db.writer.stmt(ctx, qHit)
	if err != nil {
		return 0, time.Time{}, err
	}
	err = stmt.QueryRowContext(ctx, key, now.UnixMilli(), window.Milliseconds()).Scan(number{&count}, millis{&resetAt})
	if err != nil {
		return 0, time.Time{}, wrap("hit", err)
	}
	return count, resetAt, nil
}

var (
	qHits     = newQuery("SELECT ifnull((SELECT count FROM rate_limits WHERE key = ? AND reset_at > ?), 0)")
	qUndoHit  = newQuery("UPDATE rate_limits SET count = count - 1 WHERE key = ? AND reset_at > ? AND count > 0")
	qClearHit = newQuery("DELETE FROM rate_limits WHERE key = ?")
)

func (db *DB) Hits(ctx context.Context, key string, now time.Time) (int, error) {
	stmt, err := db.reader.stmt(ctx, qHits)
	if err != nil {
		return 0, err
	}
	var count int
	if err := stmt.QueryRowContext(ctx, key, now.UnixMilli()).Scan(number{&count}); err != nil {
		return 0, wrap("hits", err)
	}
	return count, nil
}

func (db *DB) UndoHit(ctx context.Context, key string, now time.Time) error {
	if _, err := db.execOnWriter(ctx, qUndoHit, key, now.UnixMilli()); err != nil {
		return wrap("undo hit", err)
	}
	return nil
}

func (db *DB) ClearHits(ctx context.Context, key string) error {
	if _, err := db.execOnWriter(ctx, qClearHit, key); err != nil {
		return wrap("clear hits", err)
	}
	return nil
}
