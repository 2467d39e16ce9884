package storetest

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"accountd"
)

// fullAccount returns an account with every stored field set to something
// other than its zero or default value.
func fullAccount(now time.Time, referredBy string) *accountd.Account {
	a := newAccount(now, "Ada.Lovelace@example.com")
	verified, loggedIn := now.Add(time.Hour), now.Add(2*time.Hour)
	a.EmailVerified = true
	a.EmailVerifiedAt = &verified
	a.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
	a.Role = accountd.RolePartner
	a.Type = "talent"
	a.IsUserNameUpdated = true
	a.ReferredBy = referredBy
	a.Profile = accountd.Profile{
		Contact: accountd.Contact{Country: "UK", State: "London", City: "London", Address: "12 St James's Square", Phone: "+44 20 7946 0000"},
		Bio:     accountd.Bio{Title: "Analyst", Description: "Notes on the Analytical Engine"},
		Talent:  accountd.Talent{About: "Programs", Availability: "busy", Tags: []string{}},
	}
	a.Socials = accountd.Socials{GitHub: "ada", Twitter: "@ada", LinkedIn: "in/ada", Website: "https://ada.example.com"}
	a.IsPrivate = true
	a.WalletGenerated = true
	a.Web3Onboard = true
	a.IsVerified = true
	a.KYC = true
	a.KYCStatus = "approved"
	a.AccountType = "google"
	a.Score = 42
	a.TwoFA = accountd.TwoFA{Type: "google_auth", Status: true, SecurityQuestion: "first pet",
		Pending: "email", PendingSecret: []byte("sealed pending"), PendingAttempts: 2,
		Secret: []byte("sealed secret\x00\xff"), LastStep: 56_666_667,
		RecoveryCodes: [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)}}
	a.LoggedInAt = &loggedIn
	a.UpdatedAt = now.Add(3 * time.Hour)
	a.Achievements[1].Value = 3
	a.Achievements[1].UpdatedAt = now.Add(4 * time.Hour)
	return a
}

func wantAccount(t *testing.T, what string, got, want *accountd.Account) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testAccountRoundTrip(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	// A registration's account: unset times, false flags, no referrer.
	plain := createAccount(t, s, t0, "grace@example.com")
	full := fullAccount(t0, plain.ID)
	parent := accountd.NewTag(t0, "Engineering")
	parent.IsParent, parent.Type = true, "category"
	tags := []accountd.Tag{accountd.NewTag(t0, "Rust"), parent, accountd.NewTag(t0, "Analytical  Engines")}
	tagged := t0.Add(5 * time.Hour)
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.CreateAccount(ctx, full); err != nil {
			return err
		}
		return errOnly(tx.SetTags(ctx, full.ID, tags, tagged))
	})
	// The names as given and the documents as given, each now counting
	// this account.
	full.Profile.Talent.Tags = []string{"Rust", "Engineering", "Analytical Engines"}
	full.Tags = tags
	for i := range full.Tags {
		full.Tags[i].EntryCount, full.Tags[i].UpdatedAt = 1, tagged
	}

	read(t, s, func(tx accountd.Tx) error {
		for _, want := range []*accountd.Account{plain, full} {
			got, err := tx.AccountByID(ctx, want.ID)
			if err != nil {
				return err
			}
			wantAccount(t, "AccountByID", got, want)
			if got.Profile.Talent.Tags == nil {
				t.Error("AccountByID: Tags is nil, want an empty list")
			}
			if got, err = tx.AccountByEmail(ctx, want.EmailKey); err != nil {
				return err
			}
			wantAccount(t, "AccountByEmail", got, want)
			if got, err = tx.AccountByReferralCode(ctx, want.ReferralCode); err != nil {
				return err
			}
			wantAccount(t, "AccountByReferralCode", got, want)
			if got, err = tx.AccountByUserName(ctx, want.UserName); err != nil {
				return err
			}
			wantAccount(t, "AccountByUserName", got, want)
		}
		return nil
	})
}

func testAccountNotFound(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, accountd.NewID(t0))
		wantNotFound(t, "AccountByID", err)
		_, err = tx.AccountByEmail(ctx, "nobody@example.com")
		wantNotFound(t, "AccountByEmail", err)
		// The look-up is by EmailKey, not by the address as typed.
		_, err = tx.AccountByEmail(ctx, "ADA@example.com")
		wantNotFound(t, "AccountByEmail with a key not lower-cased", err)
		_, err = tx.AccountByReferralCode(ctx, "none")
		wantNotFound(t, "AccountByReferralCode", err)
		_, err = tx.AccountByUserName(ctx, "nobody-at-all")
		wantNotFound(t, "AccountByUserName", err)
		return nil
	})
	missing := newAccount(t0, "missing@example.com")
	wantNotFound(t, "UpdateAccount", s.Write(ctx, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, missing) }))
	wantNotFound(t, "AddAchievementValue of a missing type", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.AddAchievementValue(ctx, a.ID, "no-such-type", 1, t0)
	}))
}

func testUserNameTaken(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	taken := func(name string) bool {
		t.Helper()
		var ok bool
		read(t, s, func(tx accountd.Tx) (err error) {
			ok, err = tx.UserNameTaken(ctx, name)
			return err
		})
		return ok
	}
	a := newAccount(t0, "ada@example.com")
	if taken(a.UserName) {
		t.Errorf("UserNameTaken(%q) before the account exists = true", a.UserName)
	}
	write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) })
	if !taken(a.UserName) {
		t.Errorf("UserNameTaken(%q) = false, want true", a.UserName)
	}
	if taken(a.UserName + "x") {
		t.Errorf("UserNameTaken(%q) = true, want false", a.UserName+"x")
	}
}

func testEmailTaken(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "sam@example.com")

	// Same key, different spelling: the key is what must be unique.
	dup := newAccount(t0, "Sam@Example.com")
	err := s.Write(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, dup) })
	if !errors.Is(err, accountd.ErrEmailTaken) {
		t.Fatalf("CreateAccount with a live account's email: got %v, want ErrEmailTaken", err)
	}
	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, dup.ID)
		wantNotFound(t, "AccountByID of the refused account", err)
		return nil
	})
	// The email is what the caller hears about even when other unique
	// fields clash as well.
	dup.UserName, dup.ReferralCode = a.UserName, a.ReferralCode
	err = s.Write(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, dup) })
	if !errors.Is(err, accountd.ErrEmailTaken) {
		t.Fatalf("CreateAccount clashing on email, user name and referral code: got %v, want ErrEmailTaken", err)
	}

	b := createAccount(t, s, t0, "kim@example.com")
	changed := *b
	changed.Email, changed.EmailKey = a.Email, a.EmailKey
	err = s.Write(ctx, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, &changed) })
	if !errors.Is(err, accountd.ErrEmailTaken) {
		t.Fatalf("UpdateAccount to a live account's email: got %v, want ErrEmailTaken", err)
	}
	read(t, s, func(tx accountd.Tx) error {
		got, err := tx.AccountByID(ctx, b.ID)
		if err != nil {
			return err
		}
		wantAccount(t, "account after the refused update", got, b)
		return nil
	})
}

func testUpdateAccount(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	referrer := createAccount(t, s, t0, "grace@example.com")

	// Every stored field changes; the achievements are not UpdateAccount's
	// to write, so a change to them must not stick.
	want := fullAccount(t0, referrer.ID)
	want.ID, want.CreatedAt = a.ID, a.CreatedAt
	want.Achievements = a.Achievements
	changed := *want
	changed.Achievements = fullAccount(t0, "").Achievements
	write(t, s, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, &changed) })

	read(t, s, func(tx accountd.Tx) error {
		got, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		wantAccount(t, "AccountByID after UpdateAccount", got, want)
		if _, err := tx.AccountByEmail(ctx, want.EmailKey); err != nil {
			t.Errorf("AccountByEmail with the new email: %v", err)
		}
		_, err = tx.AccountByEmail(ctx, a.EmailKey)
		wantNotFound(t, "AccountByEmail with the old email", err)
		return nil
	})

	// Unset times and a removed referrer must be written back as unset.
	cleared := *want
	cleared.EmailVerifiedAt, cleared.LoggedInAt, cleared.ReferredBy = nil, nil, ""
	write(t, s, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, &cleared) })
	read(t, s, func(tx accountd.Tx) error {
		got, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		wantAccount(t, "AccountByID after clearing", got, &cleared)
		return nil
	})
}

func testAddAchievementValue(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	write(t, s, func(tx accountd.Tx) error {
		return tx.AddAchievementValue(ctx, a.ID, accountd.AchievementReferral, 1, t1)
	})
	write(t, s, func(tx accountd.Tx) error {
		return tx.AddAchievementValue(ctx, a.ID, accountd.AchievementReferral, 2, t2)
	})

	want := slices.Clone(a.Achievements)
	for i := range want {
		if want[i].Type == accountd.AchievementReferral {
			want[i].Value, want[i].UpdatedAt = 3, t2
		}
	}
	read(t, s, func(tx accountd.Tx) error {
		got, err := tx.AccountByID(ctx, a.ID)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(got.Achievements, want) {
			t.Errorf("achievements:\n got %+v\nwant %+v", got.Achievements, want)
		}
		return nil
	})
}

func testWriteRollsBack(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := newAccount(t0, "ada@example.com")
	_, hash := accountd.NewToken()
	err := s.Write(ctx, func(tx accountd.Tx) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			return err
		}
		sess := &accountd.Session{ID: accountd.NewID(t0), AccountID: a.ID, TokenHash: hash,
			CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		code, _ := accountd.NewCode(t0, a.ID, accountd.PurposeVerifyEmail)
		if err := tx.PutCode(ctx, code); err != nil {
			return err
		}
		if err := tx.EnqueueMail(ctx, accountd.NewMail(t0, a.Email, "Welcome", "Hello")); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("Write: got %v, want fn's own error", err)
	}

	// A store error inside fn rolls back what fn did before it, too.
	b := newAccount(t0, "kim@example.com")
	dup := newAccount(t0, "kim@example.com")
	err = s.Write(ctx, func(tx accountd.Tx) error {
		if err := tx.CreateAccount(ctx, b); err != nil {
			return err
		}
		return tx.CreateAccount(ctx, dup)
	})
	if !errors.Is(err, accountd.ErrEmailTaken) {
		t.Fatalf("Write creating a duplicate: got %v, want ErrEmailTaken", err)
	}

	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, a.ID)
		wantNotFound(t, "AccountByID after rollback", err)
		_, err = tx.SessionByTokenHash(ctx, hash)
		wantNotFound(t, "SessionByTokenHash after rollback", err)
		_, err = tx.CodeFor(ctx, a.ID, accountd.PurposeVerifyEmail)
		wantNotFound(t, "CodeFor after rollback", err)
		_, err = tx.AccountByID(ctx, b.ID)
		wantNotFound(t, "AccountByID of an account created before the failure", err)
		return nil
	})
	mails, err := s.ClaimMail(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 0 {
		t.Errorf("ClaimMail after rollback: got %d mails, want none", len(mails))
	}
}

func testReadSeesCommitted(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, a.ID)
		return err
	})
	if err := s.Read(ctx, func(accountd.Tx) error { return errBoom }); err != errBoom {
		t.Errorf("Read: got %v, want fn's own error", err)
	}
}

// testUserNameClash: an update that gives an account another's user name
// fails with ErrUserNameTaken, as two accounts racing for one name do at
// the unique index, and changes nothing.
func testUserNameClash(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	ada := createAccount(t, s, t0, "ada@example.com")
	grace := createAccount(t, s, t0.Add(time.Second), "grace@example.com")
	clash := *grace
	clash.UserName = ada.UserName
	err := s.Write(ctx, func(tx accountd.Tx) error { return tx.UpdateAccount(ctx, &clash) })
	if !errors.Is(err, accountd.ErrUserNameTaken) {
		t.Fatalf("UpdateAccount to another's user name: %v, want ErrUserNameTaken", err)
	}
	read(t, s, func(tx accountd.Tx) error {
		got, err := tx.AccountByID(ctx, grace.ID)
		if err == nil && got.UserName != grace.UserName {
			t.Errorf("the refused update left user name %q, want %q", got.UserName, grace.UserName)
		}
		return err
	})
}
