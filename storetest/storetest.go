// Package storetest is the test suite every accountd.Store implementation
// runs, so that each behaves the same behind the interface. It uses only the
// interface and the domain's constructors, and fixed times instead of the
// clock.
package storetest

import (
	"errors"
	"testing"
	"time"

	"accountd"
)

// Run runs the suite. open returns a fresh, migrated, empty store for each
// subtest; closing it is open's business, in a t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) accountd.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s accountd.Store)
	}{
		{"AccountRoundTrip", testAccountRoundTrip},
		{"AccountNotFound", testAccountNotFound},
		{"UserNameTaken", testUserNameTaken},
		{"UserNameClash", testUserNameClash},
		{"EmailTaken", testEmailTaken},
		{"UpdateAccount", testUpdateAccount},
		{"AddAchievementValue", testAddAchievementValue},
		{"SharedTags", testSharedTags},
		{"SetTags", testSetTags},
		{"SetTagsRollsBack", testSetTagsRollsBack},
		{"SetTagsReturnsDocuments", testSetTagsReturnsDocuments},
		{"ConcurrentTags", testConcurrentTags},
		{"DeleteAccount", testDeleteAccount},
		{"WriteRollsBack", testWriteRollsBack},
		{"ReadSeesCommitted", testReadSeesCommitted},
		{"Sessions", testSessions},
		{"SessionAccount", testSessionAccount},
		{"Codes", testCodes},
		{"Outbox", testOutbox},
		{"Hit", testHit},
		{"HitsUndoneAndCleared", testHitsUndoneAndCleared},
		{"Prune", testPrune},
		{"Concurrent", testConcurrent},
		{"Ping", testPing},
		{"Search", testSearch},
		{"SearchPageWalk", testSearchPageWalk},
		{"SearchSameMillisecond", testSearchSameMillisecond},
		{"Bookmarks", testBookmarks},
		{"TagListing", testTagListing},
		{"ImportAccounts", testImportAccounts},
		{"MediaRoundTrip", testMediaRoundTrip},
		{"DropUnusedMedia", testDropUnusedMedia},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

// t0 is the suite's "now"; every other time is built from it.
var t0 = time.Date(2025, time.March, 1, 12, 0, 0, 0, time.UTC)

// errBoom is what a failing fn returns; Write and Read must hand it back as is.
var errBoom = errors.New("storetest: fn failed")

func write(t *testing.T, s accountd.Store, fn func(accountd.Tx) error) {
	t.Helper()
	if err := s.Write(t.Context(), fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func read(t *testing.T, s accountd.Store, fn func(accountd.Tx) error) {
	t.Helper()
	if err := s.Read(t.Context(), fn); err != nil {
		t.Fatalf("Read: %v", err)
	}
}

// newAccount returns a registration's account with the unique fields filled
// in from its id, so that accounts in a test never collide by chance. It has
// no tags, which a look-up returns as an empty list.
func newAccount(now time.Time, email string) *accountd.Account {
	a := accountd.NewAccount(now, email, "Ada", "Lovelace")
	a.UserName = "ada-lovelace-" + a.ID
	a.ReferralCode = "R" + a.ID
	a.Tags = []accountd.Tag{}
	return a
}

func createAccount(t *testing.T, s accountd.Store, now time.Time, email string) *accountd.Account {
	t.Helper()
	a := newAccount(now, email)
	write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(t.Context(), a) })
	return a
}

// wantNotFound fails the test unless err is the store's ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, accountd.ErrNotFound) {
		t.Errorf("%s: got error %v, want ErrNotFound", what, err)
	}
}

// errOnly drops the tags SetTags returns where a test wants only its error.
func errOnly(_ []accountd.Tag, err error) error { return err }
