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
