package accountd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Config holds the knobs of the use cases.
type Config struct {
	SessionTTL time.Duration
	// IPLimit and AccountLimit apply to each credential action (register,
	// login, verify, resend, forgot, reset) separately: per client address,
	// and per email address or account.
	IPLimit      Rate
	AccountLimit Rate
	// ForgotMinDuration pads forgot-password answers so a known and an
	// unknown address take the same time.
	ForgotMinDuration time.Duration
	PublicURL         string
	// Issuer names the service in authenticator apps.
	Issuer string
}

// DefaultConfig is what the service runs with unless told otherwise.
var DefaultConfig = Config{
	SessionTTL:        30 * 24 * time.Hour,
	IPLimit:           Rate{N: 100, Window: 10 * time.Minute},
	AccountLimit:      Rate{N: 10, Window: 15 * time.Minute},
	ForgotMinDuration: 250 * time.Millisecond,
	PublicURL:         "http://127.0.0.1:8080",
	Issuer:            "accountd",
}

// sessionTouchInterval is how stale lastSeenAt may get before a request
// refreshes it: writing on every request would serialise all reads.
const sessionTouchInterval = time.Minute

// Service carries out the account use cases against a Store.
type Service struct {
	store  Store
	hasher *Hasher
	sealer *Sealer
	cfg    Config
	log    *slog.Logger
	// MailQueued is called after a transaction that queued mail commits,
	// so the relay can send it at once.
	MailQueued func()
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// NewService returns a Service over store; sealer keeps TOTP secrets.
func NewService(store Store, hasher *Hasher, sealer *Sealer, cfg Config, log *slog.Logger) *Service {
	return &Service{store: store, hasher: hasher, sealer: sealer, cfg: cfg, log: log, MailQueued: func() {}, Now: time.Now}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

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

// LoginResult is a session, or the challenge a second factor must answer
// before there is one.
type LoginResult struct {
	Auth      *Auth
	Challenge string // when the account has a second factor
	TwoFAType string
}

// Login checks an email and password and opens a session, or, when the
// account has a second factor, a challenge for it. An unknown email and a
// wrong password get the same answer after the same work.
func (s *Service) Login(ctx context.Context, c Client, email, password string) (*LoginResult, error) {
	if err := s.limit(ctx, "login", "ip", c.IP, s.cfg.IPLimit); err != nil {
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
	if err := s.limit(ctx, "login", "email", strings.ToLower(email), s.cfg.AccountLimit); err != nil {
		return nil, err
	}
	var a *Account
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByEmail(ctx, strings.ToLower(email))
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
		return nil, Errorf(KindUnauthorized, "invalid_credentials", "The email or password is incorrect")
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
		if cur.TwoFA.Status {
			code, challenge := NewChallenge(now, cur.ID)
			result = LoginResult{Challenge: challenge, TwoFAType: cur.TwoFA.Type}
			if err := tx.PutCode(ctx, code); err != nil {
				return err
			}
			if cur.TwoFA.Type == TwoFAEmail {
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

// VerifyEmail consumes the mailed verification code.
func (s *Service) VerifyEmail(ctx context.Context, c Client, accountID, code string) error {
	if err := s.limit(ctx, "verify", "ip", c.IP, s.cfg.IPLimit); err != nil {
		return err
	}
	if err := s.limit(ctx, "verify", "account", accountID, s.cfg.AccountLimit); err != nil {
		return err
	}
	if err := requireCode(code); err != nil {
		return err
	}
	// Verified already: say so rather than that the (consumed) code is wrong.
	if a, err := s.Account(ctx, accountID); err != nil {
		return err
	} else if a.EmailVerified {
		return errAlreadyVerified
	}
	now := s.now()
	return s.useCode(ctx, accountID, PurposeVerifyEmail, code, func(tx Tx, a *Account) error {
		if a.EmailVerified {
			return errAlreadyVerified
		}
		a.EmailVerified, a.EmailVerifiedAt, a.UpdatedAt = true, &now, now
		return tx.UpdateAccount(ctx, a)
	})
}

var errAlreadyVerified = Errorf(KindConflict, "email_already_verified", "The email address is already verified")

// ResendVerification replaces the verification code and mails the new one.
func (s *Service) ResendVerification(ctx context.Context, c Client, accountID string) error {
	if err := s.limit(ctx, "resend", "ip", c.IP, s.cfg.IPLimit); err != nil {
		return err
	}
	if err := s.limit(ctx, "resend", "account", accountID, s.cfg.AccountLimit); err != nil {
		return err
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if a.EmailVerified {
			return errAlreadyVerified
		}
		return s.queueCode(ctx, tx, a, PurposeVerifyEmail, s.now())
	})
	if err == nil {
		s.MailQueued()
	}
	return err
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
	if err == nil {
		s.MailQueued()
	}
	return err
}

var errBadCode = &Error{Kind: KindInvalid, Code: "invalid_code", Message: "The code is wrong or has expired; request a new one",
	Fields: []FieldError{{Field: "code", Message: "is wrong or has expired"}}}

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
	if err == nil {
		s.MailQueued()
	}
	return err
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

// Account returns the live account with id.
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByID(ctx, id)
		return err
	})
	return a, err
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

// limit counts one attempt at action by subject and refuses it once the
// rate is exceeded.
func (s *Service) limit(ctx context.Context, action, scope, subject string, r Rate) error {
	if r.N == 0 {
		return nil
	}
	now := s.now()
	count, resetAt, err := s.store.Hit(ctx, action+":"+scope+":"+subject, r.Window, now)
	if err != nil {
		return err
	}
	if count <= r.N {
		return nil
	}
	wait := max(resetAt.Sub(now), time.Second)
	return &Error{Kind: KindRateLimited, Code: "rate_limited", RetryAfter: wait,
		Message: fmt.Sprintf("Too many attempts; try again in %s", wait.Round(time.Second))}
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

func fieldError(field, msg string) error {
	var v Validation
	v.Add(field, "%s", msg)
	return v.Err()
}

// Truncate is s cut to at most n bytes, at a character boundary: a
// client's text short enough to store or quote in a message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
