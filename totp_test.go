package accountd_test

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"accountd"
)

func TestMatchTOTPWindowAndReplay(t *testing.T) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Unix(1_700_000_010, 0) // inside step 56,666,667
	step := now.Unix() / 30
	code := func(at time.Time) string {
		c, err := totp.GenerateCode(secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, c := range []struct {
		at   time.Time
		last int64
		ok   bool
		step int64
	}{
		{now, 0, true, step},
		{now.Add(-30 * time.Second), 0, true, step - 1}, // a slow phone
		{now.Add(30 * time.Second), 0, true, step + 1},  // a fast one
		{now.Add(-60 * time.Second), 0, false, 0},       // too old
		{now.Add(60 * time.Second), 0, false, 0},        // too new
		{now, step, false, 0},                           // used already
		{now.Add(30 * time.Second), step, true, step + 1},
	} {
		got, ok := accountd.MatchTOTP(secret, code(c.at), now, c.last)
		if ok != c.ok || got != c.step {
			t.Errorf("code of %s, last step %d: step %d ok %v; want %d %v", c.at.Sub(now), c.last, got, ok, c.step, c.ok)
		}
	}
}
