package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	// Each level read in one pass: BenchmarkPatchDecode 30 µs/op with it, 47 with encoding/json's Decoder.Token.
	"github.com/go-json-experiment/json/jsontext"

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
	UserName  optional[string] `json:"userName"`
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
const notWritable = "cannot be changed here: the writable fields are firstName, lastName, userName, profile.contact.*, profile.bio.*, profile.talent.about, availability and tags, socials.* and isPrivate"

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
	if s, ok := any(&o.value).(*string); ok && len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		// Without escapes the text is the bytes between the quotes, as
		// json.Unmarshal finds, at a fraction of its cost: it halves the
		// decode of the PATCH body, which bench's "PATCH, seed body"
		// load spends most of its time on. Set in place, as it cannot
		// fail, so that no value escapes to the heap: an allocation a
		// text off BenchmarkPatchDecode.
		o.set, *s = true, string(raw[1:len(raw)-1])
		return nil
	}
	var value T
	if json.Unmarshal(raw, &value) != nil {
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
	if len(raw) == 0 || raw[0] != '{' {
		// Refused as encoding/json refuses a non-object for a struct, so
		// that decode answers alike; a null too, which is no patch at all.
		return &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[profileBody]()}
	}
	dec := jsontext.NewDecoder(bytes.NewBuffer(raw), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	refused, err := bodyRoot.read(dec, reflect.ValueOf(&r.body).Elem())
	for _, f := range refused {
		r.refused.Add(f.Field, "%s", f.Message)
	}
	return err
}

// bodyLevel is a struct of profileBody: its path in the body and its
// members by json tag.
type bodyLevel struct {
	path    string
	members map[string]bodyMember
}

type bodyMember struct {
	index int        // of the field in its level's struct
	level *bodyLevel // nil for a value
}

// read fills dst, of level l, from the object dec is at, and returns the
// fields it cannot take, in the order of the names they are under. It
// reads the object as encoding/json reads one into a map: names are
// unescaped as there, and the last of a repeated name counts alone (so a
// member's field is cleared first and its errors replace an earlier
// one's); but a name must be a json tag exactly, where encoding/json would
// fill FirstName from "FIRSTNAME". A null for a level clears every value
// in it. The body is valid JSON, as decode has checked; should dec find it
// is not, its error is returned.
func (l *bodyLevel) read(dec *jsontext.Decoder, dst reflect.Value) ([]accountd.FieldError, error) {
	if _, err := dec.ReadToken(); err != nil { // {
		return nil, err
	}
	var refused refusals
	for dec.PeekKind() == '"' {
		quoted, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		name := unquote(quoted)
		m, known := l.members[string(name)]
		var field reflect.Value
		if known {
			field = dst.Field(m.index)
			field.SetZero()
		}
		var fields []accountd.FieldError
		switch kind := dec.PeekKind(); {
		case !known:
			fields, err = l.refuse(name, notWritable), dec.SkipValue()
		case m.level == nil:
			var value jsontext.Value
			if value, err = dec.ReadValue(); err == nil {
				if bad := field.Addr().Interface().(bodyValue).UnmarshalJSON(value); bad != nil {
					fields = l.refuse(name, bad.Error())
				}
			}
		case kind == '{':
			fields, err = m.level.read(dec, field)
		case kind == 'n':
			m.level.setNull(field)
			err = dec.SkipValue()
		default:
			fields, err = l.refuse(name, "must be an object or null"), dec.SkipValue()
		}
		if err != nil {
			return nil, err
		}
		refused.set(name, fields)
	}
	if _, err := dec.ReadToken(); err != nil { // }
		return nil, err
	}
	return refused.sorted(), nil
}

// unquote is the name quoted, unescaped as encoding/json unescapes a map key.
func unquote(quoted []byte) []byte {
	if name := quoted[1 : len(quoted)-1]; bytes.IndexByte(name, '\\') < 0 && utf8.Valid(name) {
		return name
	}
	var name string
	_ = json.Unmarshal(quoted, &name) // cannot fail: jsontext read a JSON string
	return []byte(name)
}

func (l *bodyLevel) refuse(name []byte, message string) []accountd.FieldError {
	return []accountd.FieldError{{Field: join(l.path, string(name)), Message: message}}
}

// setNull clears every value of dst, of level l.
func (l *bodyLevel) setNull(dst reflect.Value) {
	for _, m := range l.members {
		if m.level != nil {
			m.level.setNull(dst.Field(m.index))
		} else {
			dst.Field(m.index).Addr().Interface().(bodyValue).setNull()
		}
	}
}

// refusals are the fields refused in a level, by the name of its member
// they are under.
type refusals []refusal

type refusal struct {
	name   string
	fields []accountd.FieldError
}

// set makes fields those under name, in place of an earlier member's.
func (rs *refusals) set(name []byte, fields []accountd.FieldError) {
	*rs = slices.DeleteFunc(*rs, func(r refusal) bool { return r.name == string(name) })
	if len(fields) > 0 {
		*rs = append(*rs, refusal{string(name), fields})
	}
}

func (rs refusals) sorted() []accountd.FieldError {
	slices.SortFunc(rs, func(a, b refusal) int { return strings.Compare(a.name, b.name) })
	var fields []accountd.FieldError
	for _, r := range rs {
		fields = append(fields, r.fields...)
	}
	return fields
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// bodyRoot and bodyValues are profileBody's levels and values, read from
// its type once so that no request parses a struct tag or looks a field up
// by name, which took 15% of BenchmarkPatchDecode.
var bodyRoot, bodyValues = describeBody()

// bodyValueAt is a value of profileBody.
type bodyValueAt struct {
	index []int  // in profileBody
	path  string // in the body
	name  string // its Go name, that of the accountd.ProfilePatch field it fills
	patch int    // the index of that field
}

func describeBody() (*bodyLevel, []bodyValueAt) {
	var values []bodyValueAt
	var describe func(t reflect.Type, index []int, path string) *bodyLevel
	describe = func(t reflect.Type, index []int, path string) *bodyLevel {
		l := &bodyLevel{path: path, members: map[string]bodyMember{}}
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			at, fieldIndex := join(path, tag), append(slices.Clip(index), i)
			m := bodyMember{index: i}
			if reflect.PointerTo(f.Type).Implements(reflect.TypeFor[bodyValue]()) {
				p, ok := reflect.TypeFor[accountd.ProfilePatch]().FieldByName(f.Name)
				if !ok {
					panic("http: profileBody's " + at + " fills no accountd.ProfilePatch field " + f.Name)
				}
				values = append(values, bodyValueAt{index: fieldIndex, path: at, name: f.Name, patch: p.Index[0]})
			} else {
				m.level = describe(f.Type, fieldIndex, at)
			}
			l.members[tag] = m
		}
		return l
	}
	return describe(reflect.TypeFor[profileBody](), nil, ""), values
}

// patch is the accountd.ProfilePatch the body asks for: each value given
// fills the patch field of its Go name.
func (b *profileBody) patch() accountd.ProfilePatch {
	var p accountd.ProfilePatch
	body, fields := reflect.ValueOf(b).Elem(), reflect.ValueOf(&p).Elem()
	for _, v := range bodyValues {
		if value, given := body.FieldByIndex(v.index).Addr().Interface().(bodyValue).given(); given {
			fields.Field(v.patch).Set(value)
		}
	}
	return p
}

// bodyPaths maps each field of accountd.ProfilePatch to its path in the body.
var bodyPaths = func() map[string]string {
	paths := map[string]string{}
	for _, v := range bodyValues {
		paths[v.name] = v.path
	}
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
	r.refused.Include(inBody(err))
	return r.refused.Err()
}

// inBody is err with the patch fields it names told as their paths in the
// body, in a copy: a domain error may be a shared value.
func inBody(err error) error {
	var de *accountd.Error
	if !errors.As(err, &de) || len(de.Fields) == 0 {
		return err
	}
	out := *de
	out.Fields = make([]accountd.FieldError, len(de.Fields))
	for i, f := range de.Fields {
		out.Fields[i] = accountd.FieldError{Field: bodyPath(f.Field), Message: f.Message}
	}
	return &out
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
		return inBody(err)
	}
	writeOK(w, http.StatusAccepted, "Profile updated successfully", accountDocument(a, s.media))
	return nil
}
