// Package mail delivers the outbox: a Relay claims due mails from the store
// and hands them to a Sender, SMTP in production and the log in development.
package mail

import (
	"context"

	"accountd"
)

// Sender delivers one mail. It is safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m accountd.Mail) error
}
