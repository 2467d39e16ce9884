package http_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// seedExample is one request of the user's specification, a Postman
// documentation export: the values of its query or path parameters, its
// body as sent, that body decoded, and its example answer.
type seedExample struct {
	values            []string
	body              string
	contentLength     int // as the export's request headers give it, or -1
	request, response map[string]any
	message           string
}

var (
	seedRequestLine   = regexp.MustCompile(`^(GET|POST|PATCH|PUT|DELETE) (\S+) HTTP/1\.1$`)
	seedStatusLine    = regexp.MustCompile(`^(OK|Accepted)$`)
	seedContentLength = regexp.MustCompile(`^Content-Length: (\d+)$`)
	seedValueLine     = regexp.MustCompile(`^\S+$`)
)

// readSeed parses the user's specification, kept beside the repository,
// into its examples keyed by "METHOD path". In the export, a request's
// parameter values are lines of one word each, and its body the line of
// JSON, just before its request line; the request line drops the query
// string.
func readSeed(t *testing.T) map[string]seedExample {
	t.Helper()
	b, err := os.ReadFile("../../shared/seed/account-api.txt")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the specification must be beside the repository in CI: %v", err)
		}
		t.Skipf("no specification beside the repository: %v", err)
	}
	lines := strings.Split(string(b), "\n")
	out := map[string]seedExample{}
	for i, line := range lines {
		m := seedRequestLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ex := seedExample{contentLength: -1}
		before := i - 1
		if before >= 0 && strings.HasPrefix(lines[before], "{") {
			ex.body = lines[before]
			before--
		}
		for ; before >= 0 && seedValueLine.MatchString(lines[before]); before-- {
			ex.values = append([]string{lines[before]}, ex.values...)
		}
		// Headers, then the pretty-printed body, then the answer's status
		// line and its body.
		j := i + 1
		for ; j < len(lines) && !seedStatusLine.MatchString(lines[j]); j++ {
			if c := seedContentLength.FindStringSubmatch(lines[j]); c != nil {
				ex.contentLength, _ = strconv.Atoi(c[1])
			}
		}
		if j == len(lines) {
			t.Fatalf("%s: no answer", line)
		}
		if ex.body != "" {
			if err := json.Unmarshal([]byte(ex.body), &ex.request); err != nil {
				t.Fatalf("%s: body %v", line, err)
			}
		}
		var res struct {
			Message string
			Data    map[string]any
		}
		if err := json.NewDecoder(strings.NewReader(strings.Join(lines[j+1:], "\n"))).Decode(&res); err != nil {
			t.Fatalf("%s: answer %v", line, err)
		}
		ex.response, ex.message = res.Data, res.Message
		out[m[1]+" "+m[2]] = ex
	}
	return out
}

// sendSeed sends ex's body byte for byte, as the export shows it sent.
func (e *env) sendSeed(method, path, token string, ex seedExample) *response {
	e.t.Helper()
	if ex.contentLength != len(ex.body) {
		e.t.Fatalf("%s %s: the export sent %d bytes, the body read from it has %d", method, path, ex.contentLength, len(ex.body))
	}
	return e.raw(method, path, map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}, []byte(ex.body))
}

// answersAs checks that r has status and ex's message, and returns r.
func (e *env) answersAs(status int, ex seedExample, r *response) *response {
	e.t.Helper()
	e.must(status, r)
	if r.Env.Message != ex.message {
		e.t.Errorf("message %q, the example says %q", r.Env.Message, ex.message)
	}
	return r
}

// hides reports each of fields that doc, what another account sees of one,
// shows.
func hides(t *testing.T, what string, doc map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := doc[f]; ok {
			t.Errorf("%s shows %s", what, f)
		}
	}
}

// registerWith opens an account with the password given.
func (e *env) registerWith(email, pw string) authData {
	e.t.Helper()
	var a authData
	e.must(201, e.do("POST", "/v1/auth/register", "", map[string]string{
		"email": email, "password": pw, "firstName": "Some", "lastName": "One",
	})).data(e.t, &a)
	return a
}

// sameValues reports every value of sent that got does not hold at the
// same place.
func sameValues(t *testing.T, path string, sent, got any) {
	t.Helper()
	if m, ok := sent.(map[string]any); ok {
		g, _ := got.(map[string]any)
		for k, v := range m {
			sameValues(t, strings.TrimPrefix(path+"."+k, "."), v, g[k])
		}
		return
	}
	if !reflect.DeepEqual(sent, got) {
		t.Errorf("%s: sent %s, the account holds %s", path, mustJSON(sent), mustJSON(got))
	}
}

// TestSeedExamplesKeepTheirShape sends the specification's PATCH body,
// byte for byte, to a fresh account, finds every value it sent in the
// account, and checks every answer against the examples, field for field
// and JSON type for JSON type.
func TestSeedExamplesKeepTheirShape(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		seed := readSeed(t)
		patch, get, public := seed["PATCH /v1/account/update"], seed["GET /v1/account"], seed["GET /v1/account/user/{id}"]
		if patch.request == nil || get.response == nil || public.response == nil {
			t.Fatalf("examples missing: %v", reflect.ValueOf(seed).MapKeys())
		}
		alice := e.register("alice@example.com", "Someone", "Else")
		e.must(200, e.do("POST", "/v1/auth/email/verify", alice.Token, map[string]string{"code": e.mailedCode("alice@example.com")}))

		r := e.answersAs(202, patch, e.sendSeed("PATCH", "/v1/account/update", alice.Token, patch))
		var doc map[string]any
		r.data(t, &doc)
		compareShape(t, "PATCH data", patch.response, doc, nil)
		stored := e.account(alice.Token)
		compareShape(t, "GET data", get.response, stored, nil)
		sameValues(t, "", patch.request, stored)
		if doc["profileCompleteness"] != 90.0 || stored["profileCompleteness"] != 90.0 {
			t.Errorf("profileCompleteness %v, then %v; the example's Alice scores 90", doc["profileCompleteness"], stored["profileCompleteness"])
		}
		talent := doc["profile"].(map[string]any)["talent"].(map[string]any)
		for i, tag := range talent["tagsIds"].([]any) {
			tag := tag.(map[string]any)
			if tag["key"] != talent["tags"].([]any)[i] || tag["entryCount"] != 1.0 || !regexp.MustCompile(`^#[0-9A-F]{6}$`).MatchString(tag["color"].(string)) {
				t.Errorf("tag %d: %v", i, tag)
			}
		}

		// The public view: the example's id is the path parameter; in a
		// fresh store no account has it, and Alice's own id shows her.
		viewer := e.register("viewer@example.com", "View", "Er")
		if len(public.values) != 1 {
			t.Fatalf("the public view's parameter values %q, want the id", public.values)
		}
		if code, _ := e.must(404, e.do("GET", "/v1/account/user/"+public.values[0], viewer.Token, nil)).errorData(t); code != "account_not_found" {
			t.Errorf("the example's id in a fresh store: %s", code)
		}
		var pub map[string]any
		e.answersAs(200, public, e.do("GET", "/v1/account/user/"+alice.Account["_id"].(string), viewer.Token, nil)).data(t, &pub)
		compareShape(t, "public data", public.response, pub, map[string]bool{"public data.profile.contact": true, "public data.profile.bio": true,
			"public data.createdAt": true, "public data.updatedAt": true, "public data.profile.talent.about": true})
		hides(t, "the public view", pub, "email", "twoFa", "sessions", "referralCode", "loggedInAt")
	})
}

// TestSeedSearchAsExported runs the specification's search, with the limit
// its export shows, against its Alice, and compares the answer with its
// example, field by field.
func TestSeedSearchAsExported(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		seed := readSeed(t)
		search, patch := seed["GET /v1/account/user"], seed["PATCH /v1/account/update"]
		if search.response == nil || patch.body == "" {
			t.Fatal("the search example is missing")
		}
		if len(search.values) != 1 {
			t.Fatalf("the search's parameter values %q, want its limit", search.values)
		}
		alice := e.register("alice@example.com", "Alice", "Bob")
		e.must(202, e.sendSeed("PATCH", "/v1/account/update", alice.Token, patch))
		viewer := e.register("viewer@example.com", "View", "Er")

		var got map[string]any
		e.answersAs(200, search, e.do("GET", "/v1/account/user?limit="+search.values[0], viewer.Token, nil)).data(t, &got)
		compareShape(t, "search data", search.response, got, map[string]bool{"search data.asOf": true})
		if got["total"] != 2.0 || got["pages"] != 1.0 || got["page"] != 1.0 || mustJSON(got["limit"]) != search.values[0] || got["position"] != 1.0 {
			t.Errorf("paging %v", got)
		}
		e.must(200, e.do("GET", "/v1/account/user?search=alic&tags=engineering,devops&profileCompletenessMin=70", viewer.Token, nil)).data(t, &got)
		item := got["data"].([]any)[0].(map[string]any)
		if got["total"] != 1.0 || item["_id"] != alice.Account["_id"] || item["profileCompleteness"] != 90.0 {
			t.Errorf("search for the example's Alice: total %v, hit %v", got["total"], item)
		}
		hides(t, "a search hit", item, "email", "twoFa", "referralCode")
	})
}

// TestSeedRequestsAsExported sends the specification's other requests as
// its export shows them, bodies byte for byte, to accounts whose passwords
// are the ones those bodies carry, and expects the example's status and
// message.
func TestSeedRequestsAsExported(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		seed := readSeed(t)
		initiate, emailCode := seed["POST /v1/account/initiate/2fa"], seed["POST /v1/account/2fa/email"]
		change, del, logout := seed["PUT /v1/account/password/change"], seed["POST /v1/account/delete-account"], seed["POST /v1/account/logout"]
		// Email 2FA, then the mail of a fresh code: emailType comes in the
		// query string, which the export shows as the value lines.
		if len(emailCode.values) == 0 || emailCode.values[0] != "two_fa" {
			t.Fatalf("the 2FA mail's parameter values %q, want two_fa", emailCode.values)
		}
		var pw struct{ Password string }
		json.Unmarshal([]byte(emailCode.body), &pw)
		z := e.registerWith("zoe@example.com", pw.Password)
		e.mailedCode("zoe@example.com") // the verification mail
		e.answersAs(202, initiate, e.sendSeed("POST", "/v1/account/initiate/2fa", z.Token, initiate))
		e.must(200, e.do("POST", "/v1/account/activate/2fa", z.Token, map[string]string{"code": e.mailedCode("zoe@example.com")}))
		e.answersAs(200, emailCode, e.sendSeed("POST", "/v1/account/2fa/email?emailType="+emailCode.values[0], z.Token, emailCode))
		e.must(200, e.do("POST", "/v1/account/deactivate/2fa", z.Token, map[string]string{"code": e.mailedCode("zoe@example.com")}))

		json.Unmarshal([]byte(change.body), &struct{ OldPassword *string }{&pw.Password})
		c := e.registerWith("carl@example.com", pw.Password)
		e.answersAs(202, change, e.sendSeed("PUT", "/v1/account/password/change", c.Token, change))
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]any{"email": "carl@example.com", "password": change.request["newPassword"]}))
		e.answersAs(200, logout, e.raw("POST", "/v1/account/logout", map[string]string{"Authorization": "Bearer " + c.Token}, nil))
		e.must(401, e.do("GET", "/v1/account", c.Token, nil))

		json.Unmarshal([]byte(del.body), &pw)
		d := e.registerWith("dora@example.com", pw.Password)
		e.answersAs(200, del, e.sendSeed("POST", "/v1/account/delete-account", d.Token, del))
		e.must(401, e.do("GET", "/v1/account", d.Token, nil))
	})
}
