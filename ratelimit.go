package accountd

import (
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
