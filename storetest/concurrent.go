package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"accountd"
)

// testConcurrent has many writers and readers at once, as a busy server
// does; under -race it also checks the store for data races.
func testConcurrent(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	const workers, hits = 50, 3
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			errs[i] = func() error {
				a := newAccount(t0, fmt.Sprintf("user%d@example.com", i))
				if err := s.Write(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) }); err != nil {
					return fmt.Errorf("Write: %w", err)
				}
				for range hits {
					if _, _, err := s.Hit(ctx, "shared", time.Hour, t0); err != nil {
						return fmt.Errorf("Hit: %w", err)
					}
				}
				return s.Read(ctx, func(tx accountd.Tx) error {
					_, err := tx.AccountByID(ctx, a.ID)
					return err
				})
			}()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
		}
	}
	hit(t, s, "shared", time.Hour, t0, workers*hits+1, t0.Add(time.Hour))
}

func testPing(t *testing.T, s accountd.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}
