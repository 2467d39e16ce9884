package sqlite

import (
	"cmp"
	"context"
	"slices"
	"time"

	"accountd"
)

var (
	qMailInsert = newQuery(`INSERT INTO outbox
		(id, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	// One statement picks the due mail and leases it, so two senders can
	// never claim the same mail.
	qMailClaim = newQuery(`UPDATE outbox SET lease_until = ?1
		WHERE id IN (
			SELECT id FROM outbox
			WHERE sent_at IS NULL AND next_attempt_at <= ?2 AND (lease_until IS NULL OR lease_until <= ?2)
			ORDER BY next_attempt_at, id LIMIT ?3)
		RETURNING id, recipient, subject, body, created_at, attempts, next_attempt_at, sent_at, last_error`)
	// The body goes once sent: it may hold a one-time code.
	qMailSent   = newQuery("UPDATE outbox SET sent_at = ?, lease_until = NULL, body = '' WHERE id = ?")
	qMailFailed = newQuery(`UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_until = NULL
		WHERE id = ?`)
	// The partial index outbox_due holds exactly the mail not yet sent.
	qMailBacklog = newQuery("SELECT count(*), coalesce(min(created_at), -1) FROM outbox WHERE sent_at IS NULL")
)

func (t *tx) EnqueueMail(ctx context.Context, m *accountd.Mail) error {
	_, err := t.stmt(ctx, qMailInsert).ExecContext(ctx, m.ID, m.To, m.Subject, m.Body,
		m.CreatedAt.UnixMilli(), m.Attempts, m.NextAttemptAt.UnixMilli(), msOrNull(m.SentAt), m.LastError)
	if err != nil {
		return wrap("enqueue mail", err)
	}
	return nil
}

// ClaimMail returns the claimed mail in the order it fell due.
func (db *DB) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, max int) ([]accountd.Mail, error) {
	release, err := db.takeWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if max <= 0 {
		return nil, nil // SQLite reads a negative LIMIT as no limit at all
	}
	stmt, err := db.writer.stmt(ctx, qMailClaim)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, now.Add(lease).UnixMilli(), now.UnixMilli(), max)
	if err != nil {
		return nil, wrap("claim mail", err)
	}
	defer rows.Close()
	var out []accountd.Mail
	for rows.Next() {
		var m accountd.Mail
		if err := rows.Scan(&m.ID, &m.To, &m.Subject, &m.Body, millis{&m.CreatedAt}, number{&m.Attempts},
			millis{&m.NextAttemptAt}, optMillis{&m.SentAt}, &m.LastError); err != nil {
			return nil, wrap("claim mail", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
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
	res, err := db.execOnWriter(ctx, qMailSent, at.UnixMilli(), id)
	return mustAffect("mark mail sent", res, err)
}

// MarkMailFailed returns ErrNotFound when there is no mail with id.
func (db *DB) MarkMailFailed(ctx context.Context, id string, next time.Time, reason string) error {
	res, err := db.execOnWriter(ctx, qMailFailed, next.UnixMilli(), reason, id)
	return mustAffect("mark mail failed", res, err)
}

func (db *DB) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	stmt, err := db.reader.stmt(ctx, qMailBacklog)
	if err != nil {
		return 0, time.Time{}, err
	}
	var pending int
	var oldest int64
	if err := stmt.QueryRowContext(ctx).Scan(number{&pending}, &oldest); err != nil {
		return 0, time.Time{}, wrap("outbox backlog", err)
	}
	if oldest < 0 {
		return pending, time.Time{}, nil
	}
	return pending, time.UnixMilli(oldest).UTC(), nil
}
