package postgres

import (
	"context"
	"time"
)

// qHit counts and reads in one statement, so concurrent hits on a key can
// neither lose a count nor see a window that has just been reset: ON
// CONFLICT DO UPDATE locks the row and works on its latest version. $1 is
// the key, $2 now and $3 when a window starting now would end.
const qHit = `INSERT INTO rate_limits (key, reset_at, count) VALUES ($1, $3, 1)
	ON CONFLICT (key) DO UPDATE SET
		count    = CASE WHEN rate_limits.reset_at <= $2 THEN 1 ELSE rate_limits.count + 1 END,
		reset_at = CASE WHEN rate_limits.reset_at <= $2 THEN $3 ELSE rate_limits.reset_at END
	RETURNING count, reset_at`

func (db *DB) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	now = ms(now)
	err = db.pool.QueryRow(ctx, qHit, key, now, ms(now.Add(window))).Scan(&count, &resetAt)
	if err != nil {
		return 0, time.Time{}, wrap("hit", err)
	}
	return count, resetAt, nil
}

func (db *DB) Hits(ctx context.Context, key string, now time.Time) (int, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	var count int
	err := db.pool.QueryRow(ctx, "SELECT coalesce((SELECT count FROM rate_limits WHERE key = $1 AND reset_at > $2), 0)", key, ms(now)).Scan(&count)
	if err != nil {
		return 0, wrap("hits", err)
	}
	return count, nil
}

func (db *DB) UndoHit(ctx context.Context, key string, now time.Time) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	_, err := db.pool.Exec(ctx, "UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND reset_at > $2 AND count > 0", key, ms(now))
	if err != nil {
		return wrap("undo hit", err)
	}
	return nil
}

func (db *DB) ClearHits(ctx context.Context, key string) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if _, err := db.pool.Exec(ctx, "DELETE FROM rate_limits WHERE key = $1", key); err != nil {
		return wrap("clear hits", err)
	}
	return nil
}
