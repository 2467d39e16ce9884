package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS is the list of origins whose pages may call the API from a browser,
// as docs/api.md's "From a browser" says. Empty, no answer carries a CORS
// header and browsers keep other origins out.
type CORS struct {
	origins []allowedOrigin
}

// allowedOrigin is one entry of the list: an exact origin, or with
// wildcard set, every subdomain of host, whole labels only.
type allowedOrigin struct {
	scheme, host, port string
	wildcard           bool
}

// ParseCORS reads a comma-separated list of origins: scheme://host[:port]
// exactly, or scheme://*.domain[:port] for every subdomain of domain.
func ParseCORS(list string) (CORS, error) {
	var c CORS
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		o, err := parseOrigin(item, true)
		if err != nil {
			return CORS{}, fmt.Errorf("%q: %w", item, err)
		}
		c.origins = append(c.origins, o)
	}
	return c, nil
}

// parseOrigin reads an origin as browsers send it, and with wildcard
// allowed, a list entry whose host may start with "*.".
func parseOrigin(s string, wildcard bool) (allowedOrigin, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return allowedOrigin{}, fmt.Errorf("want an origin such as https://app.example.com")
	}
	if u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return allowedOrigin{}, fmt.Errorf("an origin is scheme://host[:port], with no path, query or user")
	}
	o := allowedOrigin{scheme: u.Scheme, host: strings.ToLower(u.Hostname()), port: u.Port()}
	if wildcard && strings.HasPrefix(o.host, "*.") {
		o.wildcard, o.host = true, o.host[2:]
	}
	if o.host == "" || strings.Contains(o.host, "*") || strings.HasPrefix(o.host, ".") || strings.Contains(o.host, "..") {
		return allowedOrigin{}, fmt.Errorf("want a host name, or *. and a domain")
	}
	return o, nil
}

// allows reports whether a request's Origin header is on the list.
func (c CORS) allows(origin string) bool {
	if origin == "" || len(c.origins) == 0 {
		return false
	}
	o, err := parseOrigin(origin, false)
	if err != nil {
		return false
	}
	for _, a := range c.origins {
		if a.scheme != o.scheme || a.port != o.port {
			continue
		}
		if !a.wildcard && a.host == o.host {
			return true
		}
		// A whole label or more before the domain: app.example.com, never
		// example.com itself or evil-example.com.
		if a.wildcard && strings.HasSuffix(o.host, "."+a.host) {
			return true
		}
	}
	return false
}

const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, X-CSRF-Token, X-Request-Id"
	corsExposed = "Retry-After, X-Request-Id, ETag"
	// corsMaxAge lets a browser keep a preflight's answer ten minutes.
	corsMaxAge = "600"
)

// withCORS answers every preflight from an allowed origin, whatever the
// path, before routing, and marks every answer to such an origin readable
// with credentials. An origin not on the list gets no CORS header, so the
// browser hides the answer from its page.
func (c CORS) withCORS(next http.Handler) http.Handler {
	if len(c.origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if !c.allows(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", corsMethods)
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}
