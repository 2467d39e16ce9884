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
	now = ms(now)
	err = db.pool.QueryRow(ctx, qHit, key, now, ms(now.Add(window))).Scan(&count, &resetAt)
	if err != nil {
		return 0, time.Time{}, wrap("hit", err)
	}
	return count, resetAt, nil
}
