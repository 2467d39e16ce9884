package storetest

import (
	"reflect"
	"testing"
	"time"

	"accountd"
)

func testPrune(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	now := t0.Add(30 * 24 * time.Hour)
	a := createAccount(t, s, t0, "ada@example.com")

	oldSession := newSession(a.ID, now.Add(-25*time.Hour), 24*time.Hour)
	liveSession := newSession(a.ID, now.Add(-time.Hour), 24*time.Hour)
	createSessions(t, s, oldSession, liveSession)
	oldCode, _ := accountd.NewCode(now.Add(-time.Hour), a.ID, accountd.PurposeVerifyEmail)
	liveCode, _ := accountd.NewCode(now, a.ID, accountd.PurposeResetPassword)
	sentLongAgo := accountd.NewMail(now.Add(-9*24*time.Hour), "ada@example.com", "Old", "old")
	sentLately := accountd.NewMail(now.Add(-9*24*time.Hour), "ada@example.com", "Recent", "recent")
	unsent := accountd.NewMail(now.Add(-time.Hour), "ada@example.com", "Pending", "pending")
	write(t, s, func(tx accountd.Tx) error {
		for _, c := range []*accountd.Code{oldCode, liveCode} {
			if err := tx.PutCode(ctx, c); err != nil {
				return err
			}
		}
		for _, m := range []*accountd.Mail{sentLongAgo, sentLately, unsent} {
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	for m, at := range map[string]time.Time{sentLongAgo.ID: now.Add(-8 * 24 * time.Hour), sentLately.ID: now.Add(-6 * 24 * time.Hour)} {
		if err := s.MarkMailSent(ctx, m, at); err != nil {
			t.Fatal(err)
		}
	}
	hit(t, s, "ended", time.Minute, now.Add(-time.Minute), 1, now)
	hit(t, s, "running", time.Minute, now.Add(-time.Second), 1, now.Add(time.Minute-time.Second))

	if err := s.Prune(ctx, now); err != nil {
		t.Fatal(err)
	}

	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.SessionByTokenHash(ctx, oldSession.TokenHash)
		wantNotFound(t, "expired session after Prune", err)
		if _, err := tx.SessionByTokenHash(ctx, liveSession.TokenHash); err != nil {
			t.Errorf("live session after Prune: %v", err)
		}
		_, err = tx.CodeFor(ctx, a.ID, accountd.PurposeVerifyEmail)
		wantNotFound(t, "expired code after Prune", err)
		if _, err := tx.CodeFor(ctx, a.ID, accountd.PurposeResetPassword); err != nil {
			t.Errorf("live code after Prune: %v", err)
		}
		return nil
	})
	// An ended window reads the same pruned or not at any later time, so the
	// hit goes in with a clock from before the prune: a surviving window would
	// make it the second.
	hit(t, s, "ended", time.Minute, now.Add(-30*time.Second), 1, now.Add(30*time.Second))
	hit(t, s, "running", time.Minute, now, 2, now.Add(time.Minute-time.Second))

	mails, err := s.ClaimMail(ctx, now, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := []accountd.Mail{*unsent}; !reflect.DeepEqual(mails, want) {
		t.Errorf("ClaimMail after Prune:\n got %+v\nwant %+v", mails, want)
	}
}
