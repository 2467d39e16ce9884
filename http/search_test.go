package http_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"accountd"
)

// searchPage is the data of a search or bookmark listing.
type searchPage struct {
	Pages, Page, Total, Limit, Position int
	AsOf                                string
	Data                                []struct {
		ID           string `json:"_id"`
		FirstName    string
		IsBookmarked bool
		BookmarkID   string
	}
}

func (e *env) search(token, query string) searchPage {
	e.t.Helper()
	var p searchPage
	e.must(200, e.do("GET", "/v1/account/user?"+query, token, nil)).data(e.t, &p)
	return p
}

func (p searchPage) ids() []string {
	var ids []string
	for _, d := range p.Data {
		ids = append(ids, d.ID)
	}
	return ids
}

func TestSearchFiltersSortsAndPages(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		type person struct {
			first, last string
			tags        []string
			private     bool
		}
		people := []person{
			{"Jeremy", "Ångström", []string{"product", "devops"}, false},
			{"Jérôme", "Lee", []string{"Product"}, false},
			{"Anna", "Jerez", []string{"devops"}, false},
			{"Hidden", "Jeremy", []string{"product", "devops"}, true},
			{"Bob", "Smith", nil, false},
		}
		ids := map[string]string{}
		for i, p := range people {
			a := e.register(fmt.Sprintf("p%d@example.com", i), p.first, p.last)
			ids[p.first] = a.Account["_id"].(string)
			body := map[string]any{"isPrivate": p.private}
			if p.tags != nil {
				body["profile"] = map[string]any{"talent": map[string]any{"tags": p.tags}}
			}
			e.must(202, e.do("PATCH", "/v1/account/update", a.Token, body))
		}
		viewer := e.register("viewer@example.com", "Vi", "Ewer").Token
		for _, c := range []struct {
			query string
			want  []string // newest first
		}{
			{"search=JER", []string{"Anna", "Jérôme", "Jeremy"}}, // accents folded, any field, never the private one
			{"search=" + url.QueryEscape("jérô"), []string{"Jérôme"}},
			{"search=angst", []string{"Jeremy"}},
			{"tags=product,devops", []string{"Jeremy"}},
			{"tags=product,devops&tagsMatch=any", []string{"Anna", "Jérôme", "Jeremy"}},
			{"tags=PRODUCT", []string{"Jérôme", "Jeremy"}},
			{"search=jer&tags=devops", []string{"Anna", "Jeremy"}},
			{"search=jer&sort=createdAt", []string{"Jeremy", "Jérôme", "Anna"}},
			{"role=partner", nil},
			{"profileCompletenessMin=10&profileCompletenessMax=10", []string{"Anna", "Jérôme", "Jeremy"}},
			{"search=jer&limit=2&page=2", []string{"Jeremy"}},
			{"unknown=1&search=smith", []string{"Bob"}},
		} {
			got := e.search(viewer, c.query)
			var want []string
			for _, name := range c.want {
				want = append(want, ids[name])
			}
			if !slices.Equal(got.ids(), want) {
				t.Errorf("%s: %v, want %v (%v)", c.query, got.ids(), want, c.want)
			}
		}
		p := e.search(viewer, "search=jer&limit=2&page=2")
		if p.Total != 3 || p.Pages != 2 || p.Page != 2 || p.Limit != 2 || p.Position != 3 {
			t.Errorf("paging %+v", p)
		}
		// The owner sees a private account by id, but search never shows it.
		if got := e.search(viewer, "search=hidden"); got.Total != 0 {
			t.Errorf("a private account was found: %+v", got)
		}
	})
}

// TestSearchPagesStayPutAsAccountsArrive walks a search's pages while new
// accounts register; passing back the first page's asOf keeps them out of
// the walk, so no page repeats or skips an account.
func TestSearchPagesStayPutAsAccountsArrive(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for i := range 9 {
			e.register(fmt.Sprintf("w%d@example.com", i), "Walker", fmt.Sprint(i))
		}
		viewer := e.register("viewer@example.com", "Vi", "Ewer").Token
		// Registrations may share a millisecond, so the order is the
		// sort's, with ids breaking ties: one page of all is the reference.
		want := e.search(viewer, "search=walker&limit=100").ids()
		if len(want) != 9 {
			t.Fatalf("found %d walkers, want 9", len(want))
		}
		first := e.search(viewer, "search=walker&limit=2")
		walked := first.ids()
		for page := 2; page <= first.Pages; page++ {
			e.register(fmt.Sprintf("late%d@example.com", page), "Walker", "Late")
			walked = append(walked, e.search(viewer, fmt.Sprintf("search=walker&limit=2&page=%d&asOf=%s", page, url.QueryEscape(first.AsOf))).ids()...)
		}
		if !slices.Equal(walked, want) {
			t.Errorf("walked %v, want %v", walked, want)
		}
		if got := e.search(viewer, "search=walker"); got.Total != 9+first.Pages-1 {
			t.Errorf("a new search finds %d, want the late ones too", got.Total)
		}
	})
}

func TestSearchRefusesBadParameters(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		token := e.register("viewer@example.com", "Vi", "Ewer").Token
		for _, c := range []struct{ query, field string }{
			{"page=0", "page"},
			{"page=x", "page"},
			{"page=99999999999", "page"},
			{"limit=0", "limit"},
			{"limit=101", "limit"},
			{"limit=1.5", "limit"},
			{"sort=name", "sort"},
			{"profileCompletenessMin=-1", "profileCompletenessMin"},
			{"profileCompletenessMax=101", "profileCompletenessMax"},
			{"profileCompletenessMin=80&profileCompletenessMax=20", "profileCompletenessMin"},
			{"role=owner", "role"},
			{"owner=yes", "owner"},
			{"tagsMatch=some", "tagsMatch"},
			{"asOf=yesterday", "asOf"},
			{"search=" + strings.Repeat("a", 101), "search"},
			{"search=a%00b", "search"},
			{"tags=" + strings.Repeat("x", 51), "tags"},
			{"page=100000&limit=100000", "limit"},
		} {
			r := e.must(400, e.do("GET", "/v1/account/user?"+c.query, token, nil))
			if code, fields := r.errorData(t); code != "invalid_parameter" || !slices.Contains(fields, c.field) {
				t.Errorf("%s: %s %v, want invalid_parameter naming %s", c.query, code, fields, c.field)
			}
		}
		e.must(400, e.do("GET", "/v1/account/bookmarks?limit=0", token, nil))
		e.must(400, e.do("GET", "/v1/tags?limit=1000", "", nil))
		e.must(401, e.do("GET", "/v1/account/user", "", nil))
	})
}

func TestBookmarks(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		me := e.register("me@example.com", "Me", "Myself")
		alice := e.register("alice@example.com", "Alice", "Bob")
		carol := e.register("carol@example.com", "Carol", "Private")
		e.must(202, e.do("PATCH", "/v1/account/update", carol.Token, map[string]any{"isPrivate": true}))
		aliceID, carolID := alice.Account["_id"].(string), carol.Account["_id"].(string)

		var b struct {
			ID                     string `json:"_id"`
			Owner, User, CreatedAt string
		}
		e.must(201, e.do("POST", "/v1/account/bookmarks", me.Token, map[string]string{"userId": aliceID})).data(t, &b)
		if b.Owner != me.Account["_id"] || b.User != aliceID || b.ID == "" || b.CreatedAt == "" {
			t.Errorf("bookmark %+v", b)
		}
		var again struct {
			ID string `json:"_id"`
		}
		e.must(200, e.do("POST", "/v1/account/bookmarks", me.Token, map[string]string{"userId": aliceID})).data(t, &again)
		if again.ID != b.ID {
			t.Errorf("bookmarking again made %s, want %s", again.ID, b.ID)
		}
		for _, userID := range []string{me.Account["_id"].(string), carolID, "0123456789abcdef01234567", "nonsense", ""} {
			r := e.must(422, e.do("POST", "/v1/account/bookmarks", me.Token, map[string]string{"userId": userID}))
			if _, fields := r.errorData(t); !slices.Equal(fields, []string{"userId"}) {
				t.Errorf("bookmarking %q: fields %v", userID, fields)
			}
		}

		list := e.must(200, e.do("GET", "/v1/account/bookmarks", me.Token, nil))
		var page searchPage
		list.data(t, &page)
		if page.Total != 1 || len(page.Data) != 1 || page.Data[0].ID != aliceID || !page.Data[0].IsBookmarked || page.Data[0].BookmarkID != b.ID {
			t.Errorf("bookmarks %+v", page)
		}
		found := e.search(me.Token, "search=alice")
		if len(found.Data) != 1 || !found.Data[0].IsBookmarked || found.Data[0].BookmarkID != b.ID {
			t.Errorf("search does not mark the bookmark: %+v", found)
		}
		if other := e.search(carol.Token, "search=alice"); len(other.Data) != 1 || other.Data[0].IsBookmarked {
			t.Errorf("another viewer sees my bookmark: %+v", other)
		}

		e.must(404, e.do("DELETE", "/v1/account/bookmarks/"+b.ID, alice.Token, nil))
		e.must(404, e.do("DELETE", "/v1/account/bookmarks/nonsense", me.Token, nil))
		e.must(200, e.do("DELETE", "/v1/account/bookmarks/"+b.ID, me.Token, nil))
		r := e.must(404, e.do("DELETE", "/v1/account/bookmarks/"+b.ID, me.Token, nil))
		if !strings.Contains(r.Env.Message, "bookmarkId") || !strings.Contains(r.Env.Message, "_id") {
			t.Errorf("the 404 does not say which ids are taken: %q", r.Env.Message)
		}

		// The listing's _id, the bookmarked account's, names the caller's
		// bookmark of it, and no one else's.
		e.must(201, e.do("POST", "/v1/account/bookmarks", me.Token, map[string]string{"userId": aliceID}))
		e.must(201, e.do("POST", "/v1/account/bookmarks", carol.Token, map[string]string{"userId": aliceID}))
		e.must(200, e.do("DELETE", "/v1/account/bookmarks/"+aliceID, me.Token, nil))
		if p := e.search(me.Token, "search=alice"); len(p.Data) != 1 || p.Data[0].IsBookmarked {
			t.Errorf("deleted by the account's id, the bookmark is still there: %+v", p)
		}
		if p := e.search(carol.Token, "search=alice"); len(p.Data) != 1 || !p.Data[0].IsBookmarked {
			t.Errorf("another's bookmark of the same account went too: %+v", p)
		}
		e.must(404, e.do("DELETE", "/v1/account/bookmarks/"+aliceID, me.Token, nil))

		// Deleting an account removes its bookmarks both ways.
		e.must(201, e.do("POST", "/v1/account/bookmarks", me.Token, map[string]string{"userId": aliceID}))
		e.must(201, e.do("POST", "/v1/account/bookmarks", alice.Token, map[string]string{"userId": me.Account["_id"].(string)}))
		e.must(200, e.do("POST", "/v1/account/delete-account", alice.Token, map[string]string{"password": password}))
		if p := e.search(me.Token, "limit=100"); slices.Contains(p.ids(), aliceID) {
			t.Error("a deleted account is still found")
		}
		var mine searchPage
		e.must(200, e.do("GET", "/v1/account/bookmarks", me.Token, nil)).data(t, &mine)
		if mine.Total != 0 {
			t.Errorf("a bookmark of a deleted account is listed: %+v", mine)
		}
	})
}

func TestTagListing(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		for i, tags := range [][]string{{"Go", "Rust"}, {"go", "Design"}, {"GO", "rust", "Writing"}} {
			a := e.register(fmt.Sprintf("t%d@example.com", i), "Tag", "Ger")
			e.must(202, e.do("PATCH", "/v1/account/update", a.Token, map[string]any{"profile": map[string]any{"talent": map[string]any{"tags": tags}}}))
		}
		var tags []struct {
			Key        string
			EntryCount int
			Categories []string
		}
		e.must(200, e.do("GET", "/v1/tags", "", nil)).data(t, &tags)
		var got []string
		for _, tag := range tags {
			got = append(got, fmt.Sprintf("%s:%d", tag.Key, tag.EntryCount))
		}
		if want := []string{"go:3", "rust:2", "design:1", "writing:1"}; !slices.Equal(got, want) {
			t.Errorf("tags %v, want %v", got, want)
		}
		if !slices.Contains(tags[0].Categories, "engineering") {
			t.Errorf("go has categories %v", tags[0].Categories)
		}
		e.must(200, e.do("GET", "/v1/tags?search=R&limit=1", "", nil)).data(t, &tags)
		if len(tags) != 1 || tags[0].Key != "rust" {
			t.Errorf("search=R&limit=1: %+v", tags)
		}
	})
}

func TestAdminAccounts(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		admin, err := e.svc.CreateAdmin(t.Context(), accountd.ManagedAccountInput{
			Email: "root@example.com", FirstName: "Root", Password: "correct horse battery staple"})
		if err != nil {
			t.Fatal(err)
		}
		var login struct{ Token string }
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": admin.Email, "password": "correct horse battery staple"})).data(t, &login)
		user := e.register("user@example.com", "Plain", "User")
		userID := user.Account["_id"].(string)

		// Only admins and partners open accounts for others.
		body := map[string]string{"email": "new@example.com", "firstName": "New", "lastName": "Hire"}
		e.must(403, e.do("POST", "/v1/admin/accounts", user.Token, body))
		var created map[string]any
		e.must(201, e.do("POST", "/v1/admin/accounts", login.Token, body)).data(t, &created)
		if created["email"] != "new@example.com" || created["role"] != "user" {
			t.Errorf("created %v", created)
		}
		if m := e.smtp.WaitFor(t, "new@example.com", 5*time.Second); !strings.Contains(m.Body, "Root") {
			t.Errorf("invitation %q", m.Body)
		}
		e.must(409, e.do("POST", "/v1/admin/accounts", login.Token, body))
		r := e.must(422, e.do("POST", "/v1/admin/accounts", login.Token, map[string]string{"email": "x", "firstName": ""}))
		if _, fields := r.errorData(t); !slices.Equal(fields, []string{"email", "firstName"}) {
			t.Errorf("fields %v", fields)
		}
		// The invited person has no password until they reset one.
		e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "new@example.com", "password": "any password at all"}))

		if p := e.search(login.Token, "owner=true"); !slices.Equal(p.ids(), []string{created["_id"].(string)}) {
			t.Errorf("owner=true finds %v", p.ids())
		}
		if p := e.search(user.Token, "owner=true"); p.Total != 0 {
			t.Errorf("owner=true for a user finds %v", p.ids())
		}

		// Promote the user to partner, who may then open accounts too.
		e.must(403, e.do("PATCH", "/v1/admin/accounts/"+userID, user.Token, map[string]string{"role": "admin"}))
		var updated map[string]any
		e.must(200, e.do("PATCH", "/v1/admin/accounts/"+userID, login.Token, map[string]any{"role": "partner", "kycStatus": "approved", "kyc": true})).data(t, &updated)
		if updated["role"] != "partner" || updated["kycStatus"] != "approved" || updated["kyc"] != true {
			t.Errorf("updated %v", updated)
		}
		e.must(201, e.do("POST", "/v1/admin/accounts", user.Token, map[string]string{"email": "second@example.com", "firstName": "Second", "password": "another fine passphrase"}))
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "second@example.com", "password": "another fine passphrase"}))
		if p := e.search(login.Token, "role=partner"); !slices.Equal(p.ids(), []string{userID}) {
			t.Errorf("role=partner finds %v", p.ids())
		}

		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"role": "owner"}, "role"},
			{map[string]any{"kycStatus": "done"}, "kycStatus"},
			{map[string]any{"kyc": "yes"}, "kyc"},
			{map[string]any{"email": "a@b.c"}, "email"},
		} {
			r := e.must(422, e.do("PATCH", "/v1/admin/accounts/"+userID, login.Token, c.body))
			if _, fields := r.errorData(t); !slices.Equal(fields, []string{c.field}) {
				t.Errorf("%v: fields %v", c.body, fields)
			}
		}
		r = e.must(422, e.do("PATCH", "/v1/admin/accounts/"+admin.ID, login.Token, map[string]any{"role": "user"}))
		if _, fields := r.errorData(t); !slices.Equal(fields, []string{"role"}) {
			t.Errorf("demoting oneself: fields %v", fields)
		}
		e.must(404, e.do("PATCH", "/v1/admin/accounts/0123456789abcdef01234567", login.Token, map[string]any{"kyc": true}))
		e.must(404, e.do("PATCH", "/v1/admin/accounts/nonsense", login.Token, map[string]any{"kyc": true}))
	})
}
