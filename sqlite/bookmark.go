package sqlite

import (
	"context"

	"accountd"
)

var (
	qBookmarkInsert = newQuery(`INSERT INTO bookmarks (id, owner, account_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (owner, account_id) DO NOTHING`)
	qBookmarkFind   = newQuery("SELECT id, created_at FROM bookmarks WHERE owner = ? AND account_id = ?")
	qBookmarkDelete = newQuery("DELETE FROM bookmarks WHERE owner = ?1 AND (id = ?2 OR account_id = ?2)")
)

// PutBookmark inserts b unless the pair is there, and reads back the one
// that is: b's when the insert happened, the earlier one otherwise.
func (t *tx) PutBookmark(ctx context.Context, b *accountd.Bookmark) (*accountd.Bookmark, bool, error) {
	res, err := t.stmt(ctx, qBookmarkInsert).ExecContext(ctx, b.ID, b.Owner, b.User, b.CreatedAt.UnixMilli())
	if err != nil {
		return nil, false, wrap("put bookmark", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, wrap("put bookmark", err)
	}
	stored := &accountd.Bookmark{Owner: b.Owner, User: b.User}
	if err := t.stmt(ctx, qBookmarkFind).QueryRowContext(ctx, b.Owner, b.User).Scan(&stored.ID, millis{&stored.CreatedAt}); err != nil {
		return nil, false, wrap("put bookmark", err)
	}
	return stored, n == 1, nil
}

func (t *tx) DeleteBookmark(ctx context.Context, ownerID, id string) error {
	res, err := t.stmt(ctx, qBookmarkDelete).ExecContext(ctx, ownerID, id)
	return mustAffect("delete bookmark", res, err)
}
