package storetest

import (
	"errors"
	"testing"
	"time"

	"accountd"
)

func testDeleteAccount(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	gone := fullAccount(t0, "")
	kept := createAccount(t, s, t0, "grace@example.com")
	write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, gone) })
	setTags(t, s, gone.ID, t0, "go", "web3")
	setTags(t, s, kept.ID, t0, "go")
	var sessions []*accountd.Session
	for _, a := range []*accountd.Account{gone, kept} {
		sess := newSession(a.ID, t0, time.Hour)
		code, _ := accountd.NewCode(t0, a.ID, accountd.PurposeVerifyEmail)
		write(t, s, func(tx accountd.Tx) error {
			return errors.Join(tx.CreateSession(ctx, sess), tx.PutCode(ctx, code),
				tx.EnqueueMail(ctx, accountd.NewMail(t0, a.Email, "Verify your email", "123456")))
		})
		sessions = append(sessions, sess)
	}
	keptBefore := accountByID(t, s, kept.ID)

	at := t0.Add(time.Hour)
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, gone.ID, at) })

	read(t, s, func(tx accountd.Tx) error {
		_, err := tx.AccountByID(ctx, gone.ID)
		wantNotFound(t, "AccountByID", err)
		_, err = tx.AccountByEmail(ctx, gone.EmailKey)
		wantNotFound(t, "AccountByEmail", err)
		_, err = tx.AccountByReferralCode(ctx, gone.ReferralCode)
		wantNotFound(t, "AccountByReferralCode", err)
		_, err = tx.SessionByTokenHash(ctx, sessions[0].TokenHash)
		wantNotFound(t, "SessionByTokenHash", err)
		_, err = tx.CodeFor(ctx, gone.ID, accountd.PurposeVerifyEmail)
		wantNotFound(t, "CodeFor", err)
		if taken, err := tx.UserNameTaken(ctx, gone.UserName); err != nil || taken {
			t.Errorf("UserNameTaken of the deleted account's user name = %v, %v; want false", taken, err)
		}
		return nil
	})
	_, _, err := s.SessionAccount(ctx, sessions[0].TokenHash)
	wantNotFound(t, "SessionAccount", err)
	wantNotFound(t, "DeleteAccount again", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.DeleteAccount(ctx, gone.ID, at)
	}))
	wantNotFound(t, "SetTags of the deleted account", s.Write(ctx, func(tx accountd.Tx) error {
		return errOnly(tx.SetTags(ctx, gone.ID, newTags(at, "go"), at))
	}))

	// The other account is as it was, but for go's count.
	keptAfter := accountByID(t, s, kept.ID)
	keptBefore.Tags[0].EntryCount, keptBefore.Tags[0].UpdatedAt = 1, at
	wantAccount(t, "the other account", keptAfter, keptBefore)
	read(t, s, func(tx accountd.Tx) error {
		if _, err := tx.SessionByTokenHash(ctx, sessions[1].TokenHash); err != nil {
			t.Errorf("the other account's session: %v", err)
		}
		if _, err := tx.CodeFor(ctx, kept.ID, accountd.PurposeVerifyEmail); err != nil {
			t.Errorf("the other account's code: %v", err)
		}
		return nil
	})
	mails, err := s.ClaimMail(ctx, at, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) != 1 || mails[0].To != kept.Email {
		t.Errorf("unsent mail after DeleteAccount: %+v; want only the other account's", mails)
	}

	// The email, user name and referral code are free again; web3's count
	// went down to 0, so it now counts the new account alone.
	again := newAccount(at, gone.Email)
	again.UserName, again.ReferralCode = gone.UserName, gone.ReferralCode
	write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, again) })
	setTags(t, s, again.ID, at, "web3")
	read(t, s, func(tx accountd.Tx) error {
		if got, err := tx.AccountByEmail(ctx, gone.EmailKey); err != nil || got.ID != again.ID {
			t.Errorf("AccountByEmail of the reused email: %v, %v; want the new account", got, err)
		}
		if got, err := tx.AccountByReferralCode(ctx, gone.ReferralCode); err != nil || got.ID != again.ID {
			t.Errorf("AccountByReferralCode of the reused code: %v, %v; want the new account", got, err)
		}
		return nil
	})
	wantTags(t, s, again.ID, []string{"web3"}, []int{1})

	// Two deleted accounts must not clash on what replaced their values.
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, again.ID, at) })
}
