package storetest

import (
	"testing"
	"time"

	"accountd"
)

// hit calls Hit and checks what it returns.
func hit(t *testing.T, s accountd.Store, key string, window time.Duration, now time.Time, wantCount int, wantReset time.Time) {
	t.Helper()
	count, reset, err := s.Hit(t.Context(), key, window, now)
	if err != nil {
		t.Fatalf("Hit(%q): %v", key, err)
	}
	if count != wantCount || !reset.Equal(wantReset) {
		t.Errorf("Hit(%q) at %v = %d, %v; want %d, %v", key, now, count, reset, wantCount, wantReset)
	}
}

func testHit(t *testing.T, s accountd.Store) {
	const w = time.Minute
	end := t0.Add(w)
	hit(t, s, "login:192.0.2.1", w, t0, 1, end)
	hit(t, s, "login:192.0.2.1", w, t0.Add(10*time.Second), 2, end)
	hit(t, s, "login:192.0.2.2", w, t0.Add(20*time.Second), 1, t0.Add(20*time.Second+w))
	hit(t, s, "login:192.0.2.1", w, end.Add(-time.Millisecond), 3, end)
	// The window ends at its reset time; the next hit starts a new one.
	hit(t, s, "login:192.0.2.1", w, end, 1, end.Add(w))
	hit(t, s, "login:192.0.2.1", w, end.Add(time.Second), 2, end.Add(w))
	hit(t, s, "login:192.0.2.2", w, t0.Add(30*time.Second), 2, t0.Add(20*time.Second+w))
}
