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
