package http_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
)

// profile is a PATCH body built from dotted paths.
func profile(pairs ...any) map[string]any {
	out := map[string]any{}
	for i := 0; i < len(pairs); i += 2 {
		path := strings.Split(pairs[i].(string), ".")
		m := out
		for _, p := range path[:len(path)-1] {
			if _, ok := m[p]; !ok {
				m[p] = map[string]any{}
			}
			m = m[p].(map[string]any)
		}
		m[path[len(path)-1]] = pairs[i+1]
	}
	return out
}

// lookup reads a dotted path out of a document.
func lookup(doc map[string]any, path string) any {
	var v any = doc
	for _, p := range strings.Split(path, ".") {
		v = v.(map[string]any)[p]
	}
	return v
}

func TestProfileValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		me := e.register("rules@example.com", "Rule", "Keeper")
		long := func(n int) string { return strings.Repeat("é", n) }
		manyTags := func(n int) []any {
			out := make([]any, n)
			for i := range out {
				out[i] = fmt.Sprintf("skill %d", i)
			}
			return out
		}
		accepted := []struct {
			path       string
			value, got any // got: what the account then shows, when not value itself
		}{
			{"firstName", "  Ada  ", "Ada"},
			{"firstName", long(100), nil},
			{"lastName", long(100), nil},
			{"profile.contact.phone", "+4412345678987", nil},
			{"profile.contact.phone", "+1 (415) 555-2671", "+14155552671"},
			{"profile.contact.country", long(100), nil},
			{"profile.contact.address", long(300), nil},
			{"profile.bio.title", long(120), nil},
			{"profile.bio.description", long(500), nil},
			{"profile.talent.about", long(5000), nil},
			{"profile.talent.about", "Line one.\nLine two.", nil},
			{"profile.talent.availability", "limited", nil},
			{"profile.talent.availability", "unavailable", nil},
			{"profile.talent.tags", manyTags(30), nil},
			{"profile.talent.tags", []any{"Go", "go", "  GO ", "Rust"}, []any{"Go", "Rust"}},
			{"profile.talent.tags", []any{strings.Repeat("t", 50)}, nil},
			{"socials.github", "https://github.com/ada", nil},
			{"socials.github", "https://www.github.com/ada", nil},
			{"socials.twitter", "https://twitter.com/ada", nil},
			{"socials.twitter", "https://x.com/ada", nil},
			{"socials.linkedin", "https://www.linkedin.com/in/ada", nil},
			{"socials.website", "http://ada.example.org/about", nil},
			{"isPrivate", true, nil},
			{"isPrivate", false, nil},
		}
		for _, c := range accepted {
			t.Run("accept "+c.path, func(t *testing.T) {
				e := *e
				e.t = t
				var doc map[string]any
				e.must(202, e.do("PATCH", "/v1/account/update", me.Token, profile(c.path, c.value))).data(t, &doc)
				want := c.got
				if want == nil {
					want = c.value
				}
				if got := lookup(doc, c.path); mustJSON(got) != mustJSON(want) {
					t.Fatalf("%s = %s, want %s", c.path, mustJSON(got), mustJSON(want))
				}
			})
		}

		refused := []struct {
			name   string
			body   string
			fields []string
		}{
			{"phone without country code", `{"profile":{"contact":{"phone":"020 7183 8750"}}}`, []string{"profile.contact.phone"}},
			{"phone too long", `{"profile":{"contact":{"phone":"+4412345678987654"}}}`, []string{"profile.contact.phone"}},
			{"phone without a calling code", `{"profile":{"contact":{"phone":"+2812345678"}}}`, []string{"profile.contact.phone"}},
			{"phone letters", `{"profile":{"contact":{"phone":"+44 call me"}}}`, []string{"profile.contact.phone"}},
			{"availability", `{"profile":{"talent":{"availability":"busy"}}}`, []string{"profile.talent.availability"}},
			{"github elsewhere", `{"socials":{"github":"https://gitlab.com/ada"}}`, []string{"socials.github"}},
			{"github look-alike", `{"socials":{"github":"https://github.com.evil.example/ada"}}`, []string{"socials.github"}},
			{"github not http", `{"socials":{"github":"ftp://github.com/ada"}}`, []string{"socials.github"}},
			{"twitter elsewhere", `{"socials":{"twitter":"https://facebook.com/ada"}}`, []string{"socials.twitter"}},
			{"linkedin elsewhere", `{"socials":{"linkedin":"https://linked.in/ada"}}`, []string{"socials.linkedin"}},
			{"website script", `{"socials":{"website":"javascript:alert(1)"}}`, []string{"socials.website"}},
			{"website no scheme", `{"socials":{"website":"ada.example.org"}}`, []string{"socials.website"}},
			{"firstName too long", `{"firstName":"` + long(101) + `"}`, []string{"firstName"}},
			{"firstName cleared", `{"firstName":null}`, []string{"firstName"}},
			{"lastName too long", `{"lastName":"` + long(101) + `"}`, []string{"lastName"}},
			{"country too long", `{"profile":{"contact":{"country":"` + long(101) + `"}}}`, []string{"profile.contact.country"}},
			{"address too long", `{"profile":{"contact":{"address":"` + long(301) + `"}}}`, []string{"profile.contact.address"}},
			{"title too long", `{"profile":{"bio":{"title":"` + long(121) + `"}}}`, []string{"profile.bio.title"}},
			{"description too long", `{"profile":{"bio":{"description":"` + long(501) + `"}}}`, []string{"profile.bio.description"}},
			{"about too long", `{"profile":{"talent":{"about":"` + long(5001) + `"}}}`, []string{"profile.talent.about"}},
			{"control character", `{"profile":{"bio":{"title":"a\u0000b"}}}`, []string{"profile.bio.title"}},
			{"newline in a one-line field", `{"lastName":"a\nb"}`, []string{"lastName"}},
			{"invalid UTF-8", "{\"profile\":{\"bio\":{\"title\":\"a\xffb\"}}}", []string{"profile.bio.title"}},
			{"31 tags", `{"profile":{"talent":{"tags":` + mustJSON(manyTags(31)) + `}}}`, []string{"profile.talent.tags"}},
			{"tag too long", `{"profile":{"talent":{"tags":["ok","` + strings.Repeat("t", 51) + `"]}}}`, []string{"profile.talent.tags[1]"}},
			{"empty tag", `{"profile":{"talent":{"tags":["ok","  "]}}}`, []string{"profile.talent.tags[1]"}},
			{"tags not an array", `{"profile":{"talent":{"tags":"go"}}}`, []string{"profile.talent.tags"}},
			{"tags of numbers", `{"profile":{"talent":{"tags":[1,2]}}}`, []string{"profile.talent.tags"}},
			{"name a number", `{"firstName":5}`, []string{"firstName"}},
			{"profile a string", `{"profile":"x"}`, []string{"profile"}},
			{"isPrivate a string", `{"isPrivate":"yes"}`, []string{"isPrivate"}},
			{"email", `{"email":"other@example.com"}`, []string{"email"}},
			{"role", `{"role":"admin"}`, []string{"role"}},
			{"score", `{"score":100}`, []string{"score"}},
			{"kyc", `{"kyc":true}`, []string{"kyc"}},
			{"id", `{"_id":"000000000000000000000000"}`, []string{"_id"}},
			{"tagsIds", `{"profile":{"talent":{"tagsIds":[]}}}`, []string{"profile.talent.tagsIds"}},
			{"unknown nested", `{"profile":{"contact":{"zip":"M1"}}}`, []string{"profile.contact.zip"}},
			{"every error at once", `{"role":"admin","email":"x@example.com","firstName":"Ok","profile":{"contact":{"phone":"bad"}},"socials":{"github":"https://gitlab.com/x"}}`,
				[]string{"email", "profile.contact.phone", "role", "socials.github"}},
		}
		before := e.must(200, e.do("GET", "/v1/account", me.Token, nil)).Env.Data
		for _, c := range refused {
			t.Run("refuse "+c.name, func(t *testing.T) {
				e := *e
				e.t = t
				r := e.raw("PATCH", "/v1/account/update", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + me.Token}, []byte(c.body))
				if r.Status != 422 {
					t.Fatalf("status %d, want 422: %s", r.Status, r.Env.Data)
				}
				_, fields := r.errorData(t)
				sort.Strings(fields)
				if !reflect.DeepEqual(fields, c.fields) {
					t.Fatalf("fields %v, want %v", fields, c.fields)
				}
				if after := e.must(200, e.do("GET", "/v1/account", me.Token, nil)).Env.Data; !bytes.Equal(before, after) {
					t.Fatalf("a refused PATCH changed the account:\n%s\n%s", before, after)
				}
			})
		}
	})
}

func TestProfileMergesAndNullClears(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		me := e.register("merge@example.com", "Mer", "Ge")
		other := e.register("merge2@example.com", "Other", "One")
		e.must(202, e.do("PATCH", "/v1/account/update", me.Token, profile(
			"lastName", "Ge", "profile.bio.title", "Engineer", "profile.bio.description", "Builds",
			"profile.contact.city", "Leeds", "profile.talent.tags", []any{"Go", "SQL"}, "profile.talent.availability", "limited")))
		e.must(202, e.do("PATCH", "/v1/account/update", other.Token, profile("profile.talent.tags", []any{"go"})))
		var doc map[string]any
		e.must(202, e.do("PATCH", "/v1/account/update", me.Token, profile("profile.bio.title", "Lead"))).data(t, &doc)
		if lookup(doc, "profile.bio.description") != "Builds" || lookup(doc, "profile.bio.title") != "Lead" {
			t.Fatalf("merge lost a sibling: %v", lookup(doc, "profile.bio"))
		}
		tagCount := func(doc map[string]any, key string) any {
			for _, tag := range lookup(doc, "profile.talent.tagsIds").([]any) {
				if tag.(map[string]any)["key"] == key {
					return tag.(map[string]any)["entryCount"]
				}
			}
			return nil
		}
		if n := tagCount(doc, "go"); n != 2.0 {
			t.Fatalf("go is used by two accounts, entryCount %v", n)
		}
		e.must(202, e.do("PATCH", "/v1/account/update", me.Token, map[string]any{
			"lastName": nil, "profile": map[string]any{"contact": nil, "talent": map[string]any{"tags": nil, "availability": nil}}})).data(t, &doc)
		if doc["lastName"] != "" || mustJSON(lookup(doc, "profile.contact")) != `{"address":"","city":"","country":"","phone":"","state":""}` ||
			mustJSON(lookup(doc, "profile.talent.tags")) != "[]" || lookup(doc, "profile.talent.availability") != "available" || lookup(doc, "profile.bio.title") != "Lead" {
			t.Fatalf("null did not clear just what it named: %s", mustJSON(doc))
		}
		if n := tagCount(e.account(other.Token), "go"); n != 1.0 {
			t.Fatalf("after one account dropped go, entryCount %v", n)
		}
		// The same patch twice changes nothing the second time.
		first := e.must(202, e.do("PATCH", "/v1/account/update", me.Token, profile("profile.bio.title", "Lead"))).Env.Data
		second := e.must(202, e.do("PATCH", "/v1/account/update", me.Token, profile("profile.bio.title", "Lead"))).Env.Data
		if !bytes.Equal(first, second) {
			t.Fatalf("a no-op patch changed the document")
		}
	})
}

func TestPublicViewAndPrivacy(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		owner := e.register("private@example.com", "Pri", "Vate")
		viewer := e.register("viewer@example.com", "View", "Er")
		id := owner.Account["_id"].(string)
		e.must(200, e.do("GET", "/v1/account/user/"+id, viewer.Token, nil))
		e.must(202, e.do("PATCH", "/v1/account/update", owner.Token, profile("isPrivate", true)))
		r := e.must(404, e.do("GET", "/v1/account/user/"+id, viewer.Token, nil))
		if c, _ := r.errorData(t); c != "account_not_found" {
			t.Fatalf("code %q", c)
		}
		e.must(200, e.do("GET", "/v1/account/user/"+id, owner.Token, nil))
		e.must(404, e.do("GET", "/v1/account/user/not-an-id", viewer.Token, nil))
		e.must(404, e.do("GET", "/v1/account/user/ffffffffffffffffffffffff", viewer.Token, nil))
		e.must(401, e.do("GET", "/v1/account/user/"+id, "", nil))
	})
}

func TestDeleteAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		gone := e.register("gone@example.com", "Gone", "Soon")
		stays := e.register("stays@example.com", "Stays", "Here")
		tags := []any{"Go", "Rust"}
		e.must(202, e.do("PATCH", "/v1/account/update", gone.Token, profile("profile.talent.tags", tags)))
		e.must(202, e.do("PATCH", "/v1/account/update", stays.Token, profile("profile.talent.tags", tags)))
		var second authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "gone@example.com", "password": password})).data(t, &second)

		before := e.must(200, e.do("GET", "/v1/account", gone.Token, nil)).Env.Data
		r := e.must(401, e.do("POST", "/v1/account/delete-account", gone.Token, map[string]string{"password": "not the password"}))
		if _, f := r.errorData(t); !reflect.DeepEqual(f, []string{"password"}) {
			t.Fatalf("fields %v", f)
		}
		if after := e.must(200, e.do("GET", "/v1/account", gone.Token, nil)).Env.Data; !bytes.Equal(before, after) {
			t.Fatal("a refused deletion changed the account")
		}
		r = e.must(200, e.do("POST", "/v1/account/delete-account", gone.Token, map[string]string{"password": password}))
		if r.Env.Message != "success" || string(r.Env.Data) != "{}" {
			t.Fatalf("seed shape: %q %s", r.Env.Message, r.Env.Data)
		}
		e.must(401, e.do("GET", "/v1/account", gone.Token, nil))
		e.must(401, e.do("GET", "/v1/account", second.Token, nil))
		e.must(404, e.do("GET", "/v1/account/user/"+gone.Account["_id"].(string), stays.Token, nil))
		e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "gone@example.com", "password": password}))
		for _, tag := range lookup(e.account(stays.Token), "profile.talent.tagsIds").([]any) {
			if n := tag.(map[string]any)["entryCount"]; n != 1.0 {
				t.Fatalf("%v entryCount %v after the other user left", tag.(map[string]any)["key"], n)
			}
		}
		again := e.register("gone@example.com", "Gone", "Soon")
		if again.Account["_id"] == gone.Account["_id"] {
			t.Fatal("a deleted id was handed out again")
		}
	})
}

// TestConcurrentTagWriters: 64 accounts replace their tags again and again
// at once; afterwards every tag's entryCount is the number of accounts using it.
func TestConcurrentTagWriters(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const writers, rounds = 64, 8
		pool := []string{"go", "rust", "sql", "figma", "seo", "web3", "crypto", "devops", "writing", "product"}
		tokens := make([]string, writers)
		for i := range tokens {
			tokens[i] = e.register(fmt.Sprintf("w%d@example.com", i), "Writer", fmt.Sprint(i)).Token
		}
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for range rounds {
					var tags []any
					for _, p := range pool {
						if rng.IntN(2) == 0 {
							tags = append(tags, p)
						}
					}
					if r := e.do("PATCH", "/v1/account/update", tokens[i], profile("profile.talent.tags", tags)); r.Status != 202 {
						t.Errorf("writer %d: %d %s", i, r.Status, r.Env.Message)
						return
					}
				}
			}()
		}
		wg.Wait()
		used := map[string]int{}
		reported := map[string]float64{}
		for _, tok := range tokens {
			doc := e.account(tok)
			for _, tag := range lookup(doc, "profile.talent.tagsIds").([]any) {
				tag := tag.(map[string]any)
				used[tag["key"].(string)]++
				reported[tag["key"].(string)] = tag["entryCount"].(float64)
			}
		}
		for key, n := range used {
			if reported[key] != float64(n) {
				t.Errorf("%s: entryCount %v, used by %d accounts", key, reported[key], n)
			}
		}
	})
}

// FuzzProfilePatch: whatever the body, the answer is a 2xx or a 4xx
// envelope, never a 500.
func FuzzProfilePatch(f *testing.F) {
	for _, seed := range []string{
		`{"firstName":"Alice","profile":{"contact":{"phone":"+4412345678987"},"talent":{"tags":["go","Go"]}},"socials":{"github":"https://github.com/a"}}`,
		`{"profile":null}`, `{"profile":{"talent":{"tags":null}}}`, `{"isPrivate":true}`, `[]`, `null`, `{"a":{"b":1}}`,
		`{"profile":{"bio":{"title":"\ud800"}}}`, `{"lastName":"` + strings.Repeat("x", 200) + `"}`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	me := e.register("fuzz@example.com", "Fuzz", "Er")
	f.Fuzz(func(t *testing.T, body []byte) {
		e := *e
		e.t = t
		r := e.raw("PATCH", "/v1/account/update", map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + me.Token}, body)
		if r.Status >= 500 || (r.Status >= 300 && r.Status < 400) {
			t.Fatalf("status %d for %q: %s", r.Status, body, r.Env.Message)
		}
	})
}
