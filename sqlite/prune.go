package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// sentMailKept is how long a delivered mail's row is kept, to show what was
// sent; its body is already gone.
const sentMailKept = 7 * 24 * time.Hour

// pruneStatements run together in one transaction; ?1 is now and ?2 the
// time before which delivered mail goes.
var pruneStatements = []string{
	"DELETE FROM sessions WHERE expires_at <= ?1",
	"DELETE FROM codes WHERE expires_at <= ?1",
	"DELETE FROM rate_limits WHERE reset_at <= ?1",
	"DELETE FROM outbox WHERE sent_at < ?2",
}

// Prune is not prepared ahead, unlike the per-request queries: it runs
// rarely, and compiling four statements then costs nothing worth keeping.
func (db *DB) Prune(ctx context.Context, now time.Time) error {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	defer db.hot.invalidate()
	return db.writer.transact(ctx, nil, func(tx *sql.Tx) error {
		for _, q := range pruneStatements {
			if _, err := tx.ExecContext(ctx, q, now.UnixMilli(), now.Add(-sentMailKept).UnixMilli()); err != nil {
				return wrap("prune", err)
			}
		}
		return nil
	})
}
