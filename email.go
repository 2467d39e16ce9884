package accountd

import (
	"net/mail"
	"strings"
)

const maxEmailLength = 254

// NormalizeEmail trims s and lower-cases its domain, and records on v when
// the result is not a plain address.
func NormalizeEmail(v *Validation, field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.Add(field, "is required")
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	addr, err := mail.ParseAddress(s)
	if err != nil || at < 1 || addr.Address != s || len(s) > maxEmailLength || !strings.Contains(s[at:], ".") {
		v.Add(field, "must be an email address such as name@example.com")
		return ""
	}
	return s[:at] + strings.ToLower(s[at:])
}
