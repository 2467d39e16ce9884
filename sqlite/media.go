package sqlite

import (
	"context"

	"accountd"
)

var (
	qMediaInsert = newQuery(`INSERT INTO media (key, size, content_type, data) VALUES (?, ?, ?, ?)
		ON CONFLICT (key, size) DO NOTHING`)
	qMediaBySize  = newQuery("SELECT key, size, content_type, data FROM media WHERE key = ? AND size = ?")
	qMediaLargest = newQuery("SELECT key, size, content_type, data FROM media WHERE key = ? ORDER BY size DESC LIMIT 1")
	qMediaDrop    = newQuery(`DELETE FROM media WHERE key = ?1 AND NOT EXISTS (SELECT 1 FROM accounts
		WHERE (profile_image = ?1 OR background_image = ?1) AND deleted_at IS NULL)`)
)

func (t *tx) PutMedia(ctx context.Context, media []accountd.Media) error {
	for _, m := range media {
		if _, err := t.stmt(ctx, qMediaInsert).ExecContext(ctx, m.Key, m.Size, m.ContentType, m.Data); err != nil {
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
	row := t.stmt(ctx, q).QueryRowContext(ctx, args...)
	var m accountd.Media
	if err := row.Scan(&m.Key, &m.Size, &m.ContentType, &m.Data); err != nil {
		return nil, wrap("media", err)
	}
	return &m, nil
}

func (t *tx) DropUnusedMedia(ctx context.Context, key string) error {
	if _, err := t.stmt(ctx, qMediaDrop).ExecContext(ctx, key); err != nil {
		return wrap("drop media", err)
	}
	return nil
}
