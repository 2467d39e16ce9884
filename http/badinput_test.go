package http_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"accountd"
)

// TestBadInput sends each kind of bad request and checks the status, the
// envelope, the field it names and that nothing stored changed.
func TestBadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		owner := e.register("owner@example.com", "Own", "Er")
		json := map[string]string{"Content-Type": "application/json"}
		authJSON := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + owner.Token}
		big := `{"email":"` + strings.Repeat("a", 1<<20) + `@example.com"}`

		cases := []struct {
			name, method, path string
			header             map[string]string
			body               string
			status             int
			code               string
			fields             []string
		}{
			{"malformed JSON", "POST", "/v1/auth/register", json, `{"email": "x@example.com",`, 400, "malformed_json", nil},
			{"empty body", "POST", "/v1/auth/login", json, ``, 400, "malformed_json", nil},
			{"two documents", "POST", "/v1/auth/login", json, `{} {}`, 400, "malformed_json", nil},
			{"not JSON content type", "POST", "/v1/auth/register", map[string]string{"Content-Type": "text/plain"}, `{}`, 415, "unsupported_media_type", nil},
			{"no content type", "POST", "/v1/auth/login", nil, `{}`, 415, "unsupported_media_type", nil},
			{"body over 1 MiB", "POST", "/v1/auth/register", json, big, 413, "body_too_large", nil},
			{"read-only field", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"N","role":"admin"}`, 422, "validation_failed", []string{"role"}},
			{"wrong JSON type", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":12345678,"firstName":"N"}`, 422, "validation_failed", []string{"password"}},
			{"everything missing", "POST", "/v1/auth/register", json, `{}`, 422, "validation_failed", []string{"email", "password", "firstName"}},
			{"not an email", "POST", "/v1/auth/register", json, `{"email":"new at example","password":"long enough pass","firstName":"N"}`, 422, "validation_failed", []string{"email"}},
			{"short password", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"short","firstName":"N"}`, 422, "validation_failed", []string{"password"}},
			{"long password", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"` + strings.Repeat("p", 129) + `","firstName":"N"}`, 422, "validation_failed", []string{"password"}},
			{"common password", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"baseball","firstName":"N"}`, 422, "validation_failed", []string{"password"}},
			{"control character in name", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"N\u0007"}`, 422, "validation_failed", []string{"firstName"}},
			{"zero-width name", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"\u200b\u200b"}`, 422, "validation_failed", []string{"firstName"}},
			{"direction override in name", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"N","lastName":"abc\u202edcba"}`, 422, "validation_failed", []string{"lastName"}},
			{"lone surrogate in name", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"N\ud800"}`, 422, "validation_failed", []string{"firstName"}},
			{"invalid UTF-8 in name", "POST", "/v1/auth/register", json, "{\"email\":\"new@example.com\",\"password\":\"long enough pass\",\"firstName\":\"N\xff\"}", 422, "validation_failed", []string{"firstName"}},
			{"PATCH: zero-width title", "PATCH", "/v1/account/update", authJSON, `{"profile":{"bio":{"title":"\u200b"}}}`, 422, "validation_failed", []string{"profile.bio.title"}},
			{"PATCH: lone surrogate", "PATCH", "/v1/account/update", authJSON, `{"profile":{"bio":{"description":"ok \udc00"}},"firstName":"\ud83d"}`, 422, "validation_failed", []string{"firstName", "profile.bio.description"}},
			{"PATCH: lone surrogate in a tag", "PATCH", "/v1/account/update", authJSON, `{"profile":{"talent":{"tags":["go","\ud800"]}}}`, 422, "validation_failed", []string{"profile.talent.tags[1]"}},
			{"name too long", "POST", "/v1/auth/register", json, `{"email":"new@example.com","password":"long enough pass","firstName":"` + strings.Repeat("n", 101) + `"}`, 422, "validation_failed", []string{"firstName"}},
			{"email taken", "POST", "/v1/auth/register", json, `{"email":"OWNER@example.com","password":"long enough pass","firstName":"N"}`, 409, "email_taken", nil},
			{"no token", "GET", "/v1/account", nil, ``, 401, "token_missing", nil},
			{"unknown token", "GET", "/v1/account", map[string]string{"Authorization": "Bearer nonsense"}, ``, 401, "token_invalid", nil},
			{"not a bearer token", "GET", "/v1/account", map[string]string{"Authorization": "Basic " + owner.Token}, ``, 401, "token_missing", nil},
			{"a bearer scheme and nothing else", "GET", "/v1/account", map[string]string{"Authorization": "Bearer"}, ``, 401, "token_missing", nil},
			{"change: unknown field", "PUT", "/v1/account/password/change", authJSON, `{"oldPassword":"` + password + `","newPassword":"another long one","email":"x@example.com"}`, 422, "validation_failed", []string{"email"}},
			{"change: weak new password", "PUT", "/v1/account/password/change", authJSON, `{"oldPassword":"` + password + `","newPassword":"short"}`, 422, "validation_failed", []string{"newPassword"}},
			{"change: same password", "PUT", "/v1/account/password/change", authJSON, `{"oldPassword":"` + password + `","newPassword":"` + password + `"}`, 422, "validation_failed", []string{"newPassword"}},
			{"verify: letters", "POST", "/v1/auth/email/verify", authJSON, `{"code":"12ab56"}`, 422, "validation_failed", []string{"code"}},
			{"verify: number", "POST", "/v1/auth/email/verify", authJSON, `{"code":123456}`, 422, "validation_failed", []string{"code"}},
			{"reset: all wrong", "POST", "/v1/auth/password/reset", json, `{"email":"","code":"1","newPassword":"x"}`, 422, "validation_failed", []string{"email", "code", "newPassword"}},
			{"unknown path", "GET", "/v1/nothing", nil, ``, 404, "not_found", nil},
			{"wrong method", "DELETE", "/v1/account", nil, ``, 405, "method_not_allowed", nil},
		}
		before := e.account(owner.Token)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := *e
				e.t = t
				r := e.raw(c.method, c.path, c.header, []byte(c.body))
				if r.Status != c.status {
					t.Fatalf("status %d, want %d (%s)", r.Status, c.status, r.Env.Message)
				}
				code, fields := r.errorData(t)
				if code != c.code || !reflect.DeepEqual(fields, c.fields) {
					t.Fatalf("code %q fields %v, want %q %v", code, fields, c.code, c.fields)
				}
			})
		}
		// Nothing was created and the owner's account is as it was.
		err := e.store.Read(context.Background(), func(tx accountd.Tx) error {
			_, err := tx.AccountByEmail(context.Background(), "new@example.com")
			return err
		})
		if !errors.Is(err, accountd.ErrNotFound) {
			t.Errorf("a refused registration left an account: %v", err)
		}
		if after := e.account(owner.Token); !reflect.DeepEqual(before, after) {
			t.Errorf("account changed:\nbefore %s\nafter  %s", mustJSON(before), mustJSON(after))
		}
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "owner@example.com", "password": password}))
	})
}

// TestAuthorizationHeader: the scheme in any case, and never two headers.
func TestAuthorizationHeader(t *testing.T) {
	e := newEnv(t)
	owner := e.register("owner@example.com", "Own", "Er")
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		e.must(200, e.raw("GET", "/v1/account", map[string]string{"Authorization": scheme + " " + owner.Token}, nil))
	}
	other := e.register("other@example.com", "Oth", "Er")
	for _, tokens := range [][]string{{owner.Token, other.Token}, {owner.Token, owner.Token}, {"", owner.Token}} {
		req, err := http.NewRequest("GET", e.url+"/v1/account", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, token := range tokens {
			req.Header.Add("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Status string
			Data   struct{ Code string }
		}
		err = json.NewDecoder(res.Body).Decode(&env)
		res.Body.Close()
		if err != nil || res.StatusCode != 400 || env.Status != "error" || env.Data.Code != "duplicate_authorization" {
			t.Errorf("two Authorization headers: %d %+v %v, want 400 duplicate_authorization", res.StatusCode, env, err)
		}
	}
}
