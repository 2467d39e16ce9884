package storetest

import (
	"reflect"
	"testing"
	"time"

	"accountd"
)

func testOutbox(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	early := accountd.NewMail(t0, "ada@example.com", "Verify your email", "Your code is 123456")
	next := accountd.NewMail(t0.Add(time.Second), "grace@example.com", "Welcome", "Hello Grace")
	later := accountd.NewMail(t0.Add(time.Hour), "kim@example.com", "Reset", "Your code is 654321")
	// Made last but due first: claims come back in the order mail fell due,
	// whatever the order of ids or of enqueueing.
	urgent := accountd.NewMail(t0.Add(2*time.Second), "lin@example.com", "Sign-in alert", "New sign-in")
	urgent.NextAttemptAt = t0.Add(-time.Minute)
	write(t, s, func(tx accountd.Tx) error {
		for _, m := range []*accountd.Mail{later, next, early, urgent} {
			if err := tx.EnqueueMail(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})

	backlog(t, s, "four queued", 4, t0)

	const lease = 5 * time.Minute
	claim := func(what string, now time.Time, max int, want ...accountd.Mail) {
		t.Helper()
		got, err := s.ClaimMail(ctx, now, lease, max)
		if err != nil {
			t.Fatalf("%s: ClaimMail: %v", what, err)
		}
		if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ClaimMail:\n got %+v\nwant %+v", what, got, want)
		}
	}
	now := t0.Add(time.Minute)
	claim("due mail", now, 10, *urgent, *early, *next)
	claim("while leased", now.Add(time.Second), 10)
	claim("max 0", now.Add(lease), 0)
	claim("lease over, max 1", now.Add(lease), 1, *urgent)
	claim("lease over, the rest", now.Add(lease), 10, *early, *next)
	if err := s.MarkMailSent(ctx, urgent.ID, now.Add(lease)); err != nil {
		t.Fatal(err)
	}

	retry := now.Add(20 * time.Minute)
	if err := s.MarkMailFailed(ctx, early.ID, retry, "451 try again later"); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkMailSent(ctx, next.ID, now.Add(lease+time.Second)); err != nil {
		t.Fatal(err)
	}
	// A failure ends the lease but the mail waits for its next attempt;
	// the sent mail is never claimed again.
	claim("before the retry", now.Add(2*lease+time.Second), 10)
	failed := *early
	failed.Attempts, failed.NextAttemptAt, failed.LastError = 1, retry, "451 try again later"
	claim("at the retry", retry, 10, failed)
	claim("all due, the sent one aside", t0.Add(2*time.Hour), 10, failed, *later)
	backlog(t, s, "two sent, one failed", 2, t0)
	if err := s.MarkMailSent(ctx, early.ID, retry); err != nil {
		t.Fatal(err)
	}
	backlog(t, s, "the oldest sent", 1, later.CreatedAt)
	if err := s.MarkMailSent(ctx, later.ID, retry); err != nil {
		t.Fatal(err)
	}
	backlog(t, s, "all sent", 0, time.Time{})

	wantNotFound(t, "MarkMailSent of a missing mail", s.MarkMailSent(ctx, accountd.NewID(t0), now))
	wantNotFound(t, "MarkMailFailed of a missing mail", s.MarkMailFailed(ctx, accountd.NewID(t0), now, "x"))
}

// backlog fails t unless the outbox holds pending unsent mails, the
// oldest queued at oldest.
func backlog(t *testing.T, s accountd.Store, what string, pending int, oldest time.Time) {
	t.Helper()
	n, at, err := s.OutboxBacklog(t.Context())
	if err != nil {
		t.Fatalf("%s: OutboxBacklog: %v", what, err)
	}
	if n != pending || !at.Equal(oldest) {
		t.Errorf("%s: OutboxBacklog = %d, %v; want %d, %v", what, n, at, pending, oldest)
	}
}
