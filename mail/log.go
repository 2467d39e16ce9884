package mail

import (
	"cmp"
	"context"
	"log/slog"

	"accountd"
)

// LogSender is the Sender for development without an SMTP server: it writes
// each mail, body included, into the log. It is the one place where a code
// is meant to appear in logs, so it must never be used in production.
type LogSender struct {
	Logger *slog.Logger // nil means slog.Default()
}

// Send writes m as one INFO record and never fails. That record is the
// mail's only one: a Relay does not log a LogSender's mail as sent.
func (s LogSender) Send(ctx context.Context, m accountd.Mail) error {
	cmp.Or(s.Logger, slog.Default()).InfoContext(ctx, "mail written to this log (no SMTP server configured)",
		"mail_id", m.ID, "to", m.To, "subject", m.Subject, "body", m.Body)
	return nil
}
