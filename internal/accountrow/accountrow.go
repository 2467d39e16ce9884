// Package accountrow describes, once for every store, the columns of the
// accounts table that hold an account and the field each holds. A store
// builds its column lists, statements, arguments and scan destinations from
// Columns, and converts what its SQL keeps otherwise: times, the recovery
// codes' hashes, and "" of nullable text as NULL.
package accountrow

import (
	"fmt"
	"slices"
	"strings"

	"accountd"
)

// Column is one column of the accounts table.
type Column struct {
	Name string
	// Field points into an account at what the column holds, to scan into
	// and to write from: a *string, *bool, *int, *int64, *[]byte,
	// *time.Time, **time.Time (nil is NULL) or *[][]byte (the recovery
	// codes' hashes).
	Field func(*accountd.Account) any
	// Nullable text holds "" as NULL, which reads back as "": a reference
	// to another account, which the foreign key wants NULL when there is
	// none, or to a picture.
	Nullable bool
}

// account shortens the lines of Columns.
type account = accountd.Account

// Columns are the accounts columns that hold an account, id first: the
// one column an update does not write, so it comes first in its arguments
// too. deleted_at is not among them: every look-up skips deleted rows, and
// only deleting an account sets it.
var Columns = []Column{
	{Name: "id", Field: func(a *account) any { return &a.ID }},
	{Name: "email", Field: func(a *account) any { return &a.Email }},
	{Name: "email_key", Field: func(a *account) any { return &a.EmailKey }},
	{Name: "email_verified", Field: func(a *account) any { return &a.EmailVerified }},
	{Name: "email_verified_at", Field: func(a *account) any { return &a.EmailVerifiedAt }},
	{Name: "password_hash", Field: func(a *account) any { return &a.PasswordHash }},
	{Name: "first_name", Field: func(a *account) any { return &a.FirstName }},
	{Name: "last_name", Field: func(a *account) any { return &a.LastName }},
	{Name: "role", Field: func(a *account) any { return &a.Role }},
	{Name: "type", Field: func(a *account) any { return &a.Type }},
	{Name: "user_name", Field: func(a *account) any { return &a.UserName }},
	{Name: "is_user_name_updated", Field: func(a *account) any { return &a.IsUserNameUpdated }},
	{Name: "referral_code", Field: func(a *account) any { return &a.ReferralCode }},
	{Name: "referred_by", Field: func(a *account) any { return &a.ReferredBy }, Nullable: true},
	{Name: "contact_country", Field: func(a *account) any { return &a.Profile.Contact.Country }},
	{Name: "contact_state", Field: func(a *account) any { return &a.Profile.Contact.State }},
	{Name: "contact_city", Field: func(a *account) any { return &a.Profile.Contact.City }},
	{Name: "contact_address", Field: func(a *account) any { return &a.Profile.Contact.Address }},
	{Name: "contact_phone", Field: func(a *account) any { return &a.Profile.Contact.Phone }},
	{Name: "bio_title", Field: func(a *account) any { return &a.Profile.Bio.Title }},
	{Name: "bio_description", Field: func(a *account) any { return &a.Profile.Bio.Description }},
	{Name: "talent_about", Field: func(a *account) any { return &a.Profile.Talent.About }},
	{Name: "talent_availability", Field: func(a *account) any { return &a.Profile.Talent.Availability }},
	{Name: "social_github", Field: func(a *account) any { return &a.Socials.GitHub }},
	{Name: "social_twitter", Field: func(a *account) any { return &a.Socials.Twitter }},
	{Name: "social_linkedin", Field: func(a *account) any { return &a.Socials.LinkedIn }},
	{Name: "social_website", Field: func(a *account) any { return &a.Socials.Website }},
	{Name: "is_private", Field: func(a *account) any { return &a.IsPrivate }},
	{Name: "wallet_generated", Field: func(a *account) any { return &a.WalletGenerated }},
	{Name: "web3_onboard", Field: func(a *account) any { return &a.Web3Onboard }},
	{Name: "is_verified", Field: func(a *account) any { return &a.IsVerified }},
	{Name: "kyc", Field: func(a *account) any { return &a.KYC }},
	{Name: "kyc_status", Field: func(a *account) any { return &a.KYCStatus }},
	{Name: "account_type", Field: func(a *account) any { return &a.AccountType }},
	{Name: "score", Field: func(a *account) any { return &a.Score }},
	{Name: "twofa_type", Field: func(a *account) any { return &a.TwoFA.Type }},
	{Name: "twofa_status", Field: func(a *account) any { return &a.TwoFA.Status }},
	{Name: "twofa_security_question", Field: func(a *account) any { return &a.TwoFA.SecurityQuestion }},
	{Name: "logged_in_at", Field: func(a *account) any { return &a.LoggedInAt }},
	{Name: "created_at", Field: func(a *account) any { return &a.CreatedAt }},
	{Name: "updated_at", Field: func(a *account) any { return &a.UpdatedAt }},
	{Name: "twofa_pending", Field: func(a *account) any { return &a.TwoFA.Pending }},
	{Name: "twofa_pending_secret", Field: func(a *account) any { return &a.TwoFA.PendingSecret }},
	{Name: "twofa_pending_attempts", Field: func(a *account) any { return &a.TwoFA.PendingAttempts }},
	{Name: "twofa_secret", Field: func(a *account) any { return &a.TwoFA.Secret }},
	{Name: "twofa_last_step", Field: func(a *account) any { return &a.TwoFA.LastStep }},
	{Name: "twofa_recovery", Field: func(a *account) any { return &a.TwoFA.RecoveryCodes }},
	{Name: "owner_id", Field: func(a *account) any { return &a.OwnerID }, Nullable: true},
	{Name: "profile_image", Field: func(a *account) any { return &a.ProfileImage }, Nullable: true},
	{Name: "background_image", Field: func(a *account) any { return &a.BackgroundImage }, Nullable: true},
}

// Value is the value of field, what Field returned, for the types every
// store writes as they are: each store converts the times, the hashes and
// nullable text itself.
func (c *Column) Value(field any) any {
	switch f := field.(type) {
	case *string:
		return *f
	case *bool:
		return *f
	case *int:
		return *f
	case *int64:
		return *f
	case *[]byte:
		return *f
	}
	panic(fmt.Sprintf("accountrow: column %s holds a %T, which its store does not convert", c.Name, field))
}

// Names are the names of columns, in order.
func Names(columns []Column) []string {
	names := make([]string, len(columns))
	for i, c := range columns {
		names[i] = c.Name
	}
	return names
}

// List is the names of columns as a select list, each after prefix: a
// table alias and its dot, or "".
func List(prefix string, columns []Column) string {
	return prefix + strings.Join(Names(columns), ", "+prefix)
}

// Named returns the columns of the names, in their order. An unknown name
// is a bug in the binary, and panics.
func Named(names ...string) []Column {
	columns := make([]Column, len(names))
	for i, name := range names {
		j := slices.IndexFunc(Columns, func(c Column) bool { return c.Name == name })
		if j < 0 {
			panic("accountrow: no column " + name)
		}
		columns[i] = Columns[j]
	}
	return columns
}
