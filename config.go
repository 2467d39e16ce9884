package accountd

import "time"

// Config holds the knobs of the use cases.
type Config struct {
	SessionTTL time.Duration
	// IPLimit and AccountLimit apply to each credential action (register,
	// login, verify, resend, forgot, reset) separately: per client address,
	// and per email address or account. AccountLimit also bounds a
	// session's password checks (change, delete) and an account's 2FA
	// set-ups and mailed codes.
	IPLimit      Rate
	AccountLimit Rate
	// A login counts only when it fails: per client address (IPLimit) and
	// per email and client address (AccountLimit), each refusing past its
	// limit; and per email from every address, which refuses nothing but,
	// past LoginVerifyAfter, has a right password answered with a code
	// mailed to the account instead of a session. So no one can lock the
	// owner out, and the password alone does not get a guesser in.
	LoginVerifyAfter Rate
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
	LoginVerifyAfter:  Rate{N: 20, Window: time.Hour},
	ForgotMinDuration: 250 * time.Millisecond,
	PublicURL:         "http://127.0.0.1:8080",
	Issuer:            "accountd",
}
