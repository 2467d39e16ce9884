package http

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"accountd"
)

// examplePatchBody is the PATCH body docs/api.md shows, which the benchmark
// in cmd/accountd-bench sends too.
const examplePatchBody = `{"firstName":"Alice","lastName":"Bob","profile":{"contact":{"country":"England","state":"Manchester","city":"Manchester",` +
	`"address":"30, alice bob blvd.","phone":"+4412345678987"},"bio":{"title":"Software Engineer","description":"Builds software Products"},` +
	`"talent":{"about":"About this user?. User is the best developer in the solar system","availability":"available","tags":["product","writing","custom","engineering","devops","web3","crypto"]}},` +
	`"socials":{"github":"https://github.com/tester","twitter":"https://twitter.com/tester","linkedin":"https://linkedin.com/tester","website":"https://mywebsite.com"}}`

// TestProfileRequestDecodesAsEncodingJSON: the PATCH body is read as when
// each level was decoded into a map by encoding/json: the last of repeated
// names wins, names and text are unescaped as it does, and the errors come
// sorted by name at each level.
func TestProfileRequestDecodesAsEncodingJSON(t *testing.T) {
	text := func(s string) *string { return &s }
	cases := []struct {
		body   string
		want   accountd.ProfilePatch
		errors []string // field: message, up to any colon in the message
	}{
		{body: `{"firstName":"A","firstName":"B"}`, want: accountd.ProfilePatch{FirstName: text("B")}},
		{body: `{"firstName":5,"firstName":"B"}`, want: accountd.ProfilePatch{FirstName: text("B")}},
		{body: `{"profile":{"bio":{"title":"T"}},"profile":{"contact":null}}`,
			want: accountd.ProfilePatch{Country: text(""), State: text(""), City: text(""), Address: text(""), Phone: text("")}},
		{body: `{"first\u004eame":"esc","lastName":"\"q\" \ud800 \u00e9\n"}`,
			want: accountd.ProfilePatch{FirstName: text("esc"), LastName: text("\"q\" \ufffd é\n")}},
		{body: "{\"\xff\":1,\"firstName\":\"a\xffb\",\"profile\":{\"bio\":{\"title\":{\"\xfe\":1}}}}",
			errors: []string{"firstName: must be valid UTF-8 text", "profile.bio.title: must be valid UTF-8 text", "\ufffd: cannot be changed here"}},
		{body: `{"zeta":1,"profile":{"x":1,"bio":{"b":1},"contact":"c"},"alpha":2,"isPrivate":"yes"}`,
			errors: []string{"alpha: cannot be changed here", "isPrivate: must be true, false or null", "profile.bio.b: cannot be changed here",
				"profile.contact: must be an object or null", "profile.x: cannot be changed here", "zeta: cannot be changed here"}},
		{body: `{ "isPrivate" : true , "profile" : { "talent" : { "tags" : [ "go" , null , "s\/ql" ] , "about" : null } } }`,
			want: accountd.ProfilePatch{IsPrivate: new(true), About: text(""), Tags: &[]string{"go", "", "s/ql"}}},
		{body: `{"profile":{"talent":{"tags":[1,"go"]}},"socials":null,"lastName":{},"isPrivate":null}`,
			want:   accountd.ProfilePatch{GitHub: text(""), Twitter: text(""), LinkedIn: text(""), Website: text(""), IsPrivate: new(false)},
			errors: []string{"lastName: must be a string or null", "profile.talent.tags: must be an array of strings or null"}},
		{body: `{"profile":null,"a":{"b":[{"c":"]}"}],"d":-1.5e3},"z":true}`,
			want: accountd.ProfilePatch{Country: text(""), State: text(""), City: text(""), Address: text(""), Phone: text(""),
				Title: text(""), Description: text(""), About: text(""), Availability: text(""), Tags: &[]string{}},
			errors: []string{"a: cannot be changed here", "z: cannot be changed here"}},
		{body: `{"FIRSTNAME":"x","profile":{"Contact":{}}}`,
			errors: []string{"FIRSTNAME: cannot be changed here", "profile.Contact: cannot be changed here"}},
		// The last of a repeated name counts whole: what an earlier one gave,
		// a value, an error or a level's fields, leaves no trace.
		{body: `{"firstName":"A","firstName":5}`, errors: []string{"firstName: must be a string or null"}},
		{body: "{\"lastName\":\"a\xffb\",\"x\":1,\"lastName\":\"ok\",\"x\":{}}", want: accountd.ProfilePatch{LastName: text("ok")},
			errors: []string{"x: cannot be changed here"}},
		{body: `{"profile":{"bio":{"title":"T","x":1},"x":1},"isPrivate":true,"profile":{"bio":{"description":"D"}}}`,
			want: accountd.ProfilePatch{Description: text("D"), IsPrivate: new(true)}},
		{body: `{"profile":{"bio":{"title":5}},"profile":null}`,
			want: accountd.ProfilePatch{Country: text(""), State: text(""), City: text(""), Address: text(""), Phone: text(""),
				Title: text(""), Description: text(""), About: text(""), Availability: text(""), Tags: &[]string{}}},
		{body: `{"socials":{"github":"g"},"socials":"x"}`, errors: []string{"socials: must be an object or null"}},
		{body: `{"socials":null,"socials":{"website":"w"}}`, want: accountd.ProfilePatch{Website: text("w")}},
		{body: `{"profile":{"talent":{"tags":["a"]},"talent":{"about":"A"},"talent":{"tags":"t"}}}`,
			errors: []string{"profile.talent.tags: must be an array of strings or null"}},
		// Names are unescaped before they are compared, and sorted as
		// unescaped.
		{body: `{"first\u004eame":"A","firstName":"B","lastName":"C","last\u004eame":"D"}`,
			want: accountd.ProfilePatch{FirstName: text("B"), LastName: text("D")}},
		{body: `{"pro\u0066ile":{"b\u0069o":{"title":"T"}},"\u007a":1,"\u0041":1,"y\ud800":1}`, want: accountd.ProfilePatch{Title: text("T")},
			errors: []string{"A: cannot be changed here", "y\ufffd: cannot be changed here", "z: cannot be changed here"}},
		// Each level's errors in the byte order of its names, a nested
		// level's at its name's place.
		{body: `{"b":1,"B":1,"_":1,"a":1,"profile":{"Z":1,"bio":{"title":"\u00e9"},"a":1}}`, want: accountd.ProfilePatch{Title: text("é")},
			errors: []string{"B: cannot be changed here", "_: cannot be changed here", "a: cannot be changed here", "b: cannot be changed here",
				"profile.Z: cannot be changed here", "profile.a: cannot be changed here"}},
		{body: `{"zeta":1,"profile":{"talent":{"tags":5,"q":1},"contact":{"phone":5},"bio":"x"},"alpha":1,"socials":{"x":1}}`,
			errors: []string{"alpha: cannot be changed here", "profile.bio: must be an object or null", "profile.contact.phone: must be a string or null",
				"profile.talent.q: cannot be changed here", "profile.talent.tags: must be an array of strings or null", "socials.x: cannot be changed here",
				"zeta: cannot be changed here"}},
		{body: "{ }", want: accountd.ProfilePatch{}},
		{body: "{\"profile\" :\n\t{ } }", want: accountd.ProfilePatch{}},
	}
	for _, c := range cases {
		var r profileRequest
		if err := json.Unmarshal([]byte(c.body), &r); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		if p := r.body.patch(); !reflect.DeepEqual(p, c.want) {
			t.Errorf("%s: patch\n%+v, want\n%+v", c.body, p, c.want)
		}
		var got []string
		var e *accountd.Error
		if errors.As(r.refused.Err(), &e) {
			for _, f := range e.Fields {
				message, _, _ := strings.Cut(f.Message, ":")
				got = append(got, f.Field+": "+message)
			}
		}
		if !reflect.DeepEqual(got, c.errors) {
			t.Errorf("%s: errors\n%q, want\n%q", c.body, got, c.errors)
		}
	}
}

// TestProfileRequestRefusesANonObject: a body that is not an object is
// refused as encoding/json refuses one for a struct.
func TestProfileRequestRefusesANonObject(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `[{}]`, `"x"`, `5`, `true`} {
		var r profileRequest
		var typeErr *json.UnmarshalTypeError
		if err := json.Unmarshal([]byte(body), &r); !errors.As(err, &typeErr) ||
			*typeErr != (json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[profileBody]()}) {
			t.Errorf("%s: %#v", body, err)
		}
	}
}

// TestProfileProblemsInOrder: the answer names the fields refused in
// reading, then those the domain refuses, under their paths in the body.
func TestProfileProblemsInOrder(t *testing.T) {
	body := `{"socials":{"github":"https://gitlab.com/x","x":1},"profile":{"contact":{"phone":"bad"},"talent":{"tags":["ok",""]}},"firstName":null,"b":1}`
	var r profileRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	_, err := r.body.patch().Normalize()
	var got []string
	var e *accountd.Error
	if errors.As(r.problems(err), &e) {
		for _, f := range e.Fields {
			got = append(got, f.Field)
		}
	}
	if want := []string{"b", "socials.x", "firstName", "profile.contact.phone", "profile.talent.tags[1]", "socials.github"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fields %q, want %q", got, want)
	}
}

// TestBodyPathsNameEveryPatchField: every field of accountd.ProfilePatch
// has its value in profileBody, and the answer to a field that is not
// writable names it.
func TestBodyPathsNameEveryPatchField(t *testing.T) {
	patch := reflect.TypeFor[accountd.ProfilePatch]()
	if len(bodyPaths) != patch.NumField() {
		t.Errorf("profileBody has %d values, accountd.ProfilePatch %d fields: %v", len(bodyPaths), patch.NumField(), bodyPaths)
	}
	for i := range patch.NumField() {
		name := patch.Field(i).Name
		path, ok := bodyPaths[name]
		if !ok {
			t.Errorf("accountd.ProfilePatch.%s has no value in profileBody", name)
			continue
		}
		dot := strings.LastIndexByte(path, '.')
		parent, last := path[:max(dot, 0)], path[dot+1:]
		if !strings.Contains(notWritable, path) && !strings.Contains(notWritable, parent+".*") &&
			!strings.Contains(notWritable, ", "+last) && !strings.Contains(notWritable, " and "+last) {
			t.Errorf("notWritable does not name %s", path)
		}
	}
}

// BenchmarkPatchDecode reads the PATCH body docs/api.md shows as
// updateProfile does, up to the change it hands the service.
func BenchmarkPatchDecode(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("PATCH", "/v1/account/update", strings.NewReader(examplePatchBody))
		r.Header.Set("Content-Type", "application/json")
		var req profileRequest
		if err := decode(httptest.NewRecorder(), r, &req); err != nil {
			b.Fatal(err)
		}
		_, err := req.body.patch().Normalize()
		if err := req.problems(err); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAccountEnvelope writes the answer to the PATCH docs/api.md
// shows: its Alice with her seven tags.
func BenchmarkAccountEnvelope(b *testing.B) {
	now := time.Date(2025, 5, 1, 16, 33, 54, 790e6, time.UTC)
	a := &accountd.Account{
		ID: accountd.NewID(now), Email: "alice@example.com", EmailVerified: true, EmailVerifiedAt: &now,
		FirstName: "Alice", LastName: "Bob", Role: "user", Type: "recipient", UserName: "alice-bob-x1y2",
		ReferralCode: "ALICE123", AccountType: "individual", LoggedInAt: &now, CreatedAt: now, UpdatedAt: now,
		Profile: accountd.Profile{
			Contact: accountd.Contact{Country: "England", State: "Manchester", City: "Manchester", Address: "30, alice bob blvd.", Phone: "+4412345678987"},
			Bio:     accountd.Bio{Title: "Software Engineer", Description: "Builds software Products"},
			Talent: accountd.Talent{About: "About this user?. User is the best developer in the solar system", Availability: "available",
				Tags: []string{"product", "writing", "custom", "engineering", "devops", "web3", "crypto"}},
		},
		Socials: accountd.Socials{GitHub: "https://github.com/tester", Twitter: "https://twitter.com/tester",
			LinkedIn: "https://linkedin.com/tester", Website: "https://mywebsite.com"},
	}
	for _, name := range a.Profile.Talent.Tags {
		a.Tags = append(a.Tags, accountd.NewTag(now, name))
	}
	b.ReportAllocs()
	for b.Loop() {
		writeOK(httptest.NewRecorder(), 202, "Profile updated successfully", accountDocument(a, newMediaBase("https://accounts.example.com")))
	}
}
