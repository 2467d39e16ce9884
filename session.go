package accountd

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// Session is one signed-in device. Only the SHA-256 of its token is kept, so a
// leaked database does not hand out working tokens.
type Session struct {
	ID         string
	AccountID  string
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	IP         string
}

// Client describes who is calling: the address limits are counted against and
// the details a session records.
type Client struct {
	IP        string
	UserAgent string
}

// NewToken returns a fresh bearer token (256 random bits, URL-safe) and its hash.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the form a token is stored and looked up in.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func (s *Service) createSession(ctx context.Context, tx Tx, a *Account, c Client, now time.Time) (*Auth, error) {
	token, hash := NewToken()
	sess := &Session{
		ID: NewID(now), AccountID: a.ID, TokenHash: hash,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
		UserAgent: Truncate(c.UserAgent, 512), IP: c.IP,
	}
	if err := tx.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Auth{Token: token, ExpiresAt: sess.ExpiresAt, Account: a}, nil
}

// Sessions lists the account's live sessions.
func (s *Service) Sessions(ctx context.Context, accountID string) ([]Session, error) {
	var list []Session
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		list, err = tx.Sessions(ctx, accountID, s.now())
		return err
	})
	return list, err
}

// EndSession revokes one of the account's sessions.
func (s *Service) EndSession(ctx context.Context, accountID, sessionID string) error {
	err := s.store.Write(ctx, func(tx Tx) error { return tx.DeleteSession(ctx, accountID, sessionID) })
	if errors.Is(err, ErrNotFound) {
		return Errorf(KindNotFound, "session_not_found", "No session of yours has this id")
	}
	return err
}
