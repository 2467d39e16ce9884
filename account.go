package accountd

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Account is a person's account: identity, credentials and profile.
type Account struct {
	ID                string
	Email             string // as the user typed it, domain lower-cased
	EmailKey          string // the form uniqueness and look-up use: all lower case
	EmailVerified     bool
	EmailVerifiedAt   *time.Time
	PasswordHash      string // argon2id in PHC form; never leaves the service
	FirstName         string
	LastName          string
	Role              string
	Type              string
	UserName          string
	IsUserNameUpdated bool
	ReferralCode      string
	ReferredBy        string // id of the account whose referral code was used, if any
	OwnerID           string // id of the admin or partner who opened the account, if one did
	Profile           Profile
	Socials           Socials
	IsPrivate         bool
	WalletGenerated   bool
	Web3Onboard       bool
	IsVerified        bool
	KYC               bool
	KYCStatus         string
	AccountType       string
	Score             int
	TwoFA             TwoFA
	LoggedInAt        *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Achievements      []Achievement
	Tags              []Tag // the documents of Profile.Talent.Tags, same order
	// The Media keys of the account's pictures, "" when it has none.
	ProfileImage    string
	BackgroundImage string
}

// Clone returns a deep copy of a, sharing nothing that either copy could
// change.
func (a *Account) Clone() *Account {
	c := *a
	c.EmailVerifiedAt = clonePtr(a.EmailVerifiedAt)
	c.LoggedInAt = clonePtr(a.LoggedInAt)
	c.Profile.Talent.Tags = append([]string(nil), a.Profile.Talent.Tags...)
	if a.Profile.Talent.Tags != nil && c.Profile.Talent.Tags == nil {
		c.Profile.Talent.Tags = []string{}
	}
	c.Achievements = append([]Achievement(nil), a.Achievements...)
	c.TwoFA.PendingSecret = clone(a.TwoFA.PendingSecret)
	c.TwoFA.Secret = clone(a.TwoFA.Secret)
	c.TwoFA.RecoveryCodes = make([][]byte, len(a.TwoFA.RecoveryCodes))
	for i, h := range a.TwoFA.RecoveryCodes {
		c.TwoFA.RecoveryCodes[i] = clone(h)
	}
	c.Tags = make([]Tag, len(a.Tags))
	for i, t := range a.Tags {
		t.Categories = append([]string{}, t.Categories...)
		c.Tags[i] = t
	}
	return &c
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Profile is the professional profile of an account.
type Profile struct {
	Contact Contact
	Bio     Bio
	Talent  Talent
}

type Contact struct {
	Country, State, City, Address, Phone string
}

type Bio struct {
	Title, Description string
}

type Talent struct {
	About        string
	Availability string
	Tags         []string
}

type Socials struct {
	GitHub, Twitter, LinkedIn, Website string
}

// TwoFA is the account's second-factor state. Type is "undefined" while no
// method is active, as docs/api.md shows it. The rest never leaves the
// service.
type TwoFA struct {
	Type             string
	Status           bool
	SecurityQuestion string

	Pending         string   // a method initiated and not yet activated
	PendingSecret   []byte   // sealed TOTP secret of a pending google_auth
	PendingAttempts int      // wrong codes against the pending google_auth
	Secret          []byte   // sealed TOTP secret of the active google_auth
	LastStep        int64    // the last TOTP time step accepted, never again
	RecoveryCodes   [][]byte // hashes of the unused recovery codes
}

// Achievement is a progress counter shown on the profile. Total and Value are
// numbers kept as integers here; the API's JSON shows them as strings.
type Achievement struct {
	ID        string
	Owner     string
	Type      string
	Total     int
	Value     int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const (
	RoleUser    = "user"
	RolePartner = "partner"
	RoleAdmin   = "admin"

	AvailabilityAvailable = "available"
	TwoFANone             = "undefined"
	AchievementReferral   = "referral"
)

// defaultAchievements are what every new account starts with, in the order
// docs/api.md shows.
var defaultAchievements = []struct {
	Type  string
	Total int
}{
	{"five-star", 20},
	{AchievementReferral, 10},
	{"review", 60},
	{"squad", 10},
}

// NewAccount returns an account with the defaults a registration creates.
// The caller fills in the credentials and the unique codes.
func NewAccount(now time.Time, email, firstName, lastName string) *Account {
	now = now.UTC().Truncate(time.Millisecond)
	a := &Account{
		ID:          NewID(now),
		Email:       email,
		EmailKey:    strings.ToLower(email),
		FirstName:   firstName,
		LastName:    lastName,
		Role:        RoleUser,
		Type:        "recipient",
		KYCStatus:   "pending",
		AccountType: "email",
		TwoFA:       TwoFA{Type: TwoFANone, SecurityQuestion: TwoFANone},
		Profile:     Profile{Talent: Talent{Availability: AvailabilityAvailable, Tags: []string{}}},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	for i, d := range defaultAchievements {
		// Spread the creation times by a millisecond so the documents keep
		// a stable, distinct order, as docs/api.md's do.
		at := now.Add(time.Duration(i) * time.Millisecond)
		a.Achievements = append(a.Achievements, Achievement{
			ID: NewID(at), Owner: a.ID, Type: d.Type, Total: d.Total, CreatedAt: at, UpdatedAt: at,
		})
	}
	return a
}

// ErasedAccount is what stays of the account id once it is deleted at at:
// its id and the time of deletion, every other field empty. The fields that
// are looked up or unique get a placeholder made from the id instead, unique
// to the row, so that the old values are free again and no look-up matches:
// every live email key has an @, and no generated user name or referral code
// a colon.
func ErasedAccount(id string, at time.Time) *Account {
	placeholder := "deleted:" + id
	return &Account{ID: id, EmailKey: placeholder, UserName: placeholder, ReferralCode: placeholder,
		CreatedAt: at, UpdatedAt: at}
}

// UserNameBase is the "first-last" stem of a generated user name: lower case,
// accents folded, anything but letters and digits turned into single dashes.
func UserNameBase(firstName, lastName string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(firstName + " " + lastName)) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		case unicode.Is(unicode.Mn, r): // a combining accent folded off its letter
		default:
			dash = true
		}
	}
	base := b.String()
	if len(base) > 40 {
		base = strings.TrimRight(base[:40], "-")
	}
	if base == "" {
		base = "user"
	}
	return base
}

// NewUserName returns base plus a dash and four random [a-z0-9] characters.
func NewUserName(base string) string {
	return base + "-" + randomString(4, lowerAlnum)
}

// NewReferralCode returns a four-character code of letters and digits.
func NewReferralCode() string {
	return randomString(4, mixedAlnum)
}

// Completeness is the share of the profile that is filled in, 0 to 100: ten
// parts of ten points each, the tenth a profile image, so that docs/api.md's
// Alice, who has none, scores 90.
func (a *Account) Completeness() int {
	p, s := a.Profile, a.Socials
	parts := []bool{
		p.Contact.Country != "" && p.Contact.State != "" && p.Contact.City != "",
		p.Contact.Address != "",
		p.Contact.Phone != "",
		p.Bio.Title != "",
		p.Bio.Description != "",
		p.Talent.About != "",
		len(p.Talent.Tags) > 0,
		s.GitHub != "" || s.Twitter != "" || s.LinkedIn != "",
		s.Website != "",
		a.ProfileImage != "",
	}
	score := 0
	for _, ok := range parts {
		if ok {
			score += 10
		}
	}
	return score
}
