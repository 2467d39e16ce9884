package accountd

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a limit of N events per Window.
type Rate struct {
	N      int
	Window time.Duration
}

// ParseRate reads "N/DURATION", such as "10/15m"; "0" turns the limit off.
func ParseRate(s string) (Rate, error) {
	if s == "0" {
		return Rate{}, nil
	}
	n, w, ok := strings.Cut(s, "/")
	count, err1 := strconv.Atoi(n)
	window, err2 := time.ParseDuration(w)
	if !ok || err1 != nil || err2 != nil || count < 1 || window <= 0 {
		return Rate{}, fmt.Errorf("rate %q: want N/DURATION such as 10/15m, or 0 for none", s)
	}
	return Rate{N: count, Window: window}, nil
}

func (r Rate) String() string {
	if r.N == 0 {
		return "0"
	}
	return fmt.Sprintf("%d/%s", r.N, r.Window)
}

// Set implements flag.Value.
func (r *Rate) Set(s string) error {
	v, err := ParseRate(s)
	if err == nil {
		*r = v
	}
	return err
}

// limit counts one attempt at action by subject and refuses it once the
// rate is exceeded.
func (s *Service) limit(ctx context.Context, action, scope, subject string, r Rate) error {
	_, err := s.reserve(ctx, action, scope, subject, r)
	return err
}

// reserve is limit for an action that counts only when it fails: undo
// takes the count back once the attempt succeeds. Counting up front, not
// after the failure, keeps concurrent attempts from all passing the check
// before any has failed.
func (s *Service) reserve(ctx context.Context, action, scope, subject string, r Rate) (undo func(), err error) {
	if r.N == 0 {
		return func() {}, nil
	}
	now := s.now()
	key := limitKey(action, scope, subject)
	count, resetAt, err := s.store.Hit(ctx, key, r.Window, now)
	if err != nil {
		return nil, err
	}
	if count > r.N {
		s.RateLimited(action, scope)
		wait := max(resetAt.Sub(now), time.Second)
		return nil, &Error{Kind: KindRateLimited, Code: "rate_limited", RetryAfter: wait,
			Message: fmt.Sprintf("Too many attempts; try again in %s", wait.Round(time.Second))}
	}
	return func() {
		// Left counted, an attempt that succeeded only tightens the limit.
		if err := s.store.UndoHit(ctx, key, s.now()); err != nil {
			s.log.WarnContext(ctx, "a successful attempt stays counted", "action", action, "err", err)
		}
	}, nil
}

func limitKey(action, scope, subject string) string { return action + ":" + scope + ":" + subject }

// failedLoginsKey counts an email's failed logins from every address,
// which past LoginVerifyAfter call for a mailed code (see Login).
func failedLoginsKey(emailKey string) string { return limitKey("login", "failed", emailKey) }

// forgetFailedLogins clears that count once the owner has shown the
// mailbox, a second factor, or a new password.
func (s *Service) forgetFailedLogins(ctx context.Context, emailKey string) {
	if err := s.store.ClearHits(ctx, failedLoginsKey(emailKey)); err != nil {
		s.log.WarnContext(ctx, "failed logins stay counted", "err", err)
	}
}
