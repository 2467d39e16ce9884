package accountd

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Second-factor methods, as the API names them.
const (
	TwoFAEmail      = "email"
	TwoFAGoogleAuth = "google_auth"
)

// NewChallenge returns a sign-in challenge for the account: the stored code
// and the token handed to the client, which names the account so the code
// can be found.
func NewChallenge(now time.Time, accountID string) (*Code, string) {
	secret, _ := NewToken()
	return newCode(now, accountID, PurposeLoginChallenge, secret), accountID + "." + secret
}

var (
	errTwoFAActive   = Errorf(KindConflict, "two_fa_active", "Two-factor authentication is already on; turn it off first")
	errTwoFAInactive = Errorf(KindConflict, "two_fa_inactive", "Two-factor authentication is not on")
	errNoPending     = Errorf(KindConflict, "two_fa_not_initiated", "Start with POST /v1/account/initiate/2fa")
	errChallenge     = Errorf(KindUnauthorized, "challenge_invalid", "The sign-in attempt is unknown, used or expired; log in again")
)

// TwoFASetup is what initiating a method returns: the type and, for an
// authenticator app, what the app needs.
type TwoFASetup struct {
	Type string
	TOTP *TOTPSetup
}

// InitiateTwoFA starts setting up a second factor of the given type,
// replacing any setup in progress.
func (s *Service) InitiateTwoFA(ctx context.Context, accountID, typ string) (*TwoFASetup, error) {
	if typ != TwoFAEmail && typ != TwoFAGoogleAuth {
		return nil, fieldError("type", `must be "email" or "google_auth"`)
	}
	if s.sealer == nil && typ == TwoFAGoogleAuth {
		return nil, errors.New("no secret key configured for sealing TOTP secrets")
	}
	// Each email set-up mails a code: bounded like every other mail.
	if err := s.limit(ctx, "2fa_initiate", "account", accountID, s.cfg.AccountLimit); err != nil {
		return nil, err
	}
	setup := &TwoFASetup{Type: typ}
	now := s.now()
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if a.TwoFA.Status {
			return errTwoFAActive
		}
		a.TwoFA.Pending, a.TwoFA.PendingSecret, a.TwoFA.PendingAttempts = typ, nil, 0
		if typ == TwoFAGoogleAuth {
			if setup.TOTP, err = newTOTPSetup(s.cfg.Issuer, a.Email); err != nil {
				return err
			}
			a.TwoFA.PendingSecret = s.sealer.Seal([]byte(setup.TOTP.Secret))
		} else if err := s.queueCode(ctx, tx, a, PurposeTwoFASetup, now); err != nil {
			return err
		}
		a.UpdatedAt = now
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	if typ == TwoFAEmail {
		s.MailQueued()
	}
	return setup, nil
}

// ActivateTwoFA turns the pending method on when code proves it works, and
// returns the recovery codes, which are shown this once.
func (s *Service) ActivateTwoFA(ctx context.Context, c Client, accountID, code string) ([]string, error) {
	if err := s.limit(ctx, "2fa", "account", accountID, s.cfg.AccountLimit); err != nil {
		return nil, err
	}
	if err := requireCode(code); err != nil {
		return nil, err
	}
	now := s.now()
	var plain []string
	var verdict error
	err := s.store.Write(ctx, func(tx Tx) error {
		verdict, plain = nil, nil
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if a.TwoFA.Status {
			return errTwoFAActive
		}
		var step int64
		switch a.TwoFA.Pending {
		case TwoFAEmail:
			if verdict, err = s.consumeCode(ctx, tx, a.ID, PurposeTwoFASetup, code, now); err != nil || verdict != nil {
				return err
			}
		case TwoFAGoogleAuth:
			var ok bool
			if a.TwoFA.PendingAttempts < MaxCodeAttempts {
				secret, err := s.sealer.Open(a.TwoFA.PendingSecret)
				if err != nil {
					return fmt.Errorf("open pending TOTP secret: %w", err)
				}
				step, ok = MatchTOTP(string(secret), code, now, 0)
			}
			if !ok {
				verdict = errBadCode
				a.TwoFA.PendingAttempts++
				s.warnIfDead(ctx, a.TwoFA.PendingAttempts, a.ID, "pending authenticator setup")
				return tx.UpdateAccount(ctx, a)
			}
		default:
			return errNoPending
		}
		var hashes [][]byte
		plain, hashes = newRecoveryCodes()
		a.TwoFA = TwoFA{Type: a.TwoFA.Pending, Status: true, SecurityQuestion: TwoFANone,
			Secret: a.TwoFA.PendingSecret, LastStep: step, RecoveryCodes: hashes}
		a.UpdatedAt = now
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		return nil, err
	}
	return plain, verdict
}

// DeactivateTwoFA turns the second factor off when code is a current code
// of the active method or an unused recovery code.
func (s *Service) DeactivateTwoFA(ctx context.Context, c Client, accountID, code string) error {
	if err := s.limit(ctx, "2fa", "account", accountID, s.cfg.AccountLimit); err != nil {
		return err
	}
	if strings.TrimSpace(code) == "" {
		return fieldError("code", "is required")
	}
	now := s.now()
	var verdict error
	err := s.store.Write(ctx, func(tx Tx) error {
		verdict = nil
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		if !a.TwoFA.Status {
			return errTwoFAInactive
		}
		if ok, err := s.checkSecondFactor(ctx, tx, a, code, now); err != nil || !ok {
			verdict = errBadCode
			return err
		}
		a.TwoFA = TwoFA{Type: TwoFANone, SecurityQuestion: TwoFANone}
		a.UpdatedAt = now
		return tx.UpdateAccount(ctx, a)
	})
	if err != nil {
		return err
	}
	return verdict
}

// SendTwoFAEmail mails a fresh code of the active email method, after
// checking the password.
func (s *Service) SendTwoFAEmail(ctx context.Context, c Client, sess *Session, password, emailType string) error {
	var v Validation
	if password == "" {
		v.Add("password", "is required")
	}
	if emailType != "two_fa" {
		v.Add("emailType", `must be "two_fa"`)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "2fa_email", "account", sess.AccountID, s.cfg.AccountLimit); err != nil {
		return err
	}
	a, err := s.Account(ctx, sess.AccountID)
	if err != nil {
		return err
	}
	if err := s.checkPassword(ctx, a, "password", password); err != nil {
		return err
	}
	if !a.TwoFA.Status || a.TwoFA.Type != TwoFAEmail {
		return fieldError("emailType", "email two-factor authentication is not the active method")
	}
	err = s.store.Write(ctx, func(tx Tx) error { return s.queueCode(ctx, tx, a, PurposeTwoFA, s.now()) })
	if err == nil {
		s.MailQueued()
	}
	return err
}

// CompleteLogin finishes a sign-in that a second factor holds up.
func (s *Service) CompleteLogin(ctx context.Context, c Client, challenge, code string) (*Auth, error) {
	undoIP, err := s.reserve(ctx, "login", "ip", c.IP, s.cfg.IPLimit)
	if err != nil {
		return nil, err
	}
	var v Validation
	if challenge == "" {
		v.Add("challenge", "is required")
	}
	if strings.TrimSpace(code) == "" {
		v.Add("code", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	accountID, secret, _ := strings.Cut(challenge, ".")
	if !ValidID(accountID) {
		return nil, errChallenge
	}
	now := s.now()
	var auth *Auth
	var emailKey string
	var verdict error
	err = s.store.Write(ctx, func(tx Tx) error {
		verdict, auth = nil, nil
		ch, err := tx.CodeFor(ctx, accountID, PurposeLoginChallenge)
		if errors.Is(err, ErrNotFound) {
			return errChallenge
		} else if err != nil {
			return err
		}
		if !ch.Usable(now) || !ch.Matches(secret) {
			return errChallenge
		}
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		ok, err := s.checkSecondFactor(ctx, tx, a, code, now)
		if err != nil {
			return err
		}
		if !ok {
			verdict = errBadCode
			s.warnIfDead(ctx, ch.Attempts+1, a.ID, "sign-in challenge")
			return tx.CountCodeAttempt(ctx, ch.ID)
		}
		if err := tx.DeleteCode(ctx, ch.ID); err != nil {
			return err
		}
		a.LoggedInAt = &now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		auth, err = s.createSession(ctx, tx, a, c, now)
		emailKey = a.EmailKey
		return err
	})
	if err != nil {
		return nil, err
	}
	if verdict == nil {
		undoIP()
		s.forgetFailedLogins(ctx, emailKey)
	}
	return auth, verdict
}

// checkSecondFactor reports whether code is a current code of a's active
// method (the mailed code when a has none, for a login to verify) or one
// of its unused recovery codes, and uses it up: the code is
// deleted, the TOTP step remembered, the recovery code struck off. The
// caller's transaction commits that even when it refuses the request.
func (s *Service) checkSecondFactor(ctx context.Context, tx Tx, a *Account, code string, now time.Time) (bool, error) {
	code = strings.TrimSpace(code)
	method := a.TwoFA.Type
	if !a.TwoFA.Status {
		// A challenge to verify a login: the code mailed for it.
		method = TwoFAEmail
	}
	if validCodeForm(code) {
		switch method {
		case TwoFAGoogleAuth:
			secret, err := s.sealer.Open(a.TwoFA.Secret)
			if err != nil {
				return false, fmt.Errorf("open TOTP secret: %w", err)
			}
			step, ok := MatchTOTP(string(secret), code, now, a.TwoFA.LastStep)
			if !ok {
				return false, nil
			}
			a.TwoFA.LastStep = step
			return true, tx.UpdateAccount(ctx, a)
		case TwoFAEmail:
			verdict, err := s.consumeCode(ctx, tx, a.ID, PurposeTwoFA, code, now)
			return err == nil && verdict == nil, err
		}
		return false, nil
	}
	h := hashRecoveryCode(code)
	for i, stored := range a.TwoFA.RecoveryCodes {
		if subtle.ConstantTimeCompare(stored, h) == 1 {
			a.TwoFA.RecoveryCodes = append(a.TwoFA.RecoveryCodes[:i:i], a.TwoFA.RecoveryCodes[i+1:]...)
			return true, tx.UpdateAccount(ctx, a)
		}
	}
	return false, nil
}
