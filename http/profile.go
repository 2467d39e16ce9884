package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"accountd"
)

// patchNode is one level of the PATCH body: either an object of named
// children or a leaf that stores its value in the patch.
type patchNode struct {
	children map[string]patchNode
	leaf     func(p *accountd.ProfilePatch, raw json.RawMessage) (ok bool)
	want     string // the JSON a leaf takes, for the error message
}

func textField(f func(*accountd.ProfilePatch) **string) patchNode {
	return patchNode{want: "a string or null", leaf: func(p *accountd.ProfilePatch, raw json.RawMessage) bool {
		var s *string
		switch {
		case raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0:
			// Without escapes (and valid UTF-8, as read checked) the text
			// is the bytes between the quotes, as json.Unmarshal finds.
			s = new(string(raw[1 : len(raw)-1]))
		case json.Unmarshal(raw, &s) != nil:
			return false
		}
		if s == nil {
			s = new(string)
		}
		*f(p) = s
		return true
	}}
}

// profilePatch is the shape of PATCH /v1/account/update: the writable
// fields, nowhere else.
var profilePatch = patchNode{children: map[string]patchNode{
	"firstName": textField(func(p *accountd.ProfilePatch) **string { return &p.FirstName }),
	"lastName":  textField(func(p *accountd.ProfilePatch) **string { return &p.LastName }),
	"profile": {children: map[string]patchNode{
		"contact": {children: map[string]patchNode{
			"country": textField(func(p *accountd.ProfilePatch) **string { return &p.Country }),
			"state":   textField(func(p *accountd.ProfilePatch) **string { return &p.State }),
			"city":    textField(func(p *accountd.ProfilePatch) **string { return &p.City }),
			"address": textField(func(p *accountd.ProfilePatch) **string { return &p.Address }),
			"phone":   textField(func(p *accountd.ProfilePatch) **string { return &p.Phone }),
		}},
		"bio": {children: map[string]patchNode{
			"title":       textField(func(p *accountd.ProfilePatch) **string { return &p.Title }),
			"description": textField(func(p *accountd.ProfilePatch) **string { return &p.Description }),
		}},
		"talent": {children: map[string]patchNode{
			"about":        textField(func(p *accountd.ProfilePatch) **string { return &p.About }),
			"availability": textField(func(p *accountd.ProfilePatch) **string { return &p.Availability }),
			"tags": {want: "an array of strings or null", leaf: func(p *accountd.ProfilePatch, raw json.RawMessage) bool {
				tags, plain := plainStrings(raw)
				if !plain && json.Unmarshal(raw, &tags) != nil {
					return false
				}
				if tags == nil {
					tags = []string{}
				}
				p.Tags = &tags
				return true
			}},
		}},
	}},
	"socials": {children: map[string]patchNode{
		"github":   textField(func(p *accountd.ProfilePatch) **string { return &p.GitHub }),
		"twitter":  textField(func(p *accountd.ProfilePatch) **string { return &p.Twitter }),
		"linkedin": textField(func(p *accountd.ProfilePatch) **string { return &p.LinkedIn }),
		"website":  textField(func(p *accountd.ProfilePatch) **string { return &p.Website }),
	}},
	"isPrivate": {want: "true, false or null", leaf: func(p *accountd.ProfilePatch, raw json.RawMessage) bool {
		switch string(raw) {
		case "true":
			p.IsPrivate = new(true)
		case "false", "null":
			p.IsPrivate = new(false)
		default:
			return false
		}
		return true
	}},
}}

var jsonNull = []byte("null")

// readPatch fills p from body, a JSON object, recording every field that is
// unknown, read-only or of the wrong JSON type. body must be valid JSON, as
// decode has checked: it is walked once, without checking it again.
func readPatch(v *accountd.Validation, p *accountd.ProfilePatch, body []byte) {
	s := bodyScanner{body: body}
	profilePatch.read(v, p, "", body, profilePatch.members(&s))
}

// member is a name of an object in the body with its value and, when the
// value is an object the patch reads, the value's members.
type member struct {
	name    []byte // unescaped
	value   []byte
	members []member
}

// members reads the object s is at, and the members of those of its values
// that are objects n reads, in the order of the body.
func (n patchNode) members(s *bodyScanner) []member {
	out := make([]member, 0, len(n.children))
	s.at++ // {
	for {
		s.skipSpace()
		switch s.body[s.at] {
		case '}':
			s.at++
			return out
		case ',':
			s.at++
			s.skipSpace()
		}
		m := member{name: s.name()}
		s.skipSpace()
		s.at++ // :
		s.skipSpace()
		start := s.at
		if child := n.children[string(m.name)]; child.children != nil && s.body[s.at] == '{' {
			m.members = child.members(s)
		} else {
			s.skipValue()
		}
		m.value = s.body[start:s.at]
		out = append(out, m)
	}
}

// read fills p from the object node n reads at path, whose value and
// members are given; a null object clears every field in it. The fields are
// read in the order of their names, so that errors come in that order.
func (n patchNode) read(v *accountd.Validation, p *accountd.ProfilePatch, path string, value []byte, members []member) {
	if bytes.Equal(value, jsonNull) {
		members = make([]member, 0, len(n.children))
		for name := range n.children {
			members = append(members, member{name: []byte(name), value: jsonNull})
		}
	} else if value[0] != '{' {
		v.Add(path, "must be an object or null")
		return
	}
	// Stable, so that of a name given more than once the last comes last
	// in its run, and wins as it does when encoding/json fills a map.
	slices.SortStableFunc(members, func(a, b member) int { return bytes.Compare(a.name, b.name) })
	for i, m := range members {
		if i+1 < len(members) && bytes.Equal(members[i+1].name, m.name) {
			continue
		}
		at := func() string { // only for an object or a field that is wrong
			if path == "" {
				return string(m.name)
			}
			return path + "." + string(m.name)
		}
		child, ok := n.children[string(m.name)]
		switch {
		case !ok:
			v.Add(at(), "cannot be changed here: the writable fields are firstName, lastName, profile.contact.*, profile.bio.*, profile.talent.about, availability and tags, socials.* and isPrivate")
		case child.leaf == nil:
			child.read(v, p, at(), m.value, m.members)
		case !utf8.Valid(m.value):
			// encoding/json would quietly replace invalid UTF-8; refuse it instead.
			v.Add(at(), "must be valid UTF-8 text")
		case !child.leaf(p, m.value):
			v.Add(at(), "must be %s", child.want)
		}
	}
}

// plainStrings returns the strings of raw when it is an array of strings
// without escapes, which (being valid UTF-8, as read checked) need no
// decoding.
func plainStrings(raw []byte) (_ []string, ok bool) {
	if raw[0] != '[' {
		return nil, false
	}
	s := bodyScanner{body: raw, at: 1}
	var out []string
	for {
		s.skipSpace()
		switch s.body[s.at] {
		case ']':
			return out, true
		case ',':
			s.at++
			s.skipSpace()
		}
		start := s.at
		if s.body[start] != '"' || s.skipString() {
			return nil, false
		}
		out = append(out, string(s.body[start+1:s.at-1]))
	}
}

// bodyScanner walks a body that is valid JSON, so it only has to find where
// each name and value ends.
type bodyScanner struct {
	body []byte
	at   int
}

func (s *bodyScanner) skipSpace() {
	for s.at < len(s.body) {
		switch s.body[s.at] {
		case ' ', '\t', '\n', '\r':
			s.at++
		default:
			return
		}
	}
}

// name reads the string s is at, as encoding/json decodes a map key.
func (s *bodyScanner) name() []byte {
	start := s.at
	escaped := s.skipString()
	raw := s.body[start:s.at]
	if text := raw[1 : len(raw)-1]; !escaped && utf8.Valid(text) {
		return text
	}
	var name string
	_ = json.Unmarshal(raw, &name) // cannot fail: raw is a JSON string
	return []byte(name)
}

// skipString moves s past the string it is at and reports whether the
// string holds an escape.
func (s *bodyScanner) skipString() (escaped bool) {
	from := s.at + 1
	end := from + bytes.IndexByte(s.body[from:], '"')
	for {
		backslash := bytes.IndexByte(s.body[from:end], '\\')
		if backslash < 0 {
			s.at = end + 1
			return escaped
		}
		escaped, from = true, from+backslash+2
		if from > end { // the quote found was escaped
			end = from + bytes.IndexByte(s.body[from:], '"')
		}
	}
}

// skipValue moves s past the value it is at.
func (s *bodyScanner) skipValue() {
	for depth := 0; ; {
		switch s.body[s.at] {
		case '"':
			s.skipString()
		case '{', '[':
			depth++
			s.at++
		case '}', ']':
			depth--
			s.at++
		default: // a comma, colon or space within, or a byte of a number, true, false or null
			s.at++
			if depth == 0 && s.at < len(s.body) && strings.IndexByte(",]} \t\n\r", s.body[s.at]) < 0 {
				continue
			}
		}
		if depth == 0 {
			return
		}
	}
}

func (s *Server) updateProfile(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body json.RawMessage
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body[0] != '{' {
		return &requestError{http.StatusBadRequest, "malformed_json", "The body must be a JSON object"}
	}
	var p accountd.ProfilePatch
	var v accountd.Validation
	readPatch(&v, &p, body)
	// The values that were read are checked too, so one answer names
	// every field that is wrong.
	v.Include(p.Normalize())
	if err := v.Err(); err != nil {
		return err
	}
	a, err := s.svc.UpdateProfile(r.Context(), c.account, &p)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusAccepted, "Profile updated successfully", accountDocument(a))
	return nil
}

// viewJSON is what anyone signed in may see of an account, never the
// email, second factor or sessions, with a profile of type P: a search
// result shows less of the profile than the public view does.
type viewJSON[P any] struct {
	ID                  string            `json:"_id"`
	FirstName           string            `json:"firstName"`
	LastName            string            `json:"lastName"`
	Role                string            `json:"role"`
	Type                string            `json:"type"`
	Profile             P                 `json:"profile"`
	IsPrivate           bool              `json:"isPrivate"`
	Score               int               `json:"score"`
	ProfileCompleteness int               `json:"profileCompleteness"`
	Socket              socketJSON        `json:"socket"`
	CreatedAt           jsonTime          `json:"createdAt"`
	UpdatedAt           jsonTime          `json:"updatedAt"`
	Achievements        []achievementJSON `json:"achievements"`
}

// listedProfileJSON is the profile a search result shows.
type listedProfileJSON struct {
	Contact contactJSON `json:"contact"`
	Bio     bioJSON     `json:"bio"`
	Talent  talentJSON  `json:"talent"`
}

// publicJSON is the data of GET /v1/account/user/{id}.
type publicJSON struct {
	viewJSON[publicProfileJSON]
	Kyc       bool   `json:"kyc"`
	KycStatus string `json:"kycStatus"`
}

type publicProfileJSON struct {
	listedProfileJSON
	Verified bool `json:"verified"`
}

// view builds the part of a's document that others may see, around the
// given profile.
func view[P any](a *accountd.Account, own accountJSON, profile P) viewJSON[P] {
	return viewJSON[P]{
		ID: own.ID, FirstName: own.FirstName, LastName: own.LastName, Role: own.Role, Type: own.Type,
		Profile: profile, IsPrivate: own.IsPrivate, Score: own.Score, ProfileCompleteness: own.ProfileCompleteness,
		Socket: own.Socket, CreatedAt: own.CreatedAt, UpdatedAt: jsonTime(a.UpdatedAt), Achievements: own.Achievements,
	}
}

// listedProfile is the profile of a's own document that a search result shows.
func listedProfile(own accountJSON) listedProfileJSON {
	return listedProfileJSON{Contact: own.Profile.Contact, Bio: own.Profile.Bio, Talent: own.Profile.Talent}
}

// publicDocument builds the public view of an account.
func publicDocument(a *accountd.Account) publicJSON {
	own := accountDocument(a)
	return publicJSON{
		viewJSON:  view(a, own, publicProfileJSON{listedProfileJSON: listedProfile(own), Verified: a.IsVerified}),
		Kyc:       own.Kyc,
		KycStatus: own.KycStatus,
	}
}

func (s *Server) getPublicAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := s.svc.PublicAccount(r.Context(), c.account, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", publicDocument(a))
	return nil
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.DeleteAccount(r.Context(), c.session, body.Password); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "success", empty)
	return nil
}

// tagDocument is a tag as docs/api.md shows it.
func tagDocument(t accountd.Tag) tagJSON {
	return tagJSON{ID: t.ID, Name: t.Name, Key: t.Key, Color: t.Color, Categories: t.Categories,
		IsParent: t.IsParent, Type: t.Type, EntryCount: t.EntryCount,
		CreatedAt: jsonTime(t.CreatedAt), UpdatedAt: jsonTime(t.UpdatedAt)}
}
