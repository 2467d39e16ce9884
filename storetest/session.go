package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"accountd"
)

func newSession(accountID string, created time.Time, ttl time.Duration) *accountd.Session {
	_, hash := accountd.NewToken()
	return &accountd.Session{
		ID: accountd.NewID(created), AccountID: accountID, TokenHash: hash,
		CreatedAt: created, LastSeenAt: created, ExpiresAt: created.Add(ttl),
		UserAgent: "Mozilla/5.0 (storetest)", IP: "192.0.2.1",
	}
}

func createSessions(t *testing.T, s accountd.Store, sessions ...*accountd.Session) {
	t.Helper()
	write(t, s, func(tx accountd.Tx) error {
		for _, sess := range sessions {
			if err := tx.CreateSession(t.Context(), sess); err != nil {
				return err
			}
		}
		return nil
	})
}

func testSessions(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	b := createAccount(t, s, t0, "grace@example.com")
	older := newSession(a.ID, t0, 24*time.Hour)
	newer := newSession(a.ID, t0.Add(time.Hour), 24*time.Hour)
	expired := newSession(a.ID, t0.Add(-48*time.Hour), 24*time.Hour)
	other := newSession(b.ID, t0, 24*time.Hour)
	createSessions(t, s, older, expired, newer, other)
	now := t0.Add(2 * time.Hour)

	wantSessions := func(what, accountID string, want ...accountd.Session) {
		t.Helper()
		read(t, s, func(tx accountd.Tx) error {
			got, err := tx.Sessions(ctx, accountID, now)
			if err != nil {
				return err
			}
			if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Sessions:\n got %+v\nwant %+v", what, got, want)
			}
			return nil
		})
	}
	byHash := func(hash []byte) (*accountd.Session, error) {
		var got *accountd.Session
		err := s.Read(ctx, func(tx accountd.Tx) (err error) {
			got, err = tx.SessionByTokenHash(ctx, hash)
			return err
		})
		return got, err
	}

	got, err := byHash(older.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, older) {
		t.Errorf("SessionByTokenHash:\n got %+v\nwant %+v", got, older)
	}
	wantSessions("unexpired, newest first", a.ID, *newer, *older)
	wantSessions("another account's", b.ID, *other)

	write(t, s, func(tx accountd.Tx) error { return tx.TouchSession(ctx, older.ID, now) })
	if got, err = byHash(older.TokenHash); err != nil {
		t.Fatal(err)
	}
	if !got.LastSeenAt.Equal(now) {
		t.Errorf("LastSeenAt after TouchSession = %v, want %v", got.LastSeenAt, now)
	}
	wantNotFound(t, "TouchSession of a missing session", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.TouchSession(ctx, accountd.NewID(t0), now)
	}))

	// An account cannot delete another account's session.
	wantNotFound(t, "DeleteSession of another account's session", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.DeleteSession(ctx, b.ID, older.ID)
	}))
	if _, err := byHash(older.TokenHash); err != nil {
		t.Errorf("session after another account tried to delete it: %v", err)
	}
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteSession(ctx, a.ID, older.ID) })
	_, err = byHash(older.TokenHash)
	wantNotFound(t, "SessionByTokenHash after DeleteSession", err)

	third := newSession(a.ID, t0.Add(90*time.Minute), 24*time.Hour)
	createSessions(t, s, third)
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteSessions(ctx, a.ID, newer.ID) })
	wantSessions("after DeleteSessions", a.ID, *newer)
	_, err = byHash(expired.TokenHash)
	wantNotFound(t, "expired session after DeleteSessions", err)
	wantSessions("another account's after DeleteSessions", b.ID, *other)
}

// testSessionAccount checks the token look-up and that no answer outlives
// a change to what it read, however the store serves it.
func testSessionAccount(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "lovelace@example.com")
	sess := newSession(a.ID, t0, time.Hour)
	createSessions(t, s, sess)

	gotS, gotA, err := s.SessionAccount(ctx, sess.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	if gotS.ID != sess.ID || gotA.ID != a.ID || gotA.Email != a.Email || len(gotA.Achievements) != len(a.Achievements) {
		t.Fatalf("got session %s account %s", gotS.ID, gotA.ID)
	}
	// The account is whole, as the other look-ups read it, tags included.
	write(t, s, func(tx accountd.Tx) error {
		_, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(t0, "Go"), accountd.NewTag(t0, "Data Science")}, t0.Add(time.Second))
		return err
	})
	if _, whole, err := s.SessionAccount(ctx, sess.TokenHash); err != nil || !reflect.DeepEqual(whole, accountByID(t, s, a.ID)) {
		t.Fatalf("SessionAccount's account %+v, %v; want AccountByID's %+v", whole, err, accountByID(t, s, a.ID))
	}
	// What the caller does with an answer is its own business.
	gotA.FirstName, gotA.Achievements[0].Value, gotS.IP = "Changed", 99, "0.0.0.0"
	again, againA, err := s.SessionAccount(ctx, sess.TokenHash)
	if err != nil || againA.FirstName != a.FirstName || againA.Achievements[0].Value != 0 || again.IP != sess.IP {
		t.Fatalf("a caller's change leaked into the store's answer: %v %+v", err, againA)
	}

	// A committed change shows at once.
	write(t, s, func(tx accountd.Tx) error {
		cur, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		cur.FirstName = "Augusta"
		return tx.UpdateAccount(ctx, cur)
	})
	if _, got, err := s.SessionAccount(ctx, sess.TokenHash); err != nil || got.FirstName != "Augusta" {
		t.Fatalf("after update: %v %v", err, got)
	}
	write(t, s, func(tx accountd.Tx) error {
		return tx.AddAchievementValue(ctx, a.ID, accountd.AchievementReferral, 1, t0)
	})
	_, got, err := s.SessionAccount(ctx, sess.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	for _, ac := range got.Achievements {
		if ac.Type == accountd.AchievementReferral && ac.Value != 1 {
			t.Fatalf("referral value %d after adding 1", ac.Value)
		}
	}
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteSession(ctx, a.ID, sess.ID) })
	if _, _, err := s.SessionAccount(ctx, sess.TokenHash); !errors.Is(err, accountd.ErrNotFound) {
		t.Fatalf("revoked session: %v, want ErrNotFound", err)
	}
	_, unknown := accountd.NewToken()
	if _, _, err := s.SessionAccount(ctx, unknown); !errors.Is(err, accountd.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
}
