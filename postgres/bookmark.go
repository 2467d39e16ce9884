package postgres

import (
	"context"
	"errors"

	"accountd"

	"github.com/jackc/pgx/v5"
)

const (
	// The bookmark goes in only while both accounts are live. FOR KEY
	// SHARE waits for a DeleteAccount of either (which locks FOR UPDATE)
	// to end, then reads the row as that left it: a bookmark cannot slip
	// in after DeleteAccount removed the account's. (deleted_at is tested
	// on the row read, not in the WHERE, which would let a planner short
	// of statistics find the id through a partial index on live rows,
	// whole, rather than through the primary key.) The conflict with an
	// earlier bookmark of the pair leaves that one, and returns no row.
	qBookmarkInsert = `INSERT INTO bookmarks (id, owner, account_id, created_at)
		SELECT $1, $2, $3, $4
		WHERE (SELECT deleted_at IS NULL FROM accounts WHERE id = $2 FOR KEY SHARE)
			AND (SELECT deleted_at IS NULL FROM accounts WHERE id = $3 FOR KEY SHARE)
		ON CONFLICT (owner, account_id) DO NOTHING
		RETURNING id`
	qBookmarkFind   = "SELECT id, created_at FROM bookmarks WHERE owner = $1 AND account_id = $2"
	qBookmarkDelete = "DELETE FROM bookmarks WHERE owner = $1 AND (id = $2 OR account_id = $2)"
)

// PutBookmark inserts b unless the pair has a bookmark, and otherwise
// returns that one. When a concurrent PutBookmark of the pair inserts
// first, the insert waits for it to commit and then does nothing, and the
// look-up after it, a new statement at READ COMMITTED, sees its bookmark.
// ErrNotFound when either account is not live.
func (t *tx) PutBookmark(ctx context.Context, b *accountd.Bookmark) (*accountd.Bookmark, bool, error) {
	var id string
	err := t.tx.QueryRow(ctx, qBookmarkInsert, b.ID, b.Owner, b.User, ms(b.CreatedAt)).Scan(&id)
	if err == nil {
		return &accountd.Bookmark{ID: id, Owner: b.Owner, User: b.User, CreatedAt: ms(b.CreatedAt)}, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, wrap("put bookmark", err)
	}
	stored := &accountd.Bookmark{Owner: b.Owner, User: b.User}
	if err := t.tx.QueryRow(ctx, qBookmarkFind, b.Owner, b.User).Scan(&stored.ID, &stored.CreatedAt); err != nil {
		return nil, false, wrap("put bookmark", err)
	}
	return stored, false, nil
}

func (t *tx) DeleteBookmark(ctx context.Context, ownerID, id string) error {
	tag, err := t.tx.Exec(ctx, qBookmarkDelete, ownerID, id)
	return mustAffect("delete bookmark", tag, err)
}
