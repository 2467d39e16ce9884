package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"accountd"
)

// profileBody is the body of PATCH /v1/account/update, nested as the
// account document is: the writable fields of docs/api.md §4, and the one
// place where their paths are written. A field's json tag is its name in
// the body. A value's Go name is that of the accountd.ProfilePatch field it
// fills, which is also how the domain's errors, naming patch fields, are
// told under their paths in the body (bodyPaths).
type profileBody struct {
	FirstName optional[string] `json:"firstName"`
	LastName  optional[string] `json:"lastName"`
	Profile   struct {
		Contact struct {
			Country optional[string] `json:"country"`
			State   optional[string] `json:"state"`
			City    optional[string] `json:"city"`
			Address optional[string] `json:"address"`
			Phone   optional[string] `json:"phone"`
		} `json:"contact"`
		Bio struct {
			Title       optional[string] `json:"title"`
			Description optional[string] `json:"description"`
		} `json:"bio"`
		Talent struct {
			About        optional[string]   `json:"about"`
			Availability optional[string]   `json:"availability"`
			Tags         optional[[]string] `json:"tags"`
		} `json:"talent"`
	} `json:"profile"`
	Socials struct {
		GitHub   optional[string] `json:"github"`
		Twitter  optional[string] `json:"twitter"`
		LinkedIn optional[string] `json:"linkedin"`
		Website  optional[string] `json:"website"`
	} `json:"socials"`
	IsPrivate optional[bool] `json:"isPrivate"`
}

// notWritable is docs/api.md's answer to a field of the body that is not
// one of profileBody's; TestBodyPathsNameEveryPatchField checks that it
// names each of those.
const notWritable = "cannot be changed here: the writable fields are firstName, lastName, profile.contact.*, profile.bio.*, profile.talent.about, availability and tags, socials.* and isPrivate"

// optional is a value of the body: left out (set is false), null (the zero
// value, which clears the field) or given.
type optional[T any] struct {
	set   bool
	value T
}

// UnmarshalJSON reads a value the body gives, null included.
func (o *optional[T]) UnmarshalJSON(raw []byte) error {
	if !utf8.Valid(raw) {
		// encoding/json would quietly replace invalid UTF-8; refuse it instead.
		return errors.New("must be valid UTF-8 text")
	}
	if string(raw) == "null" {
		o.setNull()
		return nil
	}
	var value T
	if s, ok := any(&value).(*string); ok && len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// Without escapes the text is the bytes between the quotes, as
		// json.Unmarshal finds, at a fraction of its cost: it halves the
		// decode of the PATCH body, which bench's "PATCH, seed body"
		// load spends most of its time on.
		*s = string(raw[1 : len(raw)-1])
	} else if json.Unmarshal(raw, &value) != nil {
		return errors.New("must be " + o.takes())
	}
	*o = optional[T]{set: true, value: value}
	return nil
}

// setNull records a null: the zero value, but for a list the empty one,
// which is what a cleared list holds.
func (o *optional[T]) setNull() {
	*o = optional[T]{set: true}
	if list, ok := any(&o.value).(*[]string); ok {
		*list = []string{}
	}
}

// takes says what JSON the value may be.
func (o *optional[T]) takes() string {
	switch any(o.value).(type) {
	case bool:
		return "true, false or null"
	case []string:
		return "an array of strings or null"
	}
	return "a string or null"
}

// given is the value for the patch, a *T, and whether the body gives one.
func (o *optional[T]) given() (reflect.Value, bool) { return reflect.ValueOf(&o.value), o.set }

// bodyValue is a field of profileBody that holds a value, not an object.
type bodyValue interface {
	json.Unmarshaler
	setNull()
	given() (reflect.Value, bool)
}

// profileRequest is a PATCH body as read: its fields, and those of the
// body that are unknown, read-only or of the wrong JSON type.
type profileRequest struct {
	body    profileBody
	refused accountd.Validation
}

// UnmarshalJSON reads raw, the whole body, which must be an object.
func (r *profileRequest) UnmarshalJSON(raw []byte) error {
	if raw[0] != '{' {
		// Refused as encoding/json refuses a non-object for a struct, so
		// that decode answers alike; a null too, which is no patch at all.
		return &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[profileBody]()}
	}
	readObject(&r.refused, "", raw, reflect.ValueOf(&r.body).Elem())
	return nil
}

// readObject fills dst, a level of profileBody, from raw, the JSON at path
// in the body, and records in refused every field it cannot take, in the
// order of their names. An object is read as encoding/json reads one into
// a map, so that the last of a repeated name counts and names are
// unescaped as there; but a name must be a json tag exactly, where
// encoding/json would fill FirstName from "FIRSTNAME". A null clears every
// field of dst.
func readObject(refused *accountd.Validation, path string, raw json.RawMessage, dst reflect.Value) {
	if string(raw) == "null" {
		eachValue(dst, path, func(_, _ string, v bodyValue) { v.setNull() })
		return
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		refused.Add(path, "must be an object or null")
		return
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		field, known := fieldTagged(dst, name)
		if !known {
			refused.Add(join(path, name), notWritable)
			continue
		}
		if v, ok := field.Addr().Interface().(bodyValue); ok {
			if err := v.UnmarshalJSON(members[name]); err != nil {
				refused.Add(join(path, name), "%s", err)
			}
		} else {
			readObject(refused, join(path, name), members[name], field)
		}
	}
}

// fieldTagged is the field of the struct dst whose json tag is name.
func fieldTagged(dst reflect.Value, name string) (reflect.Value, bool) {
	for i := range dst.NumField() {
		if dst.Type().Field(i).Tag.Get("json") == name {
			return dst.Field(i), true
		}
	}
	return reflect.Value{}, false
}

// eachValue calls f with every value of dst, a level of profileBody, with
// its path in the body and its Go name.
func eachValue(dst reflect.Value, path string, f func(path, name string, v bodyValue)) {
	for i := range dst.NumField() {
		field := dst.Type().Field(i)
		at := join(path, field.Tag.Get("json"))
		if v, ok := dst.Field(i).Addr().Interface().(bodyValue); ok {
			f(at, field.Name, v)
		} else {
			eachValue(dst.Field(i), at, f)
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// patch is the accountd.ProfilePatch the body asks for: each value given
// fills the patch field of its Go name.
func (b *profileBody) patch() accountd.ProfilePatch {
	var p accountd.ProfilePatch
	fields := reflect.ValueOf(&p).Elem()
	eachValue(reflect.ValueOf(b).Elem(), "", func(_, name string, v bodyValue) {
		if value, given := v.given(); given {
			fields.FieldByName(name).Set(value)
		}
	})
	return p
}

// bodyPaths maps each field of accountd.ProfilePatch to its path in the body.
var bodyPaths = func() map[string]string {
	paths := map[string]string{}
	eachValue(reflect.ValueOf(&profileBody{}).Elem(), "", func(path, name string, _ bodyValue) { paths[name] = path })
	return paths
}()

// bodyPath is the path in the body of a field the domain names: a patch
// field ("Phone") or an item of one ("Tags[3]").
func bodyPath(field string) string {
	name, item := field, ""
	if i := strings.IndexByte(field, '['); i >= 0 {
		name, item = field[:i], field[i:]
	}
	return bodyPaths[name] + item
}

// problems is the answer to a body that is wrong: the fields refused in
// reading it, then those err, from accountd.ProfilePatch.Normalize, names,
// under their paths in the body. It is nil when there are none.
func (r *profileRequest) problems(err error) error {
	var invalid *accountd.Error
	if errors.As(err, &invalid) {
		for i, f := range invalid.Fields {
			invalid.Fields[i].Field = bodyPath(f.Field)
		}
	}
	r.refused.Include(err)
	return r.refused.Err()
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req profileRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	// Normalized here rather than by the service so that one answer names
	// the fields refused in reading with those that break a rule, and
	// applies nothing.
	change, err := req.body.patch().Normalize()
	if err = req.problems(err); err != nil {
		return err
	}
	a, err := s.svc.UpdateProfile(r.Context(), c.account, change)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusAccepted, "Profile updated successfully", accountDocument(a))
	return nil
}
