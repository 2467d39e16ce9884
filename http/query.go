package http

import (
	"net/url"
	"strconv"

	"accountd"
)

// queryParams reads typed values from a request's query string and records
// on problems each parameter whose value is not of its type. An absent or
// empty parameter leaves the value as it was: the domain's default. Whether
// a value that reads is a good one is the domain's to say.
type queryParams struct {
	values   url.Values
	problems *accountd.Validation
}

// int reads the whole number name into *n. A value that is not one is
// refused with the numbers r holds, as the domain refuses one outside r.
func (p queryParams) int(n *int, name string, r accountd.Range) {
	s := p.values.Get(name)
	if s == "" {
		return
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		r.Refuse(p.problems, name)
		return
	}
	*n = i
}

// bool reads name, true or false, into *b.
func (p queryParams) bool(b *bool, name string) {
	switch p.values.Get(name) {
	case "":
	case "false":
		*b = false
	case "true":
		*b = true
	default:
		p.problems.Add(name, "must be true or false")
	}
}

// refusal is nil when every parameter read, and otherwise the answer that
// names each bad one: those that did not read, then those that break the
// domain's rules, which validate reports.
func (p queryParams) refusal(validate func(*accountd.Validation) error) error {
	if p.problems.Err() == nil {
		return nil
	}
	return validate(p.problems)
}
