package accountd

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/ccojocar/zxcvbn-go/frequency"
)

const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

var (
	commonOnce      sync.Once
	commonPasswords map[string]struct{}
)

// isCommonPassword reports whether pw (case-insensitively) is on zxcvbn's
// list of the most used passwords.
func isCommonPassword(pw string) bool {
	commonOnce.Do(func() {
		list := frequency.Lists["Passwords"].List
		commonPasswords = make(map[string]struct{}, len(list))
		for _, p := range list {
			commonPasswords[strings.ToLower(p)] = struct{}{}
		}
	})
	_, ok := commonPasswords[strings.ToLower(pw)]
	return ok
}

// CheckPassword applies the password policy: length in characters, nothing
// else about composition, and not one of the commonly used passwords.
func CheckPassword(v *Validation, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		v.Add(field, "must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		v.Add(field, "must be at most %d characters", MaxPasswordLength)
	case isCommonPassword(pw):
		v.Add(field, "is one of the most commonly used passwords; choose another")
	}
}

// HashParams are the argon2id cost parameters.
type HashParams struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultHashParams are OWASP's minimum recommendation for argon2id.
var DefaultHashParams = HashParams{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Hasher hashes and verifies passwords with argon2id. At most a fixed number
// of hashes run at once, so a flood of logins queues instead of exhausting
// memory (each hash holds MemoryKiB while it runs).
type Hasher struct {
	params  *argon2id.Params
	slots   chan struct{}
	waiting atomic.Int64
	dummy   string // a hash to verify against when there is no account, so timing does not tell
}

// NewHasher returns a Hasher running at most concurrency hashes at once
// (GOMAXPROCS when concurrency < 1).
func NewHasher(p HashParams, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{
		params: &argon2id.Params{Memory: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism, SaltLength: 16, KeyLength: 32},
		slots:  make(chan struct{}, concurrency),
	}
	dummy, err := argon2id.CreateHash(randomString(24, mixedAlnum), h.params)
	if err != nil {
		panic(err)
	}
	h.dummy = dummy
	return h
}

// Running is the number of hashes running now.
func (h *Hasher) Running() int { return len(h.slots) }

// Waiting is the number of hashes waiting for a slot.
func (h *Hasher) Waiting() int { return int(h.waiting.Load()) }

func (h *Hasher) acquire(ctx context.Context) error {
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-encoded argon2id hash of pw, which keeps its
// parameters so they can be raised later.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return argon2id.CreateHash(pw, h.params)
}

// Verify reports whether pw matches hash and whether hash was made with
// weaker parameters than the current ones and should be replaced. An empty
// hash is checked against a dummy so that a missing account costs the same.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (match, stale bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if hash == "" {
		_, _, err := argon2id.CheckHash(pw, h.dummy)
		return false, false, err
	}
	match, p, err := argon2id.CheckHash(pw, hash)
	if err != nil {
		return false, false, err
	}
	stale = p.Memory < h.params.Memory || p.Iterations < h.params.Iterations || p.Parallelism < h.params.Parallelism
	return match, stale, nil
}

// ForgotPassword mails a reset code when the address belongs to an account.
// The answer, and its timing, are the same either way.
func (s *Service) ForgotPassword(ctx context.Context, c Client, email string) error {
	if err := s.limit(ctx, "forgot", "ip", c.IP, s.cfg.IPLimit); err != nil {
		return err
	}
	var v Validation
	email = NormalizeEmail(&v, "email", email)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "forgot", "email", strings.ToLower(email), s.cfg.AccountLimit); err != nil {
		return err
	}
	deadline := time.Now().Add(s.cfg.ForgotMinDuration)
	queued := false
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByEmail(ctx, strings.ToLower(email))
		if errors.Is(err, ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		queued = true
		return s.queueCode(ctx, tx, a, PurposeResetPassword, s.now())
	})
	if err != nil {
		return err
	}
	if queued {
		s.MailQueued()
	}
	select {
	case <-time.After(time.Until(deadline)):
	case <-ctx.Done():
	}
	return nil
}

// ResetPassword sets a new password with a mailed reset code and ends every
// session of the account.
func (s *Service) ResetPassword(ctx context.Context, c Client, email, code, newPassword string) error {
	if err := s.limit(ctx, "reset", "ip", c.IP, s.cfg.IPLimit); err != nil {
		return err
	}
	var v Validation
	email = NormalizeEmail(&v, "email", email)
	if !validCodeForm(code) {
		v.Add("code", "must be the 6-digit code from the email")
	}
	CheckPassword(&v, "newPassword", newPassword)
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "reset", "email", strings.ToLower(email), s.cfg.AccountLimit); err != nil {
		return err
	}
	// Hash before looking anything up, so a wrong address costs as much as
	// a right one.
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	var a *Account
	err = s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByEmail(ctx, strings.ToLower(email))
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return errBadCode
	} else if err != nil {
		return err
	}
	now := s.now()
	err = s.useCode(ctx, a.ID, PurposeResetPassword, code, func(tx Tx, a *Account) error {
		a.PasswordHash, a.UpdatedAt = hash, now
		// The code arrived by mail, which proves the address.
		if !a.EmailVerified {
			a.EmailVerified, a.EmailVerifiedAt = true, &now
		}
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, a.ID, ""); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, passwordChangedMail(now, a, s.cfg.PublicURL))
	})
	if err != nil {
		return err
	}
	s.MailQueued()
	// Whatever was guessed before, the password is new.
	s.forgetFailedLogins(ctx, a.EmailKey)
	return nil
}

// ChangePassword replaces the password after checking the old one and ends
// every other session.
func (s *Service) ChangePassword(ctx context.Context, sess *Session, oldPassword, newPassword string) error {
	var v Validation
	if oldPassword == "" {
		v.Add("oldPassword", "is required")
	}
	CheckPassword(&v, "newPassword", newPassword)
	if newPassword != "" && newPassword == oldPassword {
		v.Add("newPassword", "must differ from the old password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "password_check", "session", sess.ID, s.cfg.AccountLimit); err != nil {
		return err
	}
	var a *Account
	if err := s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByID(ctx, sess.AccountID)
		return err
	}); err != nil {
		return err
	}
	if err := s.checkPassword(ctx, a, "oldPassword", oldPassword); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, sess.AccountID)
		if err != nil {
			return err
		}
		a.PasswordHash, a.UpdatedAt = hash, now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, a.ID, sess.ID); err != nil {
			return err
		}
		return tx.EnqueueMail(ctx, passwordChangedMail(now, a, s.cfg.PublicURL))
	})
	if err != nil {
		return err
	}
	s.MailQueued()
	// Whatever was guessed before, the password is new.
	s.forgetFailedLogins(ctx, a.EmailKey)
	return nil
}

// checkPassword answers 401 naming field when pw is not a's password.
func (s *Service) checkPassword(ctx context.Context, a *Account, field, pw string) error {
	match, _, err := s.hasher.Verify(ctx, pw, a.PasswordHash)
	if err != nil {
		return err
	}
	if !match {
		return &Error{Kind: KindUnauthorized, Code: "wrong_password", Message: "The password is incorrect",
			Fields: []FieldError{{Field: field, Message: "is incorrect"}}}
	}
	return nil
}
