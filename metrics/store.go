package metrics

import (
	"context"
	"errors"
	"time"

	"accountd"
)

// store is an accountd.Store that counts the failures of the one it wraps.
type store struct {
	accountd.Store
	m *Metrics
}

// Store wraps s so that its failures are counted by kind.
func (m *Metrics) Store(s accountd.Store) accountd.Store { return &store{Store: s, m: m} }

// count records err when it is the store's own failure. A domain error
// (a rule that fn broke, a record not found) and a request its client
// abandoned are not.
func (s *store) count(err error) error {
	var de *accountd.Error
	switch {
	case err == nil, errors.Is(err, context.Canceled):
	case errors.As(err, &de) && de.Kind == accountd.KindUnavailable:
		s.m.storeErrors.WithLabelValues("unavailable").Inc()
	case errors.As(err, &de) && de.Kind != accountd.KindInternal:
	default:
		s.m.storeErrors.WithLabelValues("internal").Inc()
	}
	return err
}

func (s *store) Write(ctx context.Context, fn func(accountd.Tx) error) error {
	return s.count(s.Store.Write(ctx, fn))
}

func (s *store) Read(ctx context.Context, fn func(accountd.Tx) error) error {
	return s.count(s.Store.Read(ctx, fn))
}

func (s *store) SessionAccount(ctx context.Context, tokenHash []byte) (*accountd.Session, *accountd.Account, error) {
	sess, a, err := s.Store.SessionAccount(ctx, tokenHash)
	return sess, a, s.count(err)
}

func (s *store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	n, at, err := s.Store.Hit(ctx, key, window, now)
	return n, at, s.count(err)
}

func (s *store) Hits(ctx context.Context, key string, now time.Time) (int, error) {
	n, err := s.Store.Hits(ctx, key, now)
	return n, s.count(err)
}

func (s *store) UndoHit(ctx context.Context, key string, now time.Time) error {
	return s.count(s.Store.UndoHit(ctx, key, now))
}

func (s *store) ClearHits(ctx context.Context, key string) error {
	return s.count(s.Store.ClearHits(ctx, key))
}

func (s *store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, max int) ([]accountd.Mail, error) {
	mails, err := s.Store.ClaimMail(ctx, now, lease, max)
	return mails, s.count(err)
}

func (s *store) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	return s.count(s.Store.MarkMailSent(ctx, id, at))
}

func (s *store) MarkMailFailed(ctx context.Context, id string, next time.Time, reason string) error {
	return s.count(s.Store.MarkMailFailed(ctx, id, next, reason))
}

func (s *store) Prune(ctx context.Context, now time.Time) error {
	return s.count(s.Store.Prune(ctx, now))
}

func (s *store) Ping(ctx context.Context) error {
	return s.count(s.Store.Ping(ctx))
}
