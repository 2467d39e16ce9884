package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// sentMailKept is how long a delivered mail's row is kept, to show what was
// sent; its body is already gone.
const sentMailKept = 7 * 24 * time.Hour

// pruneStatements take now as $1.
var pruneStatements = []string{
	"DELETE FROM sessions WHERE expires_at <= $1",
	"DELETE FROM codes WHERE expires_at <= $1",
	"DELETE FROM rate_limits WHERE reset_at <= $1",
}

// qPruneMail takes the time before which delivered mail goes.
const qPruneMail = "DELETE FROM outbox WHERE sent_at < $1"

// qFoldListingCounts makes the changes to the listing counts one row per
// role and completeness. A Prune of another instance at the same time
// waits for this one's rows, then finds them gone and adds nothing.
const qFoldListingCounts = `WITH folded AS (DELETE FROM listing_count_changes RETURNING role, profile_completeness, n)
	INSERT INTO listing_count_changes (role, profile_completeness, n)
	SELECT role, profile_completeness, sum(n) FROM folded GROUP BY role, profile_completeness HAVING sum(n) <> 0`

// Prune sends its statements as one batch, which the server runs as one
// implicit transaction: all of them take effect or none.
func (db *DB) Prune(ctx context.Context, now time.Time) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	now = ms(now)
	b := &pgx.Batch{}
	for _, q := range pruneStatements {
		b.Queue(q, now)
	}
	b.Queue(qPruneMail, now.Add(-sentMailKept))
	b.Queue(qFoldListingCounts)
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return wrap("prune", err)
	}
	return nil
}
