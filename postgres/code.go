package postgres

import (
	"context"

	"accountd"
)

const (
	// A new code takes over the row of the old one, id included, so the old
	// code stops working the moment the new one is stored.
	qCodePut = `INSERT INTO codes (id, account_id, purpose, hash, attempts, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (account_id, purpose) DO UPDATE SET
			id = excluded.id, hash = excluded.hash, attempts = excluded.attempts,
			expires_at = excluded.expires_at, created_at = excluded.created_at`
	qCodeFor = `SELECT id, account_id, purpose, hash, attempts, expires_at, created_at
		FROM codes WHERE account_id = $1 AND purpose = $2`
	// A Write's look-up locks the code, so that guesses at it take turns,
	// each seeing the attempts counted before it.
	qCodeForLocked = qCodeFor + " FOR NO KEY UPDATE"
	qCodeAttempt   = "UPDATE codes SET attempts = attempts + 1 WHERE id = $1"
	qCodeDelete    = "DELETE FROM codes WHERE id = $1"
)

func (t *tx) PutCode(ctx context.Context, c *accountd.Code) error {
	_, err := t.tx.Exec(ctx, qCodePut, c.ID, c.AccountID, string(c.Purpose), c.Hash,
		c.Attempts, ms(c.ExpiresAt), ms(c.CreatedAt))
	if err != nil {
		return wrap("put code", err)
	}
	return nil
}

func (t *tx) CodeFor(ctx context.Context, accountID string, purpose accountd.Purpose) (*accountd.Code, error) {
	q := qCodeFor
	if t.write {
		q = qCodeForLocked
	}
	var c accountd.Code
	err := t.tx.QueryRow(ctx, q, accountID, string(purpose)).Scan(
		&c.ID, &c.AccountID, &c.Purpose, &c.Hash, &c.Attempts, &c.ExpiresAt, &c.CreatedAt)
	if err != nil {
		return nil, wrap("code for", err)
	}
	return &c, nil
}

// CountCodeAttempt returns ErrNotFound when the code is gone.
func (t *tx) CountCodeAttempt(ctx context.Context, id string) error {
	tag, err := t.tx.Exec(ctx, qCodeAttempt, id)
	return mustAffect("count code attempt", tag, err)
}

// DeleteCode returns ErrNotFound when the code is gone.
func (t *tx) DeleteCode(ctx context.Context, id string) error {
	tag, err := t.tx.Exec(ctx, qCodeDelete, id)
	return mustAffect("delete code", tag, err)
}
