package accountd

import (
	"crypto/sha256"
	"crypto/subtle"
	"time"
)

// Purpose says what a one-time code proves.
type Purpose string

const (
	PurposeVerifyEmail   Purpose = "verify_email"
	PurposeResetPassword Purpose = "reset_password"
)

// CodeTTL is how long a code of each purpose stays valid.
var CodeTTL = map[Purpose]time.Duration{
	PurposeVerifyEmail:   10 * time.Minute,
	PurposeResetPassword: 30 * time.Minute,
}

// MaxCodeAttempts is how many wrong guesses kill a code: a six-digit code
// must not be brute-forced within its lifetime.
const MaxCodeAttempts = 5

// Code is a six-digit one-time code, stored only as a hash. An account has at
// most one live code per purpose; a new one replaces the old.
type Code struct {
	ID        string
	AccountID string
	Purpose   Purpose
	Hash      []byte
	Attempts  int
	ExpiresAt time.Time
	CreatedAt time.Time
}

// NewCode returns a fresh code for accountID and the plain digits to mail.
func NewCode(now time.Time, accountID string, purpose Purpose) (*Code, string) {
	plain := randomString(6, digits)
	return newCode(now, accountID, purpose, plain), plain
}

func newCode(now time.Time, accountID string, purpose Purpose, plain string) *Code {
	now = now.UTC().Truncate(time.Millisecond)
	return &Code{
		ID:        NewID(now),
		AccountID: accountID,
		Purpose:   purpose,
		Hash:      hashCode(accountID, purpose, plain),
		ExpiresAt: now.Add(CodeTTL[purpose]),
		CreatedAt: now,
	}
}

// Matches reports, in constant time, whether plain is this code.
func (c *Code) Matches(plain string) bool {
	return subtle.ConstantTimeCompare(c.Hash, hashCode(c.AccountID, c.Purpose, plain)) == 1
}

// Usable reports whether the code may still be tried at now.
func (c *Code) Usable(now time.Time) bool {
	return now.Before(c.ExpiresAt) && c.Attempts < MaxCodeAttempts
}

func hashCode(accountID string, purpose Purpose, plain string) []byte {
	h := sha256.Sum256([]byte(string(purpose) + "\x00" + accountID + "\x00" + plain))
	return h[:]
}
