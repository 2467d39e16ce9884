package http

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
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
		if json.Unmarshal(raw, &s) != nil {
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
				var tags []string
				if json.Unmarshal(raw, &tags) != nil {
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
		var b *bool
		if json.Unmarshal(raw, &b) != nil {
			return false
		}
		p.IsPrivate = new(bool)
		if b != nil {
			*p.IsPrivate = *b
		}
		return true
	}},
}}

var jsonNull = []byte("null")

// read fills p from raw at path, recording every field that is unknown,
// read-only or of the wrong JSON type. A null object clears every field in it.
func (n patchNode) read(v *accountd.Validation, p *accountd.ProfilePatch, path string, raw json.RawMessage) {
	if n.leaf != nil {
		// encoding/json would quietly replace invalid UTF-8; refuse it instead.
		if !utf8.Valid(raw) {
			v.Add(path, "must be valid UTF-8 text")
		} else if !n.leaf(p, raw) {
			v.Add(path, "must be %s", n.want)
		}
		return
	}
	var fields map[string]json.RawMessage
	if bytes.Equal(bytes.TrimSpace(raw), jsonNull) {
		fields = make(map[string]json.RawMessage, len(n.children))
		for name := range n.children {
			fields[name] = jsonNull
		}
	} else if json.Unmarshal(raw, &fields) != nil || fields == nil {
		v.Add(path, "must be an object or null")
		return
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		at := name
		if path != "" {
			at = path + "." + name
		}
		child, ok := n.children[name]
		if !ok {
			v.Add(at, "cannot be changed here: the writable fields are firstName, lastName, profile.contact.*, profile.bio.*, profile.talent.about, availability and tags, socials.* and isPrivate")
			continue
		}
		child.read(v, p, at, fields[name])
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
	profilePatch.read(&v, &p, "", body)
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

// publicJSON is the seed's GET /v1/account/user/{id}.
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

// tagDocument is a tag as the seed shows it.
func tagDocument(t accountd.Tag) tagJSON {
	return tagJSON{ID: t.ID, Name: t.Name, Key: t.Key, Color: t.Color, Categories: t.Categories,
		IsParent: t.IsParent, Type: t.Type, EntryCount: t.EntryCount,
		CreatedAt: jsonTime(t.CreatedAt), UpdatedAt: jsonTime(t.UpdatedAt)}
}
