package http

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"accountd"
)

// sessionCookie is the cookie a browser keeps its session in, as
// docs/api.md's "Cookie sessions" says.
const sessionCookie = "accountd_session"

// cookies are the rules of cookie sessions: whether the cookie is Secure,
// and which origins an unsafe request signed in by cookie may come from.
type cookies struct {
	secure  bool
	origins CORS
}

// newCookies makes the cookie Secure unless the public URL is plain http,
// and lets the service's own origin send unsafe requests beside the CORS
// list's: a page served by the API's host is no other site.
func newCookies(publicURL string, cors CORS) cookies {
	c := cookies{secure: !strings.HasPrefix(strings.ToLower(publicURL), "http://"), origins: cors}
	if u, err := url.Parse(publicURL); err == nil {
		if self, err := parseOrigin(u.Scheme+"://"+u.Host, false); err == nil {
			c.origins.origins = append(slices.Clip(c.origins.origins), self)
		}
	}
	return c
}

// set gives the browser the session's cookie, expiring with the session.
func (c cookies) set(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/",
		Expires: expires, MaxAge: max(1, int(time.Until(expires).Seconds())),
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// clear tells the browser to drop the session's cookie (Max-Age=0).
func (c cookies) clear(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// credential is how a request signs in: its bearer token, or failing
// that its session cookie.
type credential struct {
	token    string
	byCookie bool
}

func requestCredential(r *http.Request) (credential, error) {
	token, err := bearerToken(r)
	if err != nil || token != "" {
		return credential{token: token}, err
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		return credential{token: ck.Value, byCookie: true}, nil
	}
	return credential{}, nil
}

var errCSRF = &accountd.Error{Kind: accountd.KindForbidden, Code: "csrf_failed",
	Message: "A request signed in by cookie that changes anything needs the header X-CSRF-Token with the csrfToken of its sign-in, from an allowed origin"}

// check refuses an unsafe request signed in by cookie unless it carries
// the session's CSRF token and comes from an allowed origin or names none.
// A browser sends the cookie with another site's form too; only a page of
// an allowed origin can have read the token and set the header.
func (c cookies) check(r *http.Request, cred credential) error {
	if !cred.byCookie {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if origin := r.Header.Get("Origin"); origin != "" && !c.origins.allows(origin) {
		return errCSRF
	}
	if !accountd.ValidCSRFToken(cred.token, r.Header.Get("X-CSRF-Token")) {
		return errCSRF
	}
	return nil
}
