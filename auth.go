package accountd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Auth is a new session: the bearer token, when it expires, and the account.
type Auth struct {
	Token     string
	ExpiresAt time.Time
	Account   *Account
}

// RegisterInput is what a person gives to open an account.
type RegisterInput struct {
	Email, Password, FirstName, LastName, ReferralCode string
}

// Register opens an account, queues the email-verification code and signs
// the person in.
func (s *Service) Register(ctx context.Context, c Client, in RegisterInput) (*Auth, error) {
	if err := s.limit(ctx, "register", "ip", c.IP, s.cfg.IPLimit); err != nil {
		return nil, err
	}
	var v Validation
	email := NormalizeEmail(&v, "email", in.Email)
	CheckPassword(&v, "password", in.Password)
	first := cleanText(&v, "firstName", in.FirstName, 100, true, nameText)
	last := cleanText(&v, "lastName", in.LastName, 100, false, nameText)
	referral := strings.TrimSpace(in.ReferralCode)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := s.limit(ctx, "register", "email", strings.ToLower(email), s.cfg.AccountLimit); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a := NewAccount(now, email, first, last)
	a.PasswordHash = hash
	a.LoggedInAt = &now
	var auth *Auth
	err = s.store.Write(ctx, func(tx Tx) error {
		if referral != "" {
			referrer, err := tx.AccountByReferralCode(ctx, referral)
			if errors.Is(err, ErrNotFound) {
				return fieldError("referralCode", "is not the referral code of any account")
			} else if err != nil {
				return err
			}
			a.ReferredBy = referrer.ID
			if err := tx.AddAchievementValue(ctx, referrer.ID, AchievementReferral, 1, now); err != nil {
				return err
			}
		}
		if err := s.insertAccount(ctx, tx, a); err != nil {
			return err
		}
		if err := s.queueCode(ctx, tx, a, PurposeVerifyEmail, now); err != nil {
			return err
		}
		auth, err = s.createSession(ctx, tx, a, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.MailQueued()
	return auth, nil
}

// assignUniqueCodes gives a a user name and referral code no live account has.
func (s *Service) assignUniqueCodes(ctx context.Context, tx Tx, a *Account) error {
	base := UserNameBase(a.FirstName, a.LastName)
	for range 20 {
		name := NewUserName(base)
		taken, err := tx.UserNameTaken(ctx, name)
		if err != nil {
			return err
		}
		if !taken {
			a.UserName = name
			break
		}
	}
	for range 20 {
		code := NewReferralCode()
		_, err := tx.AccountByReferralCode(ctx, code)
		if errors.Is(err, ErrNotFound) {
			a.ReferralCode = code
			break
		} else if err != nil {
			return err
		}
	}
	if a.UserName == "" || a.ReferralCode == "" {
		return fmt.Errorf("no free user name or referral code after 20 tries for %q", base)
	}
	return nil
}

// LoginResult is a session, or the challenge a second factor must answer
// before there is one.
type LoginResult struct {
	Auth      *Auth
	Challenge string // when the account has a second factor, or must verify
	TwoFAType string
	// Verify is set when the challenge is for a code mailed to the account
	// because of the failed logins before this one, not its second factor.
	Verify bool
}

// Login checks an email and password and opens a session, or, when the
// account has a second factor, a challenge for it; or when the email has
// had LoginVerifyAfter failed logins, a challenge for a code mailed to the
// account. An unknown email and a wrong password get the same answer after
// the same work.
func (s *Service) Login(ctx context.Context, c Client, email, password string) (*LoginResult, error) {
	undoIP, err := s.reserve(ctx, "login", "ip", c.IP, s.cfg.IPLimit)
	if err != nil {
		return nil, err
	}
	var v Validation
	email = NormalizeEmail(&v, "email", email)
	if password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	key := strings.ToLower(email)
	undoPair, err := s.reserve(ctx, "login", "email-ip", key+" "+c.IP, s.cfg.AccountLimit)
	if err != nil {
		return nil, err
	}
	var a *Account
	err = s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByEmail(ctx, key)
		return err
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var stored string
	if a != nil {
		stored = a.PasswordHash
	}
	match, stale, err := s.hasher.Verify(ctx, password, stored)
	if err != nil {
		return nil, err
	}
	if !match {
		if r := s.cfg.LoginVerifyAfter; r.N > 0 {
			if _, _, err := s.store.Hit(ctx, failedLoginsKey(key), r.Window, s.now()); err != nil {
				return nil, err
			}
		}
		return nil, Errorf(KindUnauthorized, "invalid_credentials", "The email or password is incorrect")
	}
	undoIP()
	undoPair()
	var verify bool
	if r := s.cfg.LoginVerifyAfter; r.N > 0 {
		failed, err := s.store.Hits(ctx, failedLoginsKey(key), s.now())
		if err != nil {
			return nil, err
		}
		verify = failed >= r.N
	}
	var rehash string
	if stale {
		if rehash, err = s.hasher.Hash(ctx, password); err != nil {
			return nil, err
		}
	}
	now := s.now()
	var result LoginResult
	err = s.store.Write(ctx, func(tx Tx) error {
		// Re-read: the account may have changed since the password check.
		cur, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		if cur.PasswordHash != a.PasswordHash {
			return Errorf(KindUnauthorized, "invalid_credentials", "The email or password is incorrect")
		}
		if rehash != "" {
			cur.PasswordHash = rehash
		}
		if cur.TwoFA.Status || verify {
			code, challenge := NewChallenge(now, cur.ID)
			result = LoginResult{Challenge: challenge, TwoFAType: cur.TwoFA.Type}
			if !cur.TwoFA.Status {
				result.TwoFAType, result.Verify = TwoFAEmail, true
			}
			if err := tx.PutCode(ctx, code); err != nil {
				return err
			}
			if result.TwoFAType == TwoFAEmail {
				if err := s.queueCode(ctx, tx, cur, PurposeTwoFA, now); err != nil {
					return err
				}
			}
			return tx.UpdateAccount(ctx, cur)
		}
		cur.LoggedInAt = &now
		if err := tx.UpdateAccount(ctx, cur); err != nil {
			return err
		}
		result.Auth, err = s.createSession(ctx, tx, cur, c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	if result.TwoFAType == TwoFAEmail {
		s.MailQueued()
	}
	return &result, nil
}

// sessionTouchInterval is how stale lastSeenAt may get before a request
// refreshes it: writing on every request would serialise all reads.
const sessionTouchInterval = time.Minute

// Authenticate resolves a bearer token to its session and account.
func (s *Service) Authenticate(ctx context.Context, token string) (*Session, *Account, error) {
	if token == "" {
		return nil, nil, Errorf(KindUnauthorized, "token_missing", "Sign in first: send 'Authorization: Bearer <token>'")
	}
	now := s.now()
	sess, a, err := s.store.SessionAccount(ctx, HashToken(token))
	if err == nil && !now.Before(sess.ExpiresAt) {
		err = ErrNotFound
	}
	if errors.Is(err, ErrNotFound) {
		return nil, nil, Errorf(KindUnauthorized, "token_invalid", "The token is unknown, expired or revoked; sign in again")
	}
	if err != nil {
		return nil, nil, err
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchInterval {
		err := s.store.Write(ctx, func(tx Tx) error { return tx.TouchSession(ctx, sess.ID, now) })
		if err != nil {
			s.log.WarnContext(ctx, "could not record session activity", "session", sess.ID, "err", err)
		} else {
			sess.LastSeenAt = now
		}
	}
	return sess, a, nil
}
