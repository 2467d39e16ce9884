package accountd

import "time"

// Mail is a message in the outbox. It is written in the same transaction as
// the change that causes it and delivered later, so an acknowledged change
// never loses its mail.
type Mail struct {
	ID            string
	To            string
	Subject       string
	Body          string // plain text; emptied once delivered, since it may hold a code
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	LastError     string
}

// NewMail returns an outbox entry due now.
func NewMail(now time.Time, to, subject, body string) *Mail {
	now = now.UTC().Truncate(time.Millisecond)
	return &Mail{ID: NewID(now), To: to, Subject: subject, Body: body, CreatedAt: now, NextAttemptAt: now}
}

// MailRetryDelay is the back-off before attempt n+1 after n failures:
// doubling from 2 s, capped at 10 minutes.
func MailRetryDelay(attempts int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}
