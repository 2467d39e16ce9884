// Package accountd holds the domain of the account service: its types, its
// rules and the use cases that tie them together. It does no I/O of its own;
// storage and mail are reached through the interfaces declared here.
package accountd

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies a failure so that each transport can map it to its own
// status codes without knowing every specific error.
type Kind int

const (
	KindInternal     Kind = iota // a bug or an unexpected failure
	KindMalformed                // the request could not be read at all
	KindInvalid                  // well-formed but breaks a rule
	KindUnauthorized             // no identity, or the wrong secret
	KindForbidden                // identity known, action not allowed
	KindNotFound                 // no such thing, or not visible to the caller
	KindConflict                 // clashes with the current state
	KindRateLimited              // too many attempts; RetryAfter says when to come back
	KindUnavailable              // a dependency (the store) cannot be reached
	KindTooLarge                 // the request's body is over its limit
)

// FieldError names one field of a request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the domain's failure: a kind, a stable machine code, a message a
// person can act on and, for validation failures, every offending field.
type Error struct {
	Kind       Kind
	Code       string
	Message    string
	Fields     []FieldError
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	return fmt.Sprintf("%s (%s: %s)", e.Message, e.Fields[0].Field, e.Fields[0].Message)
}

// Errorf returns an *Error of the given kind and code.
func Errorf(kind Kind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is what a store returns when a looked-up record does not exist.
var ErrNotFound = Errorf(KindNotFound, "not_found", "not found")

// ErrEmailTaken is returned when a live account already has the email.
var ErrEmailTaken = Errorf(KindConflict, "email_taken", "An account with this email already exists")

// Validation collects field errors so that a request hears about all of its
// mistakes at once rather than one per round trip.
type Validation struct {
	fields []FieldError
}

// Add records that field is wrong.
func (v *Validation) Add(field, format string, args ...any) {
	v.fields = append(v.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Include records the fields of err, when err is a validation failure.
func (v *Validation) Include(err error) {
	var e *Error
	if errors.As(err, &e) {
		v.fields = append(v.fields, e.Fields...)
	}
}

// Err returns nil when nothing was recorded, otherwise a KindInvalid *Error.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := "The request has invalid fields: " + v.fields[0].Field
	if len(v.fields) > 1 {
		msg = fmt.Sprintf("%s and %d more", msg, len(v.fields)-1)
	}
	return &Error{Kind: KindInvalid, Code: "validation_failed", Message: msg, Fields: v.fields}
}

// queryErr is Err for the parameters of a query (a search, a tag
// listing), which the API refuses as malformed, 400 invalid_parameter,
// rather than as invalid fields.
func (v *Validation) queryErr() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Kind: KindMalformed, Code: "invalid_parameter",
		Message: "A query parameter has a bad value: " + v.fields[0].Field, Fields: v.fields}
}

// fieldError is the validation failure of one field.
func fieldError(field, msg string) error {
	var v Validation
	v.Add(field, "%s", msg)
	return v.Err()
}

// Range is the whole numbers from Min to Max, inclusive: what a numeric
// parameter takes.
type Range struct{ Min, Max int }

// Refuse records on v that field is not a number of r.
func (r Range) Refuse(v *Validation, field string) {
	v.Add(field, "must be a whole number from %d to %d", r.Min, r.Max)
}

// check returns n when r holds it; otherwise it refuses field on v and
// returns def.
func (r Range) check(v *Validation, field string, n, def int) int {
	if n < r.Min || n > r.Max {
		r.Refuse(v, field)
		return def
	}
	return n
}
