package mail

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"accountd"
)

// Outbox is the part of accountd.Store that a Relay needs.
type Outbox interface {
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, max int) ([]accountd.Mail, error)
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	MarkMailFailed(ctx context.Context, id string, next time.Time, reason string) error
}

var _ Outbox = accountd.Store(nil)

// recordTimeout bounds writing a delivery's outcome to the outbox.
const recordTimeout = 10 * time.Second

// Relay moves mail from the outbox to a Sender. Mail is written to the
// outbox in the transaction that causes it, so the relay only ever delivers
// what was committed; a failed send is retried with back-off, forever.
//
// Set the exported fields, all positive, before calling Run or Flush.
type Relay struct {
	PollInterval time.Duration // how long to wait for a Notify before looking anyway
	Lease        time.Duration // how long claimed mails are reserved for this relay
	Batch        int           // how many mails one pass claims at most

	outbox Outbox
	sender Sender
	// sendsToLog is set for a LogSender, whose record of the mail says all
	// there is: "mail sent" after it would claim a delivery that never was.
	sendsToLog bool
	logger     *slog.Logger
	wake       chan struct{}

	// mu makes passes take turns, so Flush never races Run.
	mu sync.Mutex
	// held is what a cancelled pass claimed but did not get to send. Flush
	// sends it while the lease still keeps it from ClaimMail.
	held claim
}

type claim struct {
	mails []accountd.Mail
	until time.Time
}

// NewRelay returns a Relay with a 1 s poll interval, a 1 min lease and
// batches of 20. A nil logger means slog.Default().
func NewRelay(outbox Outbox, sender Sender, logger *slog.Logger) *Relay {
	_, sendsToLog := sender.(LogSender)
	return &Relay{
		PollInterval: time.Second,
		Lease:        time.Minute,
		Batch:        20,
		outbox:       outbox,
		sender:       sender,
		sendsToLog:   sendsToLog,
		logger:       cmp.Or(logger, slog.Default()),
		wake:         make(chan struct{}, 1),
	}
}

// Notify wakes Run for a pass now rather than at the next poll. Call it
// after committing a transaction that queued mail. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run delivers due mail until ctx ends. Store failures are logged and
// retried on the next pass.
func (r *Relay) Run(ctx context.Context) {
	for ctx.Err() == nil {
		more, err := r.pass(ctx)
		if err != nil && ctx.Err() == nil {
			r.logger.ErrorContext(ctx, "outbox: cannot claim mail; will try again", "err", err)
		}
		if more {
			continue
		}
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-time.After(r.PollInterval):
		}
	}
}

// Flush delivers everything due now, including what a cancelled Run had
// claimed but not sent, so that queued mail gets one more attempt before
// the process exits. Sends that fail are logged and left for a later
// attempt, as in Run; the error reports a store failure or ctx ending.
func (r *Relay) Flush(ctx context.Context) error {
	for {
		more, err := r.pass(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// pass delivers what an earlier pass held back, then claims and delivers
// one batch. It reports whether more mail may be due already: the batch
// was full, or its lease ran out before all of it was sent.
func (r *Relay) pass(ctx context.Context) (more bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	held := r.held
	r.held = claim{}
	r.deliver(ctx, held)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	now := time.Now()
	mails, err := r.outbox.ClaimMail(ctx, now, r.Lease, r.Batch)
	if err != nil {
		return false, err
	}
	done := r.deliver(ctx, claim{mails: mails, until: now.Add(r.Lease)})
	return len(mails) == r.Batch || !done, nil
}

// deliver sends the claimed mails and records each outcome. It reports
// whether it got through them all.
func (r *Relay) deliver(ctx context.Context, c claim) bool {
	for i, m := range c.mails {
		if time.Now().After(c.until) {
			// The rest may be claimed by another relay by now; sending them
			// too would send them twice. They are due, so they come back.
			return false
		}
		err := r.sender.Send(ctx, m)
		switch {
		case err == nil:
			r.sent(ctx, m)
		case ctx.Err() != nil:
			// Our own shutdown cut the send short, not the server: that is
			// no attempt to count, and Flush may still get to it.
			r.held = claim{mails: c.mails[i:], until: c.until}
			return false
		default:
			r.failed(ctx, m, err)
		}
	}
	return true
}

// sent and failed record the outcome even when ctx has ended: a delivery
// that is not recorded is sent again.
func (r *Relay) sent(ctx context.Context, m accountd.Mail) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if !r.sendsToLog {
		r.logger.InfoContext(ctx, "mail sent", "mail_id", m.ID, "attempt", m.Attempts+1)
	}
	if err := r.outbox.MarkMailSent(rctx, m.ID, time.Now()); err != nil {
		r.logger.ErrorContext(ctx, "outbox: mail sent but not recorded; it will be sent again", "mail_id", m.ID, "err", err)
	}
}

func (r *Relay) failed(ctx context.Context, m accountd.Mail, sendErr error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	attempt := m.Attempts + 1
	next := time.Now().Add(accountd.MailRetryDelay(attempt))
	r.logger.WarnContext(ctx, "mail not sent; will retry", "mail_id", m.ID, "attempt", attempt, "retry_at", next, "err", sendErr)
	if err := r.outbox.MarkMailFailed(rctx, m.ID, next, sendErr.Error()); err != nil {
		r.logger.ErrorContext(ctx, "outbox: failed send not recorded", "mail_id", m.ID, "err", err)
	}
}
