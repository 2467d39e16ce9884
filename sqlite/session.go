package sqlite

import (
	"context"
	"time"

	"accountd"
)

const sessionColumns = "id, account_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip"

var (
	qSessionInsert      = newQuery("INSERT INTO sessions (" + sessionColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
	qSessionByTokenHash = newQuery("SELECT " + sessionColumns + " FROM sessions WHERE token_hash = ?")
	qSessions           = newQuery("SELECT " + sessionColumns + ` FROM sessions
		WHERE account_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`)
	qSessionTouch      = newQuery("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
	qSessionDelete     = newQuery("DELETE FROM sessions WHERE account_id = ? AND id = ?")
	qSessionDeleteRest = newQuery("DELETE FROM sessions WHERE account_id = ? AND id <> ?")
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanSession(row scanner) (accountd.Session, error) {
	var s accountd.Session
	err := row.Scan(&s.ID, &s.AccountID, &s.TokenHash,
		millis{&s.CreatedAt}, millis{&s.LastSeenAt}, millis{&s.ExpiresAt}, &s.UserAgent, &s.IP)
	return s, err
}

func (t *tx) CreateSession(ctx context.Context, s *accountd.Session) error {
	_, err := t.stmt(ctx, qSessionInsert).ExecContext(ctx, s.ID, s.AccountID, s.TokenHash,
		s.CreatedAt.UnixMilli(), s.LastSeenAt.UnixMilli(), s.ExpiresAt.UnixMilli(), s.UserAgent, s.IP)
	if err != nil {
		return wrap("create session", err)
	}
	return nil
}

// SessionByTokenHash returns the session even if it has expired; whether it
// still admits its holder is the caller's rule.
func (t *tx) SessionByTokenHash(ctx context.Context, hash []byte) (*accountd.Session, error) {
	s, err := scanSession(t.stmt(ctx, qSessionByTokenHash).QueryRowContext(ctx, hash))
	if err != nil {
		return nil, wrap("session by token hash", err)
	}
	return &s, nil
}

func (t *tx) Sessions(ctx context.Context, accountID string, now time.Time) ([]accountd.Session, error) {
	rows, err := t.stmt(ctx, qSessions).QueryContext(ctx, accountID, now.UnixMilli())
	if err != nil {
		return nil, wrap("sessions", err)
	}
	defer rows.Close()
	var out []accountd.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, wrap("sessions", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("sessions", err)
	}
	return out, nil
}

// TouchSession returns ErrNotFound when the session is gone, for instance
// signed out since the caller looked it up.
func (t *tx) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := t.stmt(ctx, qSessionTouch).ExecContext(ctx, at.UnixMilli(), id)
	return mustAffect("touch session", res, err)
}

func (t *tx) DeleteSession(ctx context.Context, accountID, id string) error {
	res, err := t.stmt(ctx, qSessionDelete).ExecContext(ctx, accountID, id)
	return mustAffect("delete session", res, err)
}

func (t *tx) DeleteSessions(ctx context.Context, accountID, keepID string) error {
	if _, err := t.stmt(ctx, qSessionDeleteRest).ExecContext(ctx, accountID, keepID); err != nil {
		return wrap("delete sessions", err)
	}
	return nil
}
