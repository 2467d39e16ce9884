package http_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRegisterVerifyLoginLogout(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("Alice.Bob@Example.COM", "Alice", "Bob")
		if len(reg.Token) < 43 {
			t.Fatalf("token %q is shorter than 256 bits", reg.Token)
		}
		if _, err := time.Parse(time.RFC3339, reg.ExpiresAt); err != nil {
			t.Fatalf("expiresAt %q: %v", reg.ExpiresAt, err)
		}
		acc := reg.Account
		if acc["email"] != "Alice.Bob@example.com" || acc["emailVerified"] != false || acc["emailVerifiedAt"] != nil {
			t.Fatalf("fresh account: %s", mustJSON(acc))
		}

		code := e.mailedCode("alice.bob@example.com")
		e.must(200, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": code}))
		got := e.account(reg.Token)
		if got["emailVerified"] != true || got["emailVerifiedAt"] == nil {
			t.Fatalf("after verify: emailVerified=%v emailVerifiedAt=%v", got["emailVerified"], got["emailVerifiedAt"])
		}
		// A code is single-use.
		r := e.must(409, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": code}))
		if c, _ := r.errorData(t); c != "email_already_verified" {
			t.Fatalf("code %q", c)
		}

		// Log in with a differently cased address: the same account.
		var login authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "ALICE.BOB@example.com", "password": password})).data(t, &login)
		if login.Account["_id"] != acc["_id"] || login.Token == reg.Token {
			t.Fatalf("login gave %v / same token", login.Account["_id"])
		}
		if !reflect.DeepEqual(keys(login.Account), keys(acc)) {
			t.Fatalf("login and register documents differ in fields")
		}

		// Logout ends the presented token only.
		e.must(200, e.do("POST", "/v1/account/logout", login.Token, nil))
		e.must(401, e.do("GET", "/v1/account", login.Token, nil))
		e.must(200, e.do("GET", "/v1/account", reg.Token, nil))
	})
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAccountDocumentMatchesSeed compares GET /v1/account, field by field
// and type by type, with the seed's example document.
func TestAccountDocumentMatchesSeed(t *testing.T) {
	b, err := os.ReadFile("testdata/seed_account.json")
	if err != nil {
		t.Fatal(err)
	}
	var seed struct {
		Status, Message string
		Data            map[string]any
	}
	if err := json.Unmarshal(b, &seed); err != nil {
		t.Fatal(err)
	}
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("jukne@example.com", "Jukne", "")
		// Fresh and unverified: the shape holds but for the not-yet timestamp.
		fresh := e.account(reg.Token)
		compareShape(t, "data", seed.Data, fresh, map[string]bool{"data.emailVerifiedAt": true})
		e.must(200, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": e.mailedCode("jukne@example.com")}))
		r := e.must(200, e.do("GET", "/v1/account", reg.Token, nil))
		if r.Env.Message != seed.Message {
			t.Errorf("message %q, seed says %q", r.Env.Message, seed.Message)
		}
		var doc map[string]any
		r.data(t, &doc)
		compareShape(t, "data", seed.Data, doc, nil)

		// The values a registration promises.
		want := map[string]any{"role": "user", "type": "recipient", "kycStatus": "pending", "accountType": "email",
			"profileCompleteness": 0.0, "score": 0.0, "isPrivate": false, "kyc": false}
		for k, v := range want {
			if doc[k] != v {
				t.Errorf("%s = %v, want %v", k, doc[k], v)
			}
		}
		if tf := mustJSON(doc["twoFa"]); tf != `{"securityQuestion":"undefined","status":false,"type":"undefined"}` {
			t.Errorf("twoFa %s", tf)
		}
		if !strings.HasPrefix(doc["userName"].(string), "jukne-") || len(doc["userName"].(string)) != len("jukne-")+4 {
			t.Errorf("userName %q", doc["userName"])
		}
		if len(doc["referralCode"].(string)) != 4 {
			t.Errorf("referralCode %q", doc["referralCode"])
		}
		var achievements []string
		for _, a := range doc["achievements"].([]any) {
			a := a.(map[string]any)
			achievements = append(achievements, fmt.Sprintf("%s %s/%s", a["type"], a["value"], a["total"]))
			if a["owner"] != doc["_id"] {
				t.Errorf("achievement owner %v", a["owner"])
			}
		}
		if got := strings.Join(achievements, ", "); got != "five-star 0/20, referral 0/10, review 0/60, squad 0/10" {
			t.Errorf("achievements: %s", got)
		}
		for _, ts := range []string{doc["createdAt"].(string), doc["loggedInAt"].(string), doc["emailVerifiedAt"].(string)} {
			if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
				t.Errorf("timestamp %q is not RFC 3339 UTC with milliseconds", ts)
			}
		}
	})
}

// addedSinceSeed are the fields every account document has gained since
// the seed's examples were exported: the pictures of docs/api.md §2.
var addedSinceSeed = map[string]bool{"profileImage": true, "backgroundImage": true}

// compareShape fails where got lacks a field of want, has one want lacks,
// or holds another JSON type; arrays compare their first elements. Paths in
// skip are not compared, and may be absent from want.
func compareShape(t *testing.T, path string, want, got any, skip map[string]bool) {
	t.Helper()
	// A null in the seed is a value it happens not to have: any type goes.
	if skip[path] || want == nil {
		return
	}
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		t.Errorf("%s: %T in the seed, %T here (%v)", path, want, got, got)
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k := range w {
			if _, ok := g[k]; !ok {
				t.Errorf("%s.%s: missing", path, k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok && !skip[path+"."+k] && !addedSinceSeed[k] {
				t.Errorf("%s.%s: not in the seed", path, k)
			}
		}
		for k, v := range w {
			if gv, ok := g[k]; ok {
				compareShape(t, path+"."+k, v, gv, skip)
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) > 0 {
			compareShape(t, path+"[0]", w[0], g[0], skip)
		}
	}
}

func TestReferralCodeCountsOnTheReferrer(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		alice := e.register("alice@example.com", "Alice", "Bob")
		code := alice.Account["referralCode"].(string)
		e.must(201, e.do("POST", "/v1/auth/register", "", map[string]string{
			"email": "carol@example.com", "password": password, "firstName": "Carol", "referralCode": code}))
		for _, a := range e.account(alice.Token)["achievements"].([]any) {
			if a := a.(map[string]any); a["type"] == "referral" && a["value"] != "1" {
				t.Fatalf("referral value %v, want \"1\"", a["value"])
			}
		}
		r := e.must(422, e.do("POST", "/v1/auth/register", "", map[string]string{
			"email": "dave@example.com", "password": password, "firstName": "Dave", "referralCode": "nope"}))
		if _, fields := r.errorData(t); !reflect.DeepEqual(fields, []string{"referralCode"}) {
			t.Fatalf("fields %v", fields)
		}
		e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "dave@example.com", "password": password}))
	})
}

func TestLoginDoesNotTellWhichEmailsExist(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.register("known@example.com", "Known", "Person")
		wrong := e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "known@example.com", "password": "wrong password"}))
		unknown := e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "wrong password"}))
		if wrong.Env.Message != unknown.Env.Message || string(wrong.Env.Data) != string(unknown.Env.Data) {
			t.Fatalf("answers differ: %q %s / %q %s", wrong.Env.Message, wrong.Env.Data, unknown.Env.Message, unknown.Env.Data)
		}
		a := e.must(202, e.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "known@example.com"}))
		b := e.must(202, e.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "nobody@example.com"}))
		if a.Env.Message != b.Env.Message || string(a.Env.Data) != string(b.Env.Data) {
			t.Fatalf("forgot answers differ")
		}
		e.mailedCode("known@example.com")
		time.Sleep(200 * time.Millisecond)
		if n := e.smtp.Count("nobody@example.com"); n != 0 {
			t.Fatalf("%d mails to an unknown address", n)
		}
	})
}

func TestPasswordResetEndsEverySession(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("reset@example.com", "Re", "Set")
		e.mailedCode("reset@example.com") // the verification mail
		e.must(202, e.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "reset@example.com"}))
		code := e.mailedCode("reset@example.com")
		newPassword := "a brand new passphrase"

		bad := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
		r := e.must(422, e.do("POST", "/v1/auth/password/reset", "", map[string]string{"email": "reset@example.com", "code": bad, "newPassword": newPassword}))
		if c, f := r.errorData(t); c != "invalid_code" || !reflect.DeepEqual(f, []string{"code"}) {
			t.Fatalf("wrong code: %s %v", c, f)
		}
		e.must(200, e.do("POST", "/v1/auth/password/reset", "", map[string]string{"email": "reset@example.com", "code": code, "newPassword": newPassword}))
		e.must(401, e.do("GET", "/v1/account", reg.Token, nil))
		e.must(422, e.do("POST", "/v1/auth/password/reset", "", map[string]string{"email": "reset@example.com", "code": code, "newPassword": "yet another passphrase"}))
		e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "reset@example.com", "password": password}))
		var login authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "reset@example.com", "password": newPassword})).data(t, &login)
		if login.Account["emailVerified"] != true {
			t.Fatalf("a reset by mailed code should verify the address")
		}
		if m := e.smtp.WaitFor(t, "reset@example.com", 5*time.Second); !strings.Contains(m.Subject, "password was changed") {
			t.Fatalf("expected a password-changed notice, got %q", m.Subject)
		}
	})
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

func TestCodeDiesAfterFiveWrongGuesses(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("guess@example.com", "Guess", "Er")
		code := e.mailedCode("guess@example.com")
		bad := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
		for range 5 {
			e.must(422, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": bad}))
		}
		e.must(422, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": code}))
		if e.account(reg.Token)["emailVerified"] != false {
			t.Fatal("a dead code verified the address")
		}
		e.must(200, e.do("POST", "/v1/auth/email/resend", reg.Token, nil))
		e.must(200, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": e.mailedCode("guess@example.com")}))
	})
}

func TestChangePasswordAndSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		first := e.register("sess@example.com", "Ses", "Sion")
		var second authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "sess@example.com", "password": password})).data(t, &second)

		var list []map[string]any
		e.must(200, e.do("GET", "/v1/account/sessions", second.Token, nil)).data(t, &list)
		if len(list) != 2 {
			t.Fatalf("%d sessions, want 2", len(list))
		}
		current := 0
		for _, s := range list {
			if s["current"] == true {
				current++
			}
			for _, k := range []string{"_id", "createdAt", "lastSeenAt", "userAgent", "ip"} {
				if _, ok := s[k]; !ok {
					t.Errorf("session lacks %s", k)
				}
			}
		}
		if current != 1 {
			t.Fatalf("%d sessions marked current", current)
		}

		r := e.must(401, e.do("PUT", "/v1/account/password/change", second.Token, map[string]string{"oldPassword": "not my password", "newPassword": "something fresh here"}))
		if _, f := r.errorData(t); !reflect.DeepEqual(f, []string{"oldPassword"}) {
			t.Fatalf("fields %v", f)
		}
		e.must(200, e.do("GET", "/v1/account", first.Token, nil))
		r = e.must(202, e.do("PUT", "/v1/account/password/change", second.Token, map[string]string{"oldPassword": password, "newPassword": "something fresh here"}))
		if r.Env.Message != "Password successfully changed" || string(r.Env.Data) != "{}" {
			t.Fatalf("seed shape: %q %s", r.Env.Message, r.Env.Data)
		}
		e.must(401, e.do("GET", "/v1/account", first.Token, nil))
		e.must(200, e.do("GET", "/v1/account", second.Token, nil))

		// End a session by id; someone else's id is not found.
		var third authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "sess@example.com", "password": "something fresh here"})).data(t, &third)
		e.must(200, e.do("GET", "/v1/account/sessions", third.Token, nil)).data(t, &list)
		other := e.register("other@example.com", "Other", "One")
		for _, s := range list {
			if s["current"] == true {
				e.must(404, e.do("DELETE", "/v1/account/sessions/"+s["_id"].(string), other.Token, nil))
				e.must(200, e.do("DELETE", "/v1/account/sessions/"+s["_id"].(string), second.Token, nil))
			}
		}
		e.must(401, e.do("GET", "/v1/account", third.Token, nil))
		e.must(404, e.do("DELETE", "/v1/account/sessions/ffffffffffffffffffffffff", second.Token, nil))
	})
}

func TestExpiredTokenIsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("late@example.com", "La", "Te")
		e.svc.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
		r := e.must(401, e.do("GET", "/v1/account", reg.Token, nil))
		if c, _ := r.errorData(t); c != "token_invalid" {
			t.Fatalf("code %q", c)
		}
	})
}

func TestRateLimits(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.register("limit@example.com", "Lim", "It")
		for range 3 {
			e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "limit@example.com", "password": "wrong password"}))
		}
		r := e.must(429, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "limit@example.com", "password": password}))
		if ra := r.Header.Get("Retry-After"); ra == "" || atoi(ra) < 1 || atoi(ra) > 60 {
			t.Fatalf("Retry-After %q", ra)
		}
		if c, _ := r.errorData(t); c != "rate_limited" {
			t.Fatalf("code %q", c)
		}
		// Another address is counted on its own.
		e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "else@example.com", "password": "wrong password"}))

		ip := newEnvOn(t, e.kind, func(c *accountdConfig) { c.IPLimit = rate(2, time.Minute) })
		for i := range 2 {
			ip.must(202, ip.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": fmt.Sprintf("x%d@example.com", i)}))
		}
		ip.must(429, ip.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "x9@example.com"}))

		// A session's password checks are counted, so a stolen token is no
		// way to guess the password; each email 2FA set-up mails a code and
		// is counted too.
		me := e.register("checks@example.com", "Che", "Cks")
		for range 2 {
			e.must(401, e.do("PUT", "/v1/account/password/change", me.Token, map[string]string{"oldPassword": "wrong password", "newPassword": "a new long passphrase"}))
		}
		e.must(401, e.do("POST", "/v1/account/delete-account", me.Token, map[string]string{"password": "wrong password"}))
		e.must(429, e.do("POST", "/v1/account/delete-account", me.Token, map[string]string{"password": password}))
		e.must(429, e.do("PUT", "/v1/account/password/change", me.Token, map[string]string{"oldPassword": password, "newPassword": "a new long passphrase"}))
		var other authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "checks@example.com", "password": password})).data(t, &other)
		e.must(202, e.do("PUT", "/v1/account/password/change", other.Token, map[string]string{"oldPassword": password, "newPassword": "a new long passphrase"}))
		for range 3 {
			e.must(202, e.do("POST", "/v1/account/initiate/2fa", other.Token, map[string]string{"type": "email"}))
		}
		e.must(429, e.do("POST", "/v1/account/initiate/2fa", other.Token, map[string]string{"type": "email"}))
	}, func(c *accountdConfig) { c.AccountLimit = rate(3, time.Minute) })
}

func TestConcurrentRegistrationsAndLogins(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan string, 2*n)
		ids := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := fmt.Sprintf("user%d@example.com", i)
				r := e.do("POST", "/v1/auth/register", "", map[string]string{"email": email, "password": password, "firstName": "Same", "lastName": "Name"})
				if r.Status != 201 {
					errs <- fmt.Sprintf("register %d: %d %s", i, r.Status, r.Env.Message)
					return
				}
				var a authData
				r = e.do("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password})
				if r.Status != 200 {
					errs <- fmt.Sprintf("login %d: %d %s", i, r.Status, r.Env.Message)
					return
				}
				r.data(t, &a)
				ids[i] = a.Account["userName"].(string)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		seen := map[string]bool{}
		for _, name := range ids {
			if seen[name] {
				t.Errorf("user name %q given twice", name)
			}
			seen[name] = true
		}
	})
}

func TestMailQueuedWhileSMTPIsDownIsDeliveredOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.smtp.Stop()
		reg := e.register("patient@example.com", "Pa", "Tient")
		time.Sleep(500 * time.Millisecond) // the relay tries and fails meanwhile
		e.smtp.Restart()
		code := e.mailedCode("patient@example.com")
		e.must(200, e.do("POST", "/v1/auth/email/verify", reg.Token, map[string]string{"code": code}))
		time.Sleep(3 * time.Second)
		if n := e.smtp.Count("patient@example.com"); n != 1 {
			t.Fatalf("%d copies delivered, want 1", n)
		}
	})
}

// TestLoginLimitsStopAttackersNotOwners: failed logins are what count. An
// attacker's wrong passwords lock out the attacker's address, not the
// owner at another; many addresses guessing one account get the owner's
// right password answered with a code mailed to the account, which a
// finished challenge or a password reset clears; a right password counts
// nothing; and all of it holds across two instances of the service.
func TestLoginLimitsStopAttackersNotOwners(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		other := e.another()
		login := func(via *env, from, email, pass string) *response {
			t.Helper()
			body := []byte(mustJSON(map[string]string{"email": email, "password": pass}))
			return via.raw("POST", "/v1/auth/login", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": from}, body)
		}
		e.register("victim@example.com", "Vic", "Tim")
		e.mailedCode("victim@example.com") // the address's verification

		// The lockout attack: three wrong passwords from one address lock
		// that address out of the account, even with the right password.
		for range 3 {
			e.must(401, login(e, "198.51.100.1", "victim@example.com", "wrong password"))
		}
		e.must(429, login(other, "198.51.100.1", "victim@example.com", password))
		// The owner, elsewhere, gets in: on either instance.
		var auth authData
		e.must(200, login(other, "198.51.100.2", "victim@example.com", password)).data(t, &auth)
		if auth.Token == "" {
			t.Fatal("no token")
		}

		// A distributed guess: five failures in all, from new addresses.
		e.must(401, login(e, "198.51.100.10", "victim@example.com", "wrong password"))
		e.must(401, login(other, "198.51.100.11", "victim@example.com", "wrong password"))
		// Now the right password alone opens no session, wherever it comes
		// from: it gets a challenge, and the owner a code by mail.
		var challenge struct {
			VerificationRequired bool   `json:"verificationRequired"`
			Challenge            string `json:"challenge"`
			Type                 string `json:"type"`
			Token                string `json:"token"`
		}
		e.must(200, login(e, "198.51.100.2", "victim@example.com", password)).data(t, &challenge)
		if !challenge.VerificationRequired || challenge.Challenge == "" || challenge.Type != "email" || challenge.Token != "" {
			t.Fatalf("login past the threshold: %+v; want a verification challenge by email", challenge)
		}
		code := e.mailedCode("victim@example.com")
		wrong := "000000"
		if code == wrong {
			wrong = "000001"
		}
		other.must(422, other.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": challenge.Challenge, "code": wrong}))
		other.must(200, other.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": challenge.Challenge, "code": code})).data(t, &auth)
		if auth.Token == "" {
			t.Fatal("no token from the verified login")
		}
		// Verified, the account's failures are forgotten.
		e.must(200, login(e, "198.51.100.2", "victim@example.com", password)).data(t, &auth)
		if auth.Token == "" {
			t.Fatal("no token after the verified login")
		}

		// A reset forgets them too.
		for i := range 5 {
			e.must(401, login(other, fmt.Sprintf("198.51.100.%d", 20+i), "victim@example.com", "wrong password"))
		}
		e.must(200, login(e, "198.51.100.2", "victim@example.com", password)).data(t, &challenge)
		if !challenge.VerificationRequired {
			t.Fatal("no verification after five more failures")
		}
		e.mailedCode("victim@example.com")
		e.must(202, e.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "victim@example.com"}))
		e.must(200, e.do("POST", "/v1/auth/password/reset", "", map[string]string{"email": "victim@example.com",
			"code": e.mailedCode("victim@example.com"), "newPassword": "an entirely new passphrase"}))
		e.smtp.WaitFor(t, "victim@example.com", 10*time.Second) // the password changed
		auth = authData{}
		other.must(200, login(other, "198.51.100.2", "victim@example.com", "an entirely new passphrase")).data(t, &auth)
		if auth.Token == "" {
			t.Fatal("no token after the reset")
		}

		// Right passwords count nothing, per address or per account.
		for range 6 {
			e.must(200, login(e, "198.51.100.3", "victim@example.com", "an entirely new passphrase"))
		}
		// Wrong ones from one address count against it whatever the email.
		for i := range 5 {
			e.must(401, login(other, "198.51.100.4", fmt.Sprintf("nobody%d@example.com", i), "wrong password"))
		}
		e.must(429, login(e, "198.51.100.4", "victim@example.com", "an entirely new passphrase"))
	}, func(c *accountdConfig) {
		c.IPLimit, c.AccountLimit, c.LoginVerifyAfter = rate(5, time.Minute), rate(3, time.Minute), rate(5, time.Minute)
	})
}
