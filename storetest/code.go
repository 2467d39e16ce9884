package storetest

import (
	"reflect"
	"testing"
	"time"

	"accountd"
)

func testCodes(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	codeFor := func(purpose accountd.Purpose) (*accountd.Code, error) {
		var c *accountd.Code
		err := s.Read(ctx, func(tx accountd.Tx) (err error) {
			c, err = tx.CodeFor(ctx, a.ID, purpose)
			return err
		})
		return c, err
	}
	wantCode := func(what string, want *accountd.Code) {
		t.Helper()
		got, err := codeFor(want.Purpose)
		if err != nil {
			t.Fatalf("%s: CodeFor: %v", what, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: CodeFor:\n got %+v\nwant %+v", what, got, want)
		}
	}
	put := func(c *accountd.Code) {
		t.Helper()
		write(t, s, func(tx accountd.Tx) error { return tx.PutCode(ctx, c) })
	}

	_, err := codeFor(accountd.PurposeVerifyEmail)
	wantNotFound(t, "CodeFor before any code", err)

	first, plain := accountd.NewCode(t0, a.ID, accountd.PurposeVerifyEmail)
	put(first)
	wantCode("first code", first)
	if got, _ := codeFor(accountd.PurposeVerifyEmail); got == nil || !got.Matches(plain) {
		t.Error("the stored code does not match its plain digits")
	}

	second, _ := accountd.NewCode(t0.Add(time.Minute), a.ID, accountd.PurposeVerifyEmail)
	put(second)
	wantCode("replacing code", second)
	reset, _ := accountd.NewCode(t0, a.ID, accountd.PurposeResetPassword)
	put(reset)
	wantCode("code of another purpose", reset)
	wantCode("code beside one of another purpose", second)

	for range 2 {
		write(t, s, func(tx accountd.Tx) error { return tx.CountCodeAttempt(ctx, second.ID) })
	}
	counted := *second
	counted.Attempts = 2
	wantCode("after two wrong guesses", &counted)
	wantNotFound(t, "CountCodeAttempt of the replaced code", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.CountCodeAttempt(ctx, first.ID)
	}))

	write(t, s, func(tx accountd.Tx) error { return tx.DeleteCode(ctx, second.ID) })
	_, err = codeFor(accountd.PurposeVerifyEmail)
	wantNotFound(t, "CodeFor after DeleteCode", err)
	wantCode("code of another purpose after DeleteCode", reset)
	wantNotFound(t, "DeleteCode of a deleted code", s.Write(ctx, func(tx accountd.Tx) error {
		return tx.DeleteCode(ctx, second.ID)
	}))
}
