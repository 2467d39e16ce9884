package http

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	for _, c := range []struct {
		name, peer, header string
		values             []string
		want               string
	}{
		{"no proxy header", "10.0.0.1:5000", "X-Forwarded-For", nil, "10.0.0.1"},
		{"the client the proxy saw", "10.0.0.1:5000", "X-Forwarded-For", []string{"203.0.113.1"}, "203.0.113.1"},
		{"what the client wrote is left of it", "10.0.0.1:5000", "X-Forwarded-For", []string{"198.51.100.9, 203.0.113.1"}, "203.0.113.1"},
		{"through two proxies", "10.0.0.1:5000", "X-Forwarded-For", []string{"198.51.100.9, 203.0.113.1, 10.0.0.2"}, "203.0.113.1"},
		{"in several header lines", "10.0.0.1:5000", "X-Forwarded-For", []string{"198.51.100.9", "203.0.113.1"}, "203.0.113.1"},
		{"with a port", "10.0.0.1:5000", "X-Forwarded-For", []string{"203.0.113.1:8080"}, "203.0.113.1"},
		{"every hop trusted", "10.0.0.1:5000", "X-Forwarded-For", []string{"10.0.0.3, 10.0.0.2"}, "10.0.0.3"},
		{"a hop that is no address", "10.0.0.1:5000", "X-Forwarded-For", []string{"203.0.113.1, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"an untrusted peer", "198.51.100.1:5000", "X-Forwarded-For", []string{"203.0.113.1"}, "198.51.100.1"},
		{"an IPv4-mapped peer", "[::ffff:10.0.0.1]:5000", "X-Forwarded-For", []string{"203.0.113.1"}, "203.0.113.1"},
		{"an IPv6 proxy", "[2001:db8:ffff::1]:5000", "X-Forwarded-For", []string{"2001:db8::17"}, "2001:db8::17"},
		{"Forwarded", "10.0.0.1:5000", "Forwarded", []string{`for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded, hidden", "10.0.0.1:5000", "Forwarded", []string{"for=_hidden"}, "10.0.0.1"},
		{"Forwarded, unknown", "10.0.0.1:5000", "Forwarded", []string{"for=192.0.2.60, for=unknown"}, "10.0.0.1"},
		{"Forwarded without for", "10.0.0.1:5000", "Forwarded", []string{"proto=https"}, "10.0.0.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.values {
			r.Header.Add(c.header, v)
		}
		// The other header, which this proxy does not write, says
		// something else and is not read.
		other := map[string]string{"X-Forwarded-For": "Forwarded", "Forwarded": "X-Forwarded-For"}[c.header]
		r.Header.Set(other, map[string]string{"Forwarded": "for=192.0.2.66", "X-Forwarded-For": "192.0.2.66"}[other])
		if got := (Proxies{Trusted: trusted, Header: c.header}).clientAddr(r); got != c.want {
			t.Errorf("%s: client %s; want %s", c.name, got, c.want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "203.0.113.1")
	if got := (Proxies{Header: "X-Forwarded-For"}).clientAddr(r); got != "10.0.0.1" {
		t.Errorf("no proxy trusted: client %s; want the peer", got)
	}
}
