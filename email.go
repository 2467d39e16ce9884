package accountd

import (
	"context"
	"net/mail"
	"strings"
)

const maxEmailLength = 254

// NormalizeEmail trims s and lower-cases its domain, and records on v when
// the result is not a plain address.
func NormalizeEmail(v *Validation, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.Add(field, "is required")
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	addr, err := mail.ParseAddress(s)
	if err != nil || at < 1 || addr.Address != s || len(s) > maxEmailLength || !strings.Contains(s[at:], ".") {
		v.Add(field, "must be an email address such as name@example.com")
		return ""
	}
	return s[:at] + strings.ToLower(s[at:])
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
