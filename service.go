package accountd

import (
	"context"
	"log/slog"
	"time"
)

// Service carries out the account use cases against a Store.
type Service struct {
	store  Store
	hasher *Hasher
	// pictures bounds the pictures decoding at once.
	pictures pictureSlots
	sealer   *Sealer
	cfg      Config
	log      *slog.Logger
	// MailQueued is called after a transaction that queued mail commits,
	// so the relay can send it at once.
	MailQueued func()
	// RateLimited is called when a rate limit refuses an attempt at action,
	// counted per scope ("ip", "account", …).
	RateLimited func(action, scope string)
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// NewService returns a Service over store; sealer keeps TOTP secrets.
func NewService(store Store, hasher *Hasher, sealer *Sealer, cfg Config, log *slog.Logger) *Service {
	return &Service{store: store, hasher: hasher, sealer: sealer, cfg: cfg, log: log, pictures: make(pictureSlots, 2), MailQueued: func() {},
		RateLimited: func(string, string) {}, Now: time.Now}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// Account returns the live account with id.
func (s *Service) Account(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		a, err = tx.AccountByID(ctx, id)
		return err
	})
	return a, err
}
