package accountd

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"
)

// Purpose says what a one-time code proves.
type Purpose string

const (
	PurposeVerifyEmail   Purpose = "verify_email"
	PurposeResetPassword Purpose = "reset_password"
	// PurposeTwoFASetup proves the address while the email method is set up,
	// PurposeTwoFA is the mailed code of the active email method, and
	// PurposeLoginChallenge is the secret half of a sign-in challenge.
	PurposeTwoFASetup     Purpose = "two_fa_setup"
	PurposeTwoFA          Purpose = "two_fa"
	PurposeLoginChallenge Purpose = "login_challenge"
)

// CodeTTL is how long a code of each purpose stays valid.
var CodeTTL = map[Purpose]time.Duration{
	PurposeVerifyEmail:    10 * time.Minute,
	PurposeResetPassword:  30 * time.Minute,
	PurposeTwoFASetup:     10 * time.Minute,
	PurposeTwoFA:          10 * time.Minute,
	PurposeLoginChallenge: 5 * time.Minute,
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

var errBadCode = &Error{Kind: KindInvalid, Code: "invalid_code", Message: "The code is wrong or has expired; request a new one",
	Fields: []FieldError{{Field: "code", Message: "is wrong or has expired"}}}

// queueCode replaces a's code for purpose with a fresh one and queues the
// mail that carries it, in the caller's transaction.
func (s *Service) queueCode(ctx context.Context, tx Tx, a *Account, purpose Purpose, now time.Time) error {
	code, plain := NewCode(now, a.ID, purpose)
	if err := tx.PutCode(ctx, code); err != nil {
		return err
	}
	subject, body := codeMail(purpose, a.FirstName, plain, s.cfg.PublicURL)
	return tx.EnqueueMail(ctx, NewMail(now, a.Email, subject, body))
}

// useCode checks plain against the account's live code for purpose and, if
// it matches, consumes it and runs apply in the same transaction. A wrong
// guess is counted and committed even though the request fails.
func (s *Service) useCode(ctx context.Context, accountID string, purpose Purpose, plain string, apply func(Tx, *Account) error) error {
	now := s.now()
	var verdict error
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if verdict, err = s.consumeCode(ctx, tx, accountID, purpose, plain, now); err != nil || verdict != nil {
			return err
		}
		return apply(tx, a)
	})
	if err != nil {
		return err
	}
	return verdict
}

// consumeCode checks plain against the account's live code for purpose:
// a match deletes it, a miss counts against it. The verdict is errBadCode
// on a miss.
func (s *Service) consumeCode(ctx context.Context, tx Tx, accountID string, purpose Purpose, plain string, now time.Time) (verdict error, err error) {
	code, err := tx.CodeFor(ctx, accountID, purpose)
	if errors.Is(err, ErrNotFound) {
		return errBadCode, nil
	} else if err != nil {
		return nil, err
	}
	if !code.Usable(now) {
		return errBadCode, nil
	}
	if !code.Matches(plain) {
		s.warnIfDead(ctx, code.Attempts+1, accountID, string(purpose)+" code")
		return errBadCode, tx.CountCodeAttempt(ctx, code.ID)
	}
	return nil, tx.DeleteCode(ctx, code.ID)
}

// warnIfDead logs the wrong guess that kills a code or challenge.
func (s *Service) warnIfDead(ctx context.Context, attempts int, accountID, what string) {
	if attempts == MaxCodeAttempts {
		s.log.WarnContext(ctx, "disabled after too many wrong codes", "account", accountID, "what", what)
	}
}

func requireCode(code string) error {
	if !validCodeForm(code) {
		return fieldError("code", "must be the 6-digit code from the email")
	}
	return nil
}

func validCodeForm(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
