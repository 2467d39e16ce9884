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

// testHitsUndoneAndCleared: Hits reads a window's count without counting,
// UndoHit takes one back (never below none, never from a closed window),
// and ClearHits forgets the key.
func testHitsUndoneAndCleared(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	const w = time.Minute
	hits := func(key string, now time.Time, want int) {
		t.Helper()
		if n, err := s.Hits(ctx, key, now); err != nil || n != want {
			t.Errorf("Hits(%q) at %v = %d, %v; want %d", key, now, n, err, want)
		}
	}
	hits("k", t0, 0)
	hit(t, s, "k", w, t0, 1, t0.Add(w))
	hit(t, s, "k", w, t0, 2, t0.Add(w))
	hit(t, s, "other", w, t0, 1, t0.Add(w))
	hits("k", t0.Add(time.Second), 2)
	if err := s.UndoHit(ctx, "k", t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	hits("k", t0.Add(time.Second), 1)
	for range 2 {
		if err := s.UndoHit(ctx, "k", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	hits("k", t0.Add(time.Second), 0)
	hit(t, s, "k", w, t0.Add(2*time.Second), 1, t0.Add(w))
	// A window that has closed is not undone, and counts nothing.
	if err := s.UndoHit(ctx, "other", t0.Add(w)); err != nil {
		t.Fatal(err)
	}
	hits("other", t0.Add(w), 0)
	hit(t, s, "other", w, t0.Add(w), 1, t0.Add(2*w))
	if err := s.ClearHits(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	hits("k", t0.Add(3*time.Second), 0)
	hits("other", t0.Add(w), 1)
	hit(t, s, "k", w, t0.Add(3*time.Second), 1, t0.Add(3*time.Second+w))
}
