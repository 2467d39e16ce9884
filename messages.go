package accountd

import (
	"fmt"
	"time"
)

// codeMail returns the subject and body of the mail carrying a code.
func codeMail(purpose Purpose, name, code, publicURL string) (subject, body string) {
	minutes := int(CodeTTL[purpose] / time.Minute)
	switch purpose {
	case PurposeTwoFASetup:
		return "Your accountd two-factor setup code",
			fmt.Sprintf("Hello %s,\n\nTo turn on two-factor authentication by email, enter the code %s. It expires in %d minutes.\n\nIf you did not ask for this, change your password.\n\n%s\n", name, code, minutes, publicURL)
	case PurposeTwoFA:
		return "Your accountd sign-in code",
			fmt.Sprintf("Hello %s,\n\nYour two-factor code is %s. It expires in %d minutes.\n\nIf you did not just sign in, change your password.\n\n%s\n", name, code, minutes, publicURL)
	case PurposeResetPassword:
		return "Your accountd password reset code",
			fmt.Sprintf("Hello %s,\n\nYour password reset code is %s. It expires in %d minutes.\n\nIf you did not ask to reset your password, ignore this mail; your password stays as it is.\n\n%s\n", name, code, minutes, publicURL)
	default:
		return "Verify your accountd email address",
			fmt.Sprintf("Hello %s,\n\nYour verification code is %s. It expires in %d minutes.\n\n%s\n", name, code, minutes, publicURL)
	}
}

// passwordChangedMail tells the owner that the password changed, so that a
// change they did not make does not go unnoticed.
func passwordChangedMail(now time.Time, a *Account, publicURL string) *Mail {
	return NewMail(now, a.Email, "Your accountd password was changed",
		fmt.Sprintf("Hello %s,\n\nThe password of your account was changed at %s and your other sessions were signed out.\n\nIf this was not you, reset your password now.\n\n%s\n",
			a.FirstName, now.Format(time.RFC1123), publicURL))
}

// invitationMail tells a person that owner opened an account for them, and
// how to sign in: with the password owner gave them, or by setting one.
func invitationMail(name string, owner *Account, hasPassword bool, publicURL string) (subject, body string) {
	signIn := "To sign in, set your password: ask for a password reset code with this address and choose a password with it."
	if hasPassword {
		signIn = "Sign in with this address and the password " + owner.FirstName + " gave you, then change it."
	}
	return "An accountd account was opened for you",
		fmt.Sprintf("Hello %s,\n\n%s %s opened an account for you.\n\n%s\n\n%s\n", name, owner.FirstName, owner.LastName, signIn, publicURL)
}
