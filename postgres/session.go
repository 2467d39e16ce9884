package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
)

// sessionColumnList are the sessions columns a session is read from, in
// the order of sessionDest.
var sessionColumnList = []string{"id", "account_id", "token_hash", "created_at", "last_seen_at", "expires_at", "user_agent", "ip"}

var sessionColumns = strings.Join(sessionColumnList, ", ")

var (
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

// qSessionAccount reads the session whose token has the hash $1 and its
// live account, whole, in one statement: so in one round trip, and in one
// snapshot with no transaction around it. The achievements and tags come
// as JSON arrays of their documents, in the order queueAccount reads them,
// with keys that are the domain types' field names. Whether the account is
// live is a column, not a condition: joined on a.id alone, the planner looks
// the account up by its primary key even before statistics exist, where
// "deleted_at IS NULL" led it to scan the partial email index whole.
var qSessionAccount = "SELECT s." + strings.Join(sessionColumnList, ", s.") + ", " + accountColumns("a.") + `,
		a.deleted_at IS NULL,
		(SELECT coalesce(json_agg(json_build_object('ID', id, 'Owner', owner, 'Type', type, 'Total', total,
			'Value', value, 'CreatedAt', created_at, 'UpdatedAt', updated_at) ORDER BY created_at, id), '[]')
			FROM achievements WHERE owner = a.id),
		coalesce(tg.names, '{}'), coalesce(tg.docs, '[]')
	FROM sessions AS s JOIN accounts AS a ON a.id = s.account_id
	LEFT JOIN LATERAL (SELECT array_agg(at.name ORDER BY at.position) AS names,
			json_agg(json_build_object('ID', t.id, 'Name', t.name, 'Key', t.key, 'Color', t.color,
				'Categories', t.categories, 'IsParent', t.is_parent, 'Type', t.type, 'EntryCount', t.entry_count,
				'CreatedAt', t.created_at, 'UpdatedAt', t.updated_at) ORDER BY at.position) AS docs
		FROM account_tags AS at JOIN tags AS t ON t.id = at.tag_id WHERE at.account_id = a.id) AS tg ON true
	WHERE s.token_hash = $1`

func sessionDest(s *accountd.Session) []any {
	return []any{&s.ID, &s.AccountID, &s.TokenHash, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.UserAgent, &s.IP}
}

func scanSession(row pgx.Row) (accountd.Session, error) {
	var s accountd.Session
	err := row.Scan(sessionDest(&s)...)
	return s, err
}

// SessionAccount reads both records in one statement (qSessionAccount),
// within opTimeout. It keeps no cache: other instances change the database
// too, and nothing would tell this one. Every authenticated request makes
// this look-up, so it is one round trip: GET /v1/account on PostgreSQL in
// accountd-bench went from about 3,200 to 4,900 requests/s against a
// transaction around the four queries it replaces.
func (db *DB) SessionAccount(ctx context.Context, tokenHash []byte) (*accountd.Session, *accountd.Account, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	var s accountd.Session
	a := &accountd.Account{}
	var live bool
	var achievements, tags []byte
	dest := append(sessionDest(&s), accountDest(a)...)
	dest = append(dest, &live, &achievements, &a.Profile.Talent.Tags, &tags)
	if err := db.pool.QueryRow(ctx, qSessionAccount, tokenHash).Scan(dest...); err != nil {
		return nil, nil, wrap("session account", err)
	}
	if !live {
		return nil, nil, accountd.ErrNotFound
	}
	if err := errors.Join(json.Unmarshal(achievements, &a.Achievements), json.Unmarshal(tags, &a.Tags)); err != nil {
		return nil, nil, wrap("session account", err)
	}
	// JSON keeps the offset, not the zone; the domain's times are UTC.
	for i := range a.Achievements {
		ach := &a.Achievements[i]
		ach.CreatedAt, ach.UpdatedAt = ach.CreatedAt.UTC(), ach.UpdatedAt.UTC()
	}
	for i := range a.Tags {
		tag := &a.Tags[i]
		tag.CreatedAt, tag.UpdatedAt = tag.CreatedAt.UTC(), tag.UpdatedAt.UTC()
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
