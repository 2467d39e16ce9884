package http_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestUserNames checks a chosen user name end to end on both stores: its
// rules, its uniqueness regardless of case, under a race too, the look-up
// by name in any case, and search finding the new name.
func TestUserNames(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ada := e.register("ada@example.com", "Ada", "Lovelace")
		grace := e.register("grace@example.com", "Grace", "Hopper")
		patch := func(token, name string) *response {
			t.Helper()
			return e.do("PATCH", "/v1/account/update", token, map[string]string{"userName": name})
		}

		for _, bad := range []string{"ab", "1ada", "ada-", "ada_l", "ada lovelace", "ädä", strings.Repeat("a", 31), "admin", "Support",
			"abcdef012345678901234567", ""} {
			r := e.must(422, patch(ada.Token, bad))
			if code, fields := r.errorData(t); code != "validation_failed" || !slices.Equal(fields, []string{"userName"}) {
				t.Errorf("userName %q: %s %v, want validation_failed on userName", bad, code, fields)
			}
		}
		before := e.account(ada.Token)
		if before["isUserNameUpdated"] != false {
			t.Fatalf("isUserNameUpdated %v before any choice", before["isUserNameUpdated"])
		}

		var doc map[string]any
		e.must(202, patch(ada.Token, "  Ada-Lovelace ")).data(t, &doc)
		if doc["userName"] != "ada-lovelace" || doc["isUserNameUpdated"] != true {
			t.Fatalf("after the PATCH: userName %v, isUserNameUpdated %v", doc["userName"], doc["isUserNameUpdated"])
		}
		r := e.must(409, patch(grace.Token, "ADA-lovelace"))
		if code, fields := r.errorData(t); code != "username_taken" || !slices.Equal(fields, []string{"userName"}) {
			t.Errorf("a name taken in another case: %s %v, want username_taken on userName", code, fields)
		}
		e.must(202, patch(ada.Token, "ada-lovelace")) // her own name again changes nothing

		var public map[string]any
		e.must(200, e.do("GET", "/v1/account/user/Ada-Lovelace", grace.Token, nil)).data(t, &public)
		if public["_id"] != ada.Account["_id"] {
			t.Errorf("GET /v1/account/user/Ada-Lovelace: account %v, want %v", public["_id"], ada.Account["_id"])
		}
		e.must(404, e.do("GET", "/v1/account/user/no-such-person", grace.Token, nil))
		if ids := e.search(grace.Token, "search=lovelace").ids(); !slices.Contains(ids, ada.Account["_id"].(string)) {
			t.Errorf("search=lovelace finds %v, not Ada", ids)
		}
		e.must(202, patch(ada.Token, "countess"))
		if ids := e.search(grace.Token, "search=countess").ids(); !slices.Equal(ids, []string{ada.Account["_id"].(string)}) {
			t.Errorf("search=countess finds %v, want Ada alone", ids)
		}
		// Her old name is free again.
		e.must(202, patch(grace.Token, "ada-lovelace"))

		// Two accounts racing for one name: one has it, the other hears 409.
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, token := range []string{ada.Token, grace.Token} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = patch(token, "analytical-engine").Status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{202, 409}) {
			t.Errorf("the race for one name answered %v, want one 202 and one 409", statuses)
		}
	})
}
