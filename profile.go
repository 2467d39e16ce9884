package accountd

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// ProfilePatch is a partial update of an account's profile. A nil field is
// left as it is; a non-nil one replaces the stored value, and a pointer to
// the zero value (a null in the request) clears it.
type ProfilePatch struct {
	FirstName, LastName                  *string
	UserName                             *string
	Country, State, City, Address, Phone *string
	Title, Description                   *string
	About, Availability                  *string
	Tags                                 *[]string
	GitHub, Twitter, LinkedIn, Website   *string
	IsPrivate                            *bool
}

// ProfileChange is a ProfilePatch that Normalize found valid, in the form it
// is stored in: the only thing UpdateProfile applies. Checking is a step of
// its own so that a transport can answer what it refused in reading a
// request together with what the patch gets wrong, and apply nothing.
type ProfileChange struct {
	patch ProfilePatch
}

// Availabilities are the values a profile's availability takes.
var Availabilities = []string{"available", "limited", "unavailable"}

// Normalize checks every field of p, reporting all that are wrong at once,
// and returns the change p asks for in its stored form: text trimmed, the
// phone as + and digits, tags trimmed and without repeats. Its errors name
// a field as ProfilePatch does, "Phone" or "Tags[3]" for an item: where a
// field sits in a request is the transport's to say.
func (p ProfilePatch) Normalize() (ProfileChange, error) {
	var v Validation
	text := func(f **string, field string, max int, required bool, kind textKind) {
		if *f != nil {
			s := cleanText(&v, field, **f, max, required, kind)
			*f = &s
		}
	}
	text(&p.FirstName, "FirstName", 100, true, nameText)
	text(&p.LastName, "LastName", 100, false, nameText)
	text(&p.Country, "Country", 100, false, lineText)
	text(&p.State, "State", 100, false, lineText)
	text(&p.City, "City", 100, false, lineText)
	text(&p.Address, "Address", 300, false, lineText)
	text(&p.Title, "Title", 120, false, nameText)
	text(&p.Description, "Description", 500, false, proseText)
	text(&p.About, "About", 5000, false, proseText)
	if p.UserName != nil {
		name := normalizeUserName(&v, "UserName", *p.UserName)
		p.UserName = &name
	}
	if p.Phone != nil {
		phone := normalizePhone(&v, "Phone", *p.Phone)
		p.Phone = &phone
	}
	if p.Availability != nil {
		a := strings.TrimSpace(*p.Availability)
		if a == "" {
			a = AvailabilityAvailable // cleared: back to the default
		} else if !slices.Contains(Availabilities, a) {
			v.Add("Availability", "must be one of available, limited or unavailable")
		}
		p.Availability = &a
	}
	if p.Tags != nil {
		tags := normalizeTags(&v, "Tags", *p.Tags)
		p.Tags = &tags
	}
	link := func(f **string, field, what string, hosts ...string) {
		if *f != nil {
			s := normalizeLink(&v, field, **f, what, hosts...)
			*f = &s
		}
	}
	link(&p.GitHub, "GitHub", "a GitHub link such as https://github.com/you", "github.com")
	link(&p.Twitter, "Twitter", "a Twitter or X link such as https://x.com/you", "twitter.com", "x.com")
	link(&p.LinkedIn, "LinkedIn", "a LinkedIn link such as https://linkedin.com/in/you", "linkedin.com")
	link(&p.Website, "Website", "an http or https link")
	if err := v.Err(); err != nil {
		return ProfileChange{}, err
	}
	return ProfileChange{patch: p}, nil
}

// normalizePhone checks s against the international format of docs/api.md:
// a +, a country calling code that exists, then digits, 8 to 15 in all
// (E.164's length), with spaces, dots, dashes and parentheses allowed and
// dropped. Whether the number is assigned is not asked: the API's own
// example, +4412345678987, is valid there and is no UK number.
func normalizePhone(v *Validation, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	rest, ok := strings.CutPrefix(s, "+")
	if !ok {
		v.Add(field, "must be in international format: + and the country code, such as +4412345678987")
		return s
	}
	digits := make([]byte, 0, len(rest))
	for _, r := range rest {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case !strings.ContainsRune(" .-()", r):
			v.Add(field, "must hold only digits after the +, with spaces, dots, dashes or parentheses between them")
			return s
		}
	}
	switch {
	case len(digits) < 8 || len(digits) > 15:
		v.Add(field, "must have 8 to 15 digits, the country code included")
	case !startsWithCallingCode(digits):
		v.Add(field, "must start with a country calling code that exists, such as 44 or 1")
	default:
		return "+" + string(digits)
	}
	return s
}

// startsWithCallingCode reports whether digits start with a country calling
// code. Calling codes are one to three digits and none is the start of
// another, so at most one prefix can match; none starts with 0.
func startsWithCallingCode(digits []byte) bool {
	if digits[0] == '0' {
		return false
	}
	codes := phonenumbers.GetSupportedCallingCodes()
	for n := 1; n <= 3; n++ {
		code, _ := strconv.Atoi(string(digits[:n]))
		if codes[code] {
			return true
		}
	}
	return false
}

func normalizeTags(v *Validation, field string, names []string) []string {
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for i, name := range names {
		name = strings.Join(strings.Fields(name), " ")
		at := func() string { return field + "[" + strconv.Itoa(i) + "]" } // only for a tag that is wrong
		switch problem := textProblem(name, lineText); {
		case problem != "":
			v.Add(at(), "%s", problem)
		case name == "":
			v.Add(at(), "must not be empty")
		case utf8.RuneCountInString(name) > MaxTagLength:
			v.Add(at(), "must be at most %d characters", MaxTagLength)
		default:
			if key := TagKey(name); !seen[key] {
				seen[key] = true
				out = append(out, name)
			}
		}
	}
	if len(out) > MaxTags {
		v.Add(field, "must hold at most %d tags", MaxTags)
	}
	return out
}

// normalizeLink checks that s is an http(s) URL, on one of hosts or their
// subdomains when hosts are given.
func normalizeLink(v *Validation, field, s, what string, hosts ...string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	ok := err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil && len(s) <= 500
	if ok && len(hosts) > 0 {
		host := strings.ToLower(u.Hostname())
		ok = slices.ContainsFunc(hosts, func(h string) bool { return host == h || strings.HasSuffix(host, "."+h) })
	}
	if !ok {
		v.Add(field, "must be %s", what)
	}
	return s
}

// apply sets the fields c carries on a and reports whether anything changed.
func (c ProfileChange) apply(a *Account) (changed, tagsChanged bool) {
	p := &c.patch
	before := editable(a)
	setIf(&a.FirstName, p.FirstName)
	setIf(&a.LastName, p.LastName)
	if p.UserName != nil && *p.UserName != a.UserName {
		a.UserName, a.IsUserNameUpdated = *p.UserName, true
	}
	co, b, t, so := &a.Profile.Contact, &a.Profile.Bio, &a.Profile.Talent, &a.Socials
	setIf(&co.Country, p.Country)
	setIf(&co.State, p.State)
	setIf(&co.City, p.City)
	setIf(&co.Address, p.Address)
	setIf(&co.Phone, p.Phone)
	setIf(&b.Title, p.Title)
	setIf(&b.Description, p.Description)
	setIf(&t.About, p.About)
	setIf(&t.Availability, p.Availability)
	setIf(&so.GitHub, p.GitHub)
	setIf(&so.Twitter, p.Twitter)
	setIf(&so.LinkedIn, p.LinkedIn)
	setIf(&so.Website, p.Website)
	setIf(&a.IsPrivate, p.IsPrivate)
	if p.Tags != nil && !slices.Equal(*p.Tags, t.Tags) {
		t.Tags = slices.Clone(*p.Tags)
		tagsChanged = true
	}
	return tagsChanged || editable(a) != before, tagsChanged
}

// editableFields are the fields a ProfileChange can change but the tags, in
// a comparable form.
type editableFields struct {
	first, last string
	userName    string
	contact     Contact
	bio         Bio
	about, av   string
	socials     Socials
	private     bool
}

func editable(a *Account) editableFields {
	return editableFields{a.FirstName, a.LastName, a.UserName, a.Profile.Contact, a.Profile.Bio,
		a.Profile.Talent.About, a.Profile.Talent.Availability, a.Socials, a.IsPrivate}
}

// UpdateProfile applies the change to the account, as current shows it, and
// returns the account as stored. A change that changes nothing writes
// nothing.
func (s *Service) UpdateProfile(ctx context.Context, current *Account, change ProfileChange) (*Account, error) {
	// A patch that changes nothing is common (clients resend whole forms)
	// and needs no write, so it does not wait for the single writer. A
	// shallow copy is enough to try it on: apply assigns fields and
	// replaces the tag list, and changes nothing current shares.
	try := *current
	if changed, _ := change.apply(&try); !changed {
		return current, nil
	}
	now := s.now()
	var out *Account
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, current.ID)
		if err != nil {
			return err
		}
		name := a.UserName
		changed, tagsChanged := change.apply(a)
		if !changed {
			out = a
			return nil
		}
		if a.UserName != name {
			// Two accounts racing for one name meet at the store's unique
			// index, which the store reports as ErrUserNameTaken too.
			taken, err := tx.UserNameTaken(ctx, a.UserName)
			if err != nil {
				return err
			}
			if taken {
				return ErrUserNameTaken
			}
		}
		if tagsChanged {
			tags := make([]Tag, len(a.Profile.Talent.Tags))
			for i, name := range a.Profile.Talent.Tags {
				tags[i] = NewTag(now, name)
			}
			if a.Tags, err = tx.SetTags(ctx, a.ID, tags, now); err != nil {
				return err
			}
		}
		a.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}

var errAccountNotFound = Errorf(KindNotFound, "account_not_found", "No account has this id")

// PublicAccount returns the account with id, or with that user name, as
// viewer may see it: a private account is visible to its owner and admins
// only, and to everyone else does not exist.
func (s *Service) PublicAccount(ctx context.Context, viewer *Account, id string) (*Account, error) {
	var a *Account
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		if ValidID(id) {
			a, err = tx.AccountByID(ctx, id)
		} else {
			// User names are stored lower-cased: any case finds one.
			a, err = tx.AccountByUserName(ctx, strings.ToLower(id))
		}
		return err
	})
	if errors.Is(err, ErrNotFound) || (err == nil && a.IsPrivate && a.ID != viewer.ID && viewer.Role != RoleAdmin) {
		return nil, errAccountNotFound
	}
	return a, err
}

// DeleteAccount erases the caller's account after checking its password.
func (s *Service) DeleteAccount(ctx context.Context, sess *Session, password string) error {
	if password == "" {
		return fieldError("password", "is required")
	}
	// Per session, as for a password change: a stolen token must not be a
	// way to guess the password behind it.
	if err := s.limit(ctx, "password_check", "session", sess.ID, s.cfg.AccountLimit); err != nil {
		return err
	}
	a, err := s.Account(ctx, sess.AccountID)
	if err != nil {
		return err
	}
	if err := s.checkPassword(ctx, a, "password", password); err != nil {
		return err
	}
	now := s.now()
	return s.store.Write(ctx, func(tx Tx) error { return tx.DeleteAccount(ctx, a.ID, now) })
}
