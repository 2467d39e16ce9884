package postgres

import (
	"context"

	"accountd"
)

const (
	// The no-op update locks an existing rendition until commit, so that a
	// DropUnusedMedia of another transaction waits to see this one's
	// account show the picture (and keeps it) or not.
	qMediaInsert = `INSERT INTO media (key, size, content_type, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (key, size) DO UPDATE SET key = EXCLUDED.key`
	qMediaBySize  = "SELECT key, size, content_type, data FROM media WHERE key = $1 AND size = $2"
	qMediaLargest = "SELECT key, size, content_type, data FROM media WHERE key = $1 ORDER BY size DESC LIMIT 1"
	qMediaLock    = "SELECT size FROM media WHERE key = $1 FOR UPDATE"
	// A statement of its own after qMediaLock: at READ COMMITTED it sees
	// every account committed by a writer the lock waited for.
	qMediaDrop = `DELETE FROM media WHERE key = $1 AND NOT EXISTS (SELECT 1 FROM accounts
		WHERE (profile_image = $1 OR background_image = $1) AND deleted_at IS NULL)`
)

func (t *tx) PutMedia(ctx context.Context, media []accountd.Media) error {
	for _, m := range media {
		if _, err := t.tx.Exec(ctx, qMediaInsert, m.Key, m.Size, m.ContentType, m.Data); err != nil {
			return wrap("put media", err)
		}
	}
	return nil
}

func (t *tx) Media(ctx context.Context, key string, size int) (*accountd.Media, error) {
	q, args := qMediaBySize, []any{key, size}
	if size == 0 {
		q, args = qMediaLargest, []any{key}
	}
	row := t.tx.QueryRow(ctx, q, args...)
	var m accountd.Media
	if err := row.Scan(&m.Key, &m.Size, &m.ContentType, &m.Data); err != nil {
		return nil, wrap("media", err)
	}
	return &m, nil
}

func (t *tx) DropUnusedMedia(ctx context.Context, key string) error {
	rows, err := t.tx.Query(ctx, qMediaLock, key)
	if err != nil {
		return wrap("drop media", err)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return wrap("drop media", err)
	}
	if _, err := t.tx.Exec(ctx, qMediaDrop, key); err != nil {
		return wrap("drop media", err)
	}
	return nil
}
