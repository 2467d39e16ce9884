package postgres

import (
	"context"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
)

const (
	sessionColumns = "id, account_id, token_hash, created_at, last_seen_at, expires_at, user_agent, ip"

	qSessionInsert      = "INSERT INTO sessions (" + sessionColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	qSessionByTokenHash = "SELECT " + sessionColumns + " FROM sessions WHERE token_hash = $1"
	// A Write's look-up locks the session it reads, as it does any record.
	qSessionByTokenHashLocked = qSessionByTokenHash + " FOR NO KEY UPDATE"
	qSessions                 = "SELECT " + sessionColumns + ` FROM sessions
		WHERE account_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id DESC`
	qSessionTouch      = "UPDATE sessions SET last_seen_at = $1 WHERE id = $2"
	qSessionDelete     = "DELETE FROM sessions WHERE account_id = $1 AND id = $2"
	qSessionDeleteRest = "DELETE FROM sessions WHERE account_id = $1 AND id <> $2"
)

// bySession finds the account of the session whose token has the hash $1.
var bySession = newLookup("id = (SELECT account_id FROM sessions WHERE token_hash = $1)")

func scanSession(row pgx.Row) (accountd.Session, error) {
	var s accountd.Session
	err := row.Scan(&s.ID, &s.AccountID, &s.TokenHash, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.UserAgent, &s.IP)
	return s, err
}

// SessionAccount reads both records in one read-only transaction, as Read
// does, sending the queries together in one round trip. It keeps no cache:
// other instances change the database too, and nothing would tell this one.
func (db *DB) SessionAccount(ctx context.Context, tokenHash []byte) (*accountd.Session, *accountd.Account, error) {
	var s accountd.Session
	var a *accountd.Account
	err := db.run(ctx, readOptions, func(pt pgx.Tx) error {
		t := &tx{tx: pt}
		b := &pgx.Batch{}
		b.Queue(qSessionByTokenHash, tokenHash).QueryRow(func(row pgx.Row) (err error) {
			s, err = scanSession(row)
			return err
		})
		t.queueAccount(b, &bySession, tokenHash, &a)
		if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
			return wrap("session account", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return &s, a, nil
}

func (t *tx) CreateSession(ctx context.Context, s *accountd.Session) error {
	_, err := t.tx.Exec(ctx, qSessionInsert, s.ID, s.AccountID, s.TokenHash,
		ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt), s.UserAgent, s.IP)
	if err != nil {
		return wrap("create session", err)
	}
	return nil
}

// SessionByTokenHash returns the session even if it has expired; whether it
// still admits its holder is the caller's rule.
func (t *tx) SessionByTokenHash(ctx context.Context, hash []byte) (*accountd.Session, error) {
	q := qSessionByTokenHash
	if t.write {
		q = qSessionByTokenHashLocked
	}
	s, err := scanSession(t.tx.QueryRow(ctx, q, hash))
	if err != nil {
		return nil, wrap("session by token hash", err)
	}
	return &s, nil
}

func (t *tx) Sessions(ctx context.Context, accountID string, now time.Time) ([]accountd.Session, error) {
	rows, err := t.tx.Query(ctx, qSessions, accountID, ms(now))
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
	tag, err := t.tx.Exec(ctx, qSessionTouch, ms(at), id)
	return mustAffect("touch session", tag, err)
}

func (t *tx) DeleteSession(ctx context.Context, accountID, id string) error {
	tag, err := t.tx.Exec(ctx, qSessionDelete, accountID, id)
	return mustAffect("delete session", tag, err)
}

func (t *tx) DeleteSessions(ctx context.Context, accountID, keepID string) error {
	if _, err := t.tx.Exec(ctx, qSessionDeleteRest, accountID, keepID); err != nil {
		return wrap("delete sessions", err)
	}
	return nil
}
