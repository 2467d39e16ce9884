package accountd

import (
	_ "embed"
	"strings"
)

//go:embed reserved-usernames.txt
var reservedUserNamesText string

// reservedUserNames are the names of reserved-usernames.txt.
var reservedUserNames = func() map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(reservedUserNamesText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			names[line] = true
		}
	}
	return names
}()

// ErrUserNameTaken is a chosen user name that another account has.
var ErrUserNameTaken = &Error{Kind: KindConflict, Code: "username_taken", Message: "Another account has this user name",
	Fields: []FieldError{{Field: "UserName", Message: "is taken by another account"}}}

// normalizeUserName checks a user name a person chooses, as docs/api.md §4
// says, and returns it lower-cased, the form it is stored and matched in,
// so that names differing only in case are one name.
func normalizeUserName(v *Validation, field, s string) string {
	name := strings.ToLower(strings.TrimSpace(s))
	valid := len(name) >= 3 && len(name) <= 30 && name[0] >= 'a' && name[0] <= 'z' && name[len(name)-1] != '-'
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			valid = false
		}
	}
	switch {
	case !valid:
		v.Add(field, "must be 3 to 30 letters a-z, digits and dashes, starting with a letter and not ending with a dash")
	case reservedUserNames[name] || ValidID(name):
		// A name of 24 hex characters would read as an account's id.
		v.Add(field, "is reserved; choose another")
	}
	return name
}
