package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"accountd"
	"accountd/mail/mailtest"
)

// memOutbox keeps the outbox in memory, with the lease semantics of the
// real store: a claimed mail is not claimed again until its lease ends or
// its outcome is recorded.
type memOutbox struct {
	mu         sync.Mutex
	mails      []*accountd.Mail
	leased     map[string]time.Time
	claims     int
	failClaims int // how many ClaimMail calls still fail
}

func newOutbox(mails ...*accountd.Mail) *memOutbox {
	return &memOutbox{mails: mails, leased: map[string]time.Time{}}
}

func (o *memOutbox) add(m *accountd.Mail) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.mails = append(o.mails, m)
}

func (o *memOutbox) ClaimMail(_ context.Context, now time.Time, lease time.Duration, max int) ([]accountd.Mail, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.claims++
	if o.failClaims > 0 {
		o.failClaims--
		return nil, errors.New("database is locked")
	}
	var due []accountd.Mail
	for _, m := range o.mails {
		if len(due) < max && m.SentAt == nil && !m.NextAttemptAt.After(now) && !o.leased[m.ID].After(now) {
			o.leased[m.ID] = now.Add(lease)
			due = append(due, *m)
		}
	}
	return due, nil
}

func (o *memOutbox) MarkMailSent(_ context.Context, id string, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.find(id)
	m.SentAt, m.Body = &at, ""
	delete(o.leased, id)
	return nil
}

func (o *memOutbox) MarkMailFailed(_ context.Context, id string, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.find(id)
	m.Attempts++
	m.NextAttemptAt, m.LastError = next, reason
	delete(o.leased, id)
	return nil
}

func (o *memOutbox) find(id string) *accountd.Mail {
	i := slices.IndexFunc(o.mails, func(m *accountd.Mail) bool { return m.ID == id })
	return o.mails[i]
}

func (o *memOutbox) get(id string) accountd.Mail {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.find(id)
}

func (o *memOutbox) claimCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.claims
}

// syncBuffer is a log sink that Run's goroutine and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var discard = slog.New(slog.DiscardHandler)

func queue(n int, prefix string) []*accountd.Mail {
	mails := make([]*accountd.Mail, n)
	for i := range mails {
		mails[i] = accountd.NewMail(time.Now(), fmt.Sprintf("%s%d@example.com", prefix, i), "Your code", fmt.Sprintf("secret code %s%d", prefix, i))
	}
	return mails
}

// run starts r.Run and returns a function that stops it and waits.
func run(t *testing.T, r *Relay) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRelayRetriesUntilServerIsBack(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Stop()
	mails := queue(2, "down")
	outbox := newOutbox(mails...)
	var logs syncBuffer
	r := NewRelay(outbox, newSMTP(t, srv.URL(), nil), slog.New(slog.NewJSONHandler(&logs, nil)))
	r.PollInterval = 10 * time.Millisecond
	run(t, r)

	failedAt := time.Now()
	for _, m := range mails {
		eventually(t, "the first attempt fails", func() bool { return outbox.get(m.ID).Attempts == 1 })
	}
	time.Sleep(20 * r.PollInterval)
	for _, m := range mails {
		got := outbox.get(m.ID)
		if got.Attempts != 1 || got.LastError == "" {
			t.Errorf("after a failure and 20 polls: attempts %d, last error %q; want 1 attempt and the error", got.Attempts, got.LastError)
		}
		if wait := got.NextAttemptAt.Sub(failedAt); wait < time.Second || wait > 3*time.Second {
			t.Errorf("next attempt %v after the failure, want MailRetryDelay(1) = %v", wait, accountd.MailRetryDelay(1))
		}
		if want := fmt.Sprintf(`"level":"WARN","msg":"mail not sent; will retry","mail_id":%q,"attempt":1`, m.ID); !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "secret code") {
		t.Errorf("log shows a mail body:\n%s", logs.String())
	}

	srv.Restart()
	for _, m := range mails {
		got := srv.WaitFor(t, m.To, 10*time.Second)
		if !strings.Contains(got.MessageID, m.ID) {
			t.Errorf("Message-ID %q does not carry mail id %s", got.MessageID, m.ID)
		}
		eventually(t, "the delivery is recorded", func() bool { return outbox.get(m.ID).SentAt != nil })
	}
	time.Sleep(20 * r.PollInterval)
	for _, m := range mails {
		if n := srv.Count(m.To); n != 1 {
			t.Errorf("%s got %d copies, want 1", m.To, n)
		}
		if got := outbox.get(m.ID); got.Body != "" || got.Attempts != 1 {
			t.Errorf("delivered mail has body %q and %d failed attempts, want none and 1", got.Body, got.Attempts)
		}
	}
}

func TestRelayNotify(t *testing.T) {
	srv := mailtest.Start(t)
	outbox := newOutbox()
	r := NewRelay(outbox, newSMTP(t, srv.URL(), nil), discard)
	r.PollInterval = time.Hour
	run(t, r)
	eventually(t, "the first pass is done", func() bool { return outbox.claimCount() == 1 })

	m := queue(1, "notify")[0]
	outbox.add(m)
	r.Notify()
	r.Notify() // never blocks, even with a wake-up pending
	srv.WaitFor(t, m.To, 2*time.Second)
}

func TestRelayFullBatchGoesAgainAtOnce(t *testing.T) {
	srv := mailtest.Start(t)
	mails := queue(5, "batch")
	outbox := newOutbox(mails...)
	r := NewRelay(outbox, newSMTP(t, srv.URL(), nil), discard)
	r.PollInterval, r.Batch = time.Hour, 2
	run(t, r)
	for _, m := range mails {
		srv.WaitFor(t, m.To, 2*time.Second)
	}
}

func TestRelaySurvivesStoreErrors(t *testing.T) {
	srv := mailtest.Start(t)
	m := queue(1, "store")[0]
	outbox := newOutbox(m)
	outbox.failClaims = 2
	var logs syncBuffer
	r := NewRelay(outbox, newSMTP(t, srv.URL(), nil), slog.New(slog.NewJSONHandler(&logs, nil)))
	r.PollInterval = 10 * time.Millisecond
	run(t, r)
	srv.WaitFor(t, m.To, 2*time.Second)
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("store error not logged:\n%s", logs.String())
	}
}

func TestRelayFlush(t *testing.T) {
	srv := mailtest.Start(t)
	due := queue(3, "due")
	later := accountd.NewMail(time.Now(), "later@example.com", "Later", "not yet")
	later.NextAttemptAt = time.Now().Add(time.Hour)
	outbox := newOutbox(append(due, later)...)
	r := NewRelay(outbox, newSMTP(t, srv.URL(), nil), discard)
	r.Batch = 2 // so one Flush takes several batches

	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range due {
		if n := srv.Count(m.To); n != 1 {
			t.Errorf("%s got %d copies, want 1", m.To, n)
		}
		if got := outbox.get(m.ID); got.SentAt == nil || got.Body != "" {
			t.Errorf("flushed mail %s: sent at %v, body %q", m.ID, got.SentAt, got.Body)
		}
	}
	if n := srv.Count(later.To); n != 0 {
		t.Errorf("mail not due yet was sent")
	}
}

// A Run cut short by shutdown leaves claimed mail leased; Flush must still
// send it, without counting the interrupted send as a failed attempt.
func TestRelayFlushAfterCancelledRun(t *testing.T) {
	srv := mailtest.Start(t)
	mails := queue(3, "shutdown")
	outbox := newOutbox(mails...)
	smtp := newSMTP(t, srv.URL(), nil)
	sending := make(chan struct{})
	var once sync.Once
	sender := senderFunc(func(ctx context.Context, m accountd.Mail) error {
		stall := false
		once.Do(func() { stall = true })
		if stall {
			close(sending)
			<-ctx.Done()
			return ctx.Err()
		}
		return smtp.Send(ctx, m)
	})
	r := NewRelay(outbox, sender, discard)
	stop := run(t, r)
	<-sending
	stop()

	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if n := srv.Count(m.To); n != 1 {
			t.Errorf("%s got %d copies, want 1", m.To, n)
		}
		if got := outbox.get(m.ID); got.SentAt == nil || got.Attempts != 0 {
			t.Errorf("mail %s: sent at %v after %d failed attempts, want sent after none", m.ID, got.SentAt, got.Attempts)
		}
	}
}

type senderFunc func(ctx context.Context, m accountd.Mail) error

func (f senderFunc) Send(ctx context.Context, m accountd.Mail) error { return f(ctx, m) }

// Mails whose lease runs out before their turn are left for the next claim
// instead of being sent under a lease another relay may have taken over.
func TestRelayStopsWhenLeaseRunsOut(t *testing.T) {
	srv := mailtest.Start(t)
	mails := queue(3, "lease")
	outbox := newOutbox(mails...)
	smtp := newSMTP(t, srv.URL(), nil)
	slow := senderFunc(func(ctx context.Context, m accountd.Mail) error {
		time.Sleep(60 * time.Millisecond)
		return smtp.Send(ctx, m)
	})
	r := NewRelay(outbox, slow, discard)
	r.Lease = 50 * time.Millisecond

	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if n := srv.Count(m.To); n != 1 {
			t.Errorf("%s got %d copies, want 1", m.To, n)
		}
	}
	if n := outbox.claimCount(); n < len(mails) {
		t.Errorf("%d claims for %d mails that each outlast the lease; want one claim per mail", n, len(mails))
	}
}
