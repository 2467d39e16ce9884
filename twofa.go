package accountd

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Second-factor methods, as the API names them.
const (
	TwoFAEmail      = "email"
	TwoFAGoogleAuth = "google_auth"
)

const (
	// PurposeTwoFASetup proves the address while the email method is set up,
	// PurposeTwoFA is the mailed code of the active email method, and
	// PurposeLoginChallenge is the secret half of a sign-in challenge.
	PurposeTwoFASetup     Purpose = "two_fa_setup"
	PurposeTwoFA          Purpose = "two_fa"
	PurposeLoginChallenge Purpose = "login_challenge"

	RecoveryCodeCount = 10
	totpPeriod        = 30 // seconds, what authenticator apps assume
)

func init() {
	CodeTTL[PurposeTwoFASetup] = 10 * time.Minute
	CodeTTL[PurposeTwoFA] = 10 * time.Minute
	CodeTTL[PurposeLoginChallenge] = 5 * time.Minute
}

// Sealer encrypts secrets kept at rest (TOTP secrets) with AES-256-GCM, so a
// copy of the database alone does not hand out second factors.
type Sealer struct {
	aead cipher.AEAD
}

// SecretKeySize is the length of the key a Sealer takes.
const SecretKeySize = 32

// NewSealer returns a Sealer with a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SecretKeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes, not %d", SecretKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal returns nonce and ciphertext of plain.
func (s *Sealer) Seal(plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return s.aead.Seal(nonce, nonce, plain, nil)
}

// Open reverses Seal; it fails when sealed was not made with this key.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed secret too short")
	}
	return s.aead.Open(nil, sealed[:n], sealed[n:], nil)
}

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// MatchTOTP reports whether code is the TOTP of secret for the time step of
// now or one step either side (clock skew), and which step it matched. A
// step at or before lastStep was used already and never matches again.
func MatchTOTP(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	current := now.Unix() / totpPeriod
	for step := current - 1; step <= current+1; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// TOTPSetup is what an authenticator app needs to add an account.
type TOTPSetup struct {
	Secret     string // base32
	OTPAuthURL string
	QRCodePNG  []byte // the otpauth URL as a QR code
}

func newTOTPSetup(issuer, accountName string) (*TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: accountName, Period: totpPeriod,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), OTPAuthURL: key.URL(), QRCodePNG: b.Bytes()}, nil
}

// newRecoveryCodes returns fresh recovery codes, as shown once, and their hashes.
func newRecoveryCodes() (plain []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		code := randomString(5, lowerAlnum) + "-" + randomString(5, lowerAlnum)
		plain = append(plain, code)
		hashes = append(hashes, hashRecoveryCode(code))
	}
	return plain, hashes
}

func hashRecoveryCode(code string) []byte {
	h := sha256.Sum256([]byte("recovery\x00" + strings.ToLower(strings.TrimSpace(code))))
	return h[:]
}

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
	if err := s.limit(ctx, "login", "ip", c.IP, s.cfg.IPLimit); err != nil {
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
	var verdict error
	err := s.store.Write(ctx, func(tx Tx) error {
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
		return err
	})
	if err != nil {
		return nil, err
	}
	return auth, verdict
}

// checkSecondFactor reports whether code is a current code of a's active
// method or one of its unused recovery codes, and uses it up: the code is
// deleted, the TOTP step remembered, the recovery code struck off. The
// caller's transaction commits that even when it refuses the request.
func (s *Service) checkSecondFactor(ctx context.Context, tx Tx, a *Account, code string, now time.Time) (bool, error) {
	code = strings.TrimSpace(code)
	if validCodeForm(code) {
		switch a.TwoFA.Type {
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
