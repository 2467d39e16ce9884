package sqlite

import (
	"context"

	"accountd"
)

var (
	// A new code takes over the row of the old one, id included, so the old
	// code stops working the moment the new one is stored.
	qCodePut = newQuery(`INSERT INTO codes (id, account_id, purpose, hash, attempts, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (account_id, purpose) DO UPDATE SET
			id = excluded.id, hash = excluded.hash, attempts = excluded.attempts,
			expires_at = excluded.expires_at, created_at = excluded.created_at`)
	qCodeFor = newQuery(`SELECT id, account_id, purpose, hash, attempts, expires_at, created_at
		FROM codes WHERE account_id = ? AND purpose = ?`)
	qCodeAttempt = newQuery("UPDATE codes SET attempts = attempts + 1 WHERE id = ?")
	qCodeDelete  = newQuery("DELETE FROM codes WHERE id = ?")
)

func (t *tx) PutCode(ctx context.Context, c *accountd.Code) error {
	_, err := t.stmt(ctx, qCodePut).ExecContext(ctx, c.ID, c.AccountID, string(c.Purpose), c.Hash,
		c.Attempts, c.ExpiresAt.UnixMilli(), c.CreatedAt.UnixMilli())
	if err != nil {
		return wrap("put code", err)
	}
	return nil
}

func (t *tx) CodeFor(ctx context.Context, accountID string, purpose accountd.Purpose) (*accountd.Code, error) {
	var c accountd.Code
	err := t.stmt(ctx, qCodeFor).QueryRowContext(ctx, accountID, string(purpose)).Scan(
		&c.ID, &c.AccountID, &c.Purpose, &c.Hash, number{&c.Attempts}, millis{&c.ExpiresAt}, millis{&c.CreatedAt})
	if err != nil {
		return nil, wrap("code for", err)
	}
	return &c, nil
}

// CountCodeAttempt returns ErrNotFound when the code is gone.
func (t *tx) CountCodeAttempt(ctx context.Context, id string) error {
	res, err := t.stmt(ctx, qCodeAttempt).ExecContext(ctx, id)
	return mustAffect("count code attempt", res, err)
}

// DeleteCode returns ErrNotFound when the code is gone.
func (t *tx) DeleteCode(ctx context.Context, id string) error {
	res, err := t.stmt(ctx, qCodeDelete).ExecContext(ctx, id)
	return mustAffect("delete code", res, err)
}
