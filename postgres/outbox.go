package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
)

const (
	mailColumns = "id, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error"

	qMailInsert = "INSERT INTO outbox (" + mailColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
	// One statement picks the due mail and leases it. SKIP LOCKED passes
	// over mail another sender is claiming at this moment, instead of
	// waiting for it; mail claimed since this statement began is locked or
	// already leased, and a row's lease is checked again on its latest
	// version once locked, so two senders never claim the same mail.
	qMailClaim = `WITH due AS (
			SELECT id FROM outbox
			WHERE sent_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2)
			ORDER BY next_attempt_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox SET lease_until = $1 FROM due WHERE outbox.id = due.id
		RETURNING outbox.id, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error`
	// The body goes once sent: it may hold a one-time code.
	qMailSent   = "UPDATE outbox SET sent_at = $1, lease_until = NULL, body = '' WHERE id = $2"
	qMailFailed = `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, lease_until = NULL
		WHERE id = $3`
	// The partial index outbox_due holds exactly the mail not yet sent.
	qMailBacklog = "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL"
)

func (t *tx) EnqueueMail(ctx context.Context, m *accountd.Mail) error {
	_, err := t.tx.Exec(ctx, qMailInsert, m.ID, m.To, m.Subject, m.Body,
		ms(m.CreatedAt), m.Attempts, ms(m.NextAttemptAt), optMs(m.SentAt), m.LastError)
	if err != nil {
		return wrap("enqueue mail", err)
	}
	return nil
}

// ClaimMail returns the claimed mail in the order it fell due.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, max int) ([]accountd.Mail, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	if max <= 0 {
		return nil, nil // PostgreSQL refuses a negative LIMIT
	}
	now = ms(now)
	rows, err := db.pool.Query(ctx, qMailClaim, ms(now.Add(lease)), now, max)
	if err != nil {
		return nil, wrap("claim mail", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (m accountd.Mail, err error) {
		err = row.Scan(&m.ID, &m.To, &m.Subject, &m.Body, &m.CreatedAt, &m.Attempts, &m.NextAttemptAt, &m.SentAt, &m.LastError)
		return m, err
	})
	if err != nil {
		return nil, wrap("claim mail", err)
	}
	// RETURNING yields rows in no particular order.
	slices.SortFunc(out, func(a, b accountd.Mail) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// MarkMailSent returns ErrNotFound when there is no mail with id.
func (db *DB) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, qMailSent, ms(at), id)
	return mustAffect("mark mail sent", tag, err)
}

// MarkMailFailed returns ErrNotFound when there is no mail with id.
func (db *DB) MarkMailFailed(ctx context.Context, id string, next time.Time, reason string) error {
	ctx, cancel := bounded(ctx)
	defer cancel()
	tag, err := db.pool.Exec(ctx, qMailFailed, ms(next), reason, id)
	return mustAffect("mark mail failed", tag, err)
}

func (db *DB) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	var pending int
	var oldest *time.Time
	if err := db.pool.QueryRow(ctx, qMailBacklog).Scan(&pending, &oldest); err != nil {
		return 0, time.Time{}, wrap("outbox backlog", err)
	}
	if oldest == nil {
		return pending, time.Time{}, nil
	}
	return pending, *oldest, nil
}
