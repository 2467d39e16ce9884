package accountd

import (
	"context"
	"crypto/hmac"
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

// SessionDelivery is how a new session's token reaches the client: in the
// answer, for programs, or in an HttpOnly cookie, for a browser page whose
// scripts then cannot read (nor an injected script steal) it.
type SessionDelivery string

const (
	DeliverToken  SessionDelivery = "token"
	DeliverCookie SessionDelivery = "cookie"
)

// ParseSessionDelivery reads the "session" field of a sign-in; none is a
// token.
func ParseSessionDelivery(s string) (SessionDelivery, error) {
	switch d := SessionDelivery(s); d {
	case "":
		return DeliverToken, nil
	case DeliverToken, DeliverCookie:
		return d, nil
	}
	return "", fieldError("session", `must be "token" or "cookie"`)
}

// CSRFToken is the anti-forgery token of a cookie session: an HMAC-SHA256
// keyed by the session's own token. It needs no storage, ends with the
// session, and reveals nothing of the token, which the page never sees.
func CSRFToken(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("accountd csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ValidCSRFToken reports, in constant time, whether csrf is the session's.
func ValidCSRFToken(token, csrf string) bool {
	return hmac.Equal([]byte(CSRFToken(token)), []byte(csrf))
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
