package http_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	accounthttp "accountd/http"
)

const (
	frontEnd  = "http://127.0.0.1:18301" // on the CORS list
	otherSite = "http://127.0.0.1:18399" // not on it
)

// serveCookies serves e's service behind a handler whose CORS list is
// frontEnd and whose public URL is publicURL.
func serveCookies(t *testing.T, e *env, publicURL string) {
	t.Helper()
	cors, err := accounthttp.ParseCORS(frontEnd)
	if err != nil {
		t.Fatal(err)
	}
	e.url = serveValidated(t, accounthttp.NewServer(e.svc, e.store, slog.New(slog.NewJSONHandler(io.Discard, nil)),
		accounthttp.Config{CORS: cors, PublicURL: publicURL})).URL
}

// cookieSession is what a sign-in with "session": "cookie" gave.
type cookieSession struct {
	cookie *http.Cookie
	csrf   string
}

// header is the request header of a browser holding the session, with
// the CSRF token when csrf is set and the Origin when origin is.
func (c cookieSession) header(csrf, origin string) map[string]string {
	h := map[string]string{"Cookie": c.cookie.Name + "=" + c.cookie.Value, "Content-Type": "application/json"}
	if csrf != "" {
		h["X-CSRF-Token"] = csrf
	}
	if origin != "" {
		h["Origin"] = origin
	}
	return h
}

// openCookieSession checks the answer of a cookie sign-in, as
// docs/api.md's "Cookie sessions" says, and returns its session.
func openCookieSession(t *testing.T, r *response, secure bool) cookieSession {
	t.Helper()
	var data map[string]any
	r.data(t, &data)
	if _, ok := data["token"]; ok {
		t.Errorf("a cookie sign-in answered a token: %v", data)
	}
	csrf, _ := data["csrfToken"].(string)
	if len(csrf) < 32 || data["expiresAt"] == nil || data["account"] == nil {
		t.Fatalf("cookie sign-in data %v, want csrfToken, expiresAt and account", data)
	}
	set := r.Header.Values("Set-Cookie")
	if len(set) != 1 {
		t.Fatalf("Set-Cookie %q, want one", set)
	}
	c, err := http.ParseSetCookie(set[0])
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "accountd_session" || c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode ||
		c.Path != "/" || c.Secure != secure || c.MaxAge < 3600 || c.Expires.IsZero() {
		t.Errorf("Set-Cookie %q: want accountd_session, HttpOnly, SameSite=Lax, Path=/, Secure %v, expiring with the session", set[0], secure)
	}
	return cookieSession{cookie: c, csrf: csrf}
}

// clearsCookie fails t unless r drops the session cookie.
func clearsCookie(t *testing.T, r *response, what string) {
	t.Helper()
	for _, v := range r.Header.Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(v); err == nil && c.Name == "accountd_session" && c.MaxAge < 0 && strings.Contains(v, "Max-Age=0") {
			return
		}
	}
	t.Errorf("%s: Set-Cookie %q does not clear accountd_session", what, r.Header.Values("Set-Cookie"))
}

// TestCookieSession checks that a browser's session lives in the cookie
// and that a change it makes needs the CSRF token and an allowed origin,
// while bearer tokens work as before.
func TestCookieSession(t *testing.T) {
	e := newEnv(t)
	serveCookies(t, e, "http://api.example.test:8080")

	r := e.must(201, e.raw("POST", "/v1/auth/register", map[string]string{"Content-Type": "application/json", "Origin": frontEnd},
		[]byte(`{"email":"crumb@example.com","password":"`+password+`","firstName":"Cookie","lastName":"Crumb","session":"cookie"}`)))
	s := openCookieSession(t, r, false)

	if got := e.must(200, e.raw("GET", "/v1/account", s.header("", otherSite), nil)); !strings.Contains(string(got.Env.Data), "crumb@example.com") {
		t.Errorf("GET /v1/account by cookie: %s", got.Env.Data)
	}
	patch := []byte(`{"firstName":"Forged"}`)
	for _, c := range []struct {
		name         string
		csrf, origin string
	}{
		{"no CSRF token", "", frontEnd},
		{"a wrong CSRF token", s.csrf[1:] + "A", frontEnd},
		{"another site's origin", s.csrf, otherSite},
		{"an opaque origin", s.csrf, "null"},
		{"a look-alike origin", s.csrf, frontEnd + ".evil.test"},
	} {
		got := e.must(403, e.raw("PATCH", "/v1/account/update", s.header(c.csrf, c.origin), patch))
		if code, _ := got.errorData(t); code != "csrf_failed" {
			t.Errorf("PATCH with %s: code %q, want csrf_failed", c.name, code)
		}
		if name := e.accountByCookie(s)["firstName"]; name != "Cookie" {
			t.Fatalf("PATCH with %s was refused but stored firstName %q", c.name, name)
		}
	}
	// A logout forged by another site changes nothing either.
	e.must(403, e.raw("POST", "/v1/account/logout", s.header("", otherSite), nil))
	e.accountByCookie(s)

	e.must(202, e.raw("PATCH", "/v1/account/update", s.header(s.csrf, frontEnd), []byte(`{"firstName":"Front"}`)))
	e.must(202, e.raw("PATCH", "/v1/account/update", s.header(s.csrf, ""), []byte(`{"firstName":"Program"}`)))
	e.must(202, e.raw("PATCH", "/v1/account/update", s.header(s.csrf, "http://api.example.test:8080"), []byte(`{"firstName":"Self"}`)))
	if name := e.accountByCookie(s)["firstName"]; name != "Self" {
		t.Errorf("firstName %q after the accepted PATCHes", name)
	}

	// Bearer tokens are no browser's ambient credential: no CSRF token.
	bearer := e.register("bearer@example.com", "Bea", "Rer").Token
	e.must(202, e.do("PATCH", "/v1/account/update", bearer, map[string]string{"firstName": "Token"}))

	r = e.must(200, e.raw("POST", "/v1/account/logout", s.header(s.csrf, frontEnd), nil))
	clearsCookie(t, r, "logout")
	e.must(401, e.raw("GET", "/v1/account", s.header("", ""), nil))
}

func (e *env) accountByCookie(s cookieSession) map[string]any {
	e.t.Helper()
	var a map[string]any
	e.must(200, e.raw("GET", "/v1/account", s.header("", ""), nil)).data(e.t, &a)
	return a
}

// TestCookieSessionSignIns checks every sign-in that takes "session", a
// Secure cookie behind an https public URL, a value that is neither kind,
// and that each revocation of the cookie's session clears the cookie.
func TestCookieSessionSignIns(t *testing.T) {
	e := newEnv(t)
	serveCookies(t, e, "https://api.example.test")
	json := map[string]string{"Content-Type": "application/json"}

	r := e.must(422, e.raw("POST", "/v1/auth/register", json,
		[]byte(`{"email":"jar@example.com","password":"`+password+`","firstName":"Jar","lastName":"Lid","session":"jar"}`)))
	if code, fields := r.errorData(t); code != "validation_failed" || len(fields) != 1 || fields[0] != "session" {
		t.Errorf("session \"jar\": %s %v, want validation_failed on session", code, fields)
	}
	e.must(401, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "jar@example.com", "password": password}))

	openCookieSession(t, e.must(201, e.raw("POST", "/v1/auth/register", json,
		[]byte(`{"email":"jar@example.com","password":"`+password+`","firstName":"Jar","lastName":"Lid","session":"cookie"}`))), true)
	login := func() cookieSession {
		t.Helper()
		return openCookieSession(t, e.must(200, e.do("POST", "/v1/auth/login", "",
			map[string]string{"email": "jar@example.com", "password": password, "session": "cookie"})), true)
	}
	var tokenLogin authData
	e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": "jar@example.com", "password": password, "session": "token"})).data(t, &tokenLogin)
	if tokenLogin.Token == "" {
		t.Fatal(`"session": "token" answered no token`)
	}

	// Ending the cookie's own session clears it; ending another does not.
	s := login()
	var sessions []struct {
		ID      string `json:"_id"`
		Current bool   `json:"current"`
	}
	e.must(200, e.raw("GET", "/v1/account/sessions", s.header("", ""), nil)).data(t, &sessions)
	for _, se := range sessions {
		if se.Current {
			continue
		}
		r := e.must(200, e.raw("DELETE", "/v1/account/sessions/"+se.ID, s.header(s.csrf, frontEnd), nil))
		if len(r.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("ending another session set %q", r.Header.Values("Set-Cookie"))
		}
	}
	e.must(401, e.do("GET", "/v1/account", tokenLogin.Token, nil))
	for _, se := range sessions {
		if se.Current {
			clearsCookie(t, e.must(200, e.raw("DELETE", "/v1/account/sessions/"+se.ID, s.header(s.csrf, frontEnd), nil)), "ending its own session")
		}
	}
	e.must(401, e.raw("GET", "/v1/account", s.header("", ""), nil))

	// A password change keeps the caller's session and its cookie.
	s = login()
	r = e.must(202, e.raw("PUT", "/v1/account/password/change", s.header(s.csrf, frontEnd),
		[]byte(`{"oldPassword":"`+password+`","newPassword":"`+password+` 2"}`)))
	if len(r.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("a password change set %q on the session it keeps", r.Header.Values("Set-Cookie"))
	}
	e.accountByCookie(s)

	// A reset ends every session: the browser signed in drops its cookie.
	e.must(202, e.do("POST", "/v1/auth/password/forgot", "", map[string]string{"email": "jar@example.com"}))
	e.mailedCode("jar@example.com")                      // the verification mail
	e.smtp.WaitFor(t, "jar@example.com", 10*time.Second) // the password change's
	code := e.mailedCode("jar@example.com")
	r = e.must(200, e.raw("POST", "/v1/auth/password/reset", s.header("", ""),
		[]byte(`{"email":"jar@example.com","code":"`+code+`","newPassword":"`+password+`"}`)))
	clearsCookie(t, r, "password reset")

	s = login()
	clearsCookie(t, e.must(200, e.raw("POST", "/v1/account/delete-account", s.header(s.csrf, frontEnd),
		[]byte(`{"password":"`+password+`"}`))), "account deletion")

	// With a second factor, the session comes from login/2fa: it takes
	// "session" too.
	const email = "second@example.com"
	reg := e.register(email, "Sec", "Ond")
	e.mailedCode(email) // the verification mail
	e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "email"}))
	e.must(200, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": e.mailedCode(email)}))
	ch := e.login(email, password)
	openCookieSession(t, e.must(200, e.do("POST", "/v1/auth/login/2fa", "",
		map[string]string{"challenge": ch.Challenge, "code": e.mailedCode(email), "session": "cookie"})), true)
}
