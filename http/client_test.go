package http_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"testing"
	"time"

	accounthttp "accountd/http"
)

// TestClientBehindProxy puts a real reverse proxy in front of the server,
// which trusts it, and calls through it and around it from several
// loopback addresses: each client is limited and recorded as itself, and
// a forwarding header from an untrusted peer, or written by the client
// itself, changes nothing.
func TestClientBehindProxy(t *testing.T) {
	e := newEnv(t, func(c *accountdConfig) { c.IPLimit = rate(2, time.Minute) })
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	// The proxy calls the server from 127.0.0.1; the clients come from
	// other loopback addresses, which Linux gives every socket.
	server := serveValidated(t, accounthttp.NewServer(e.svc, e.store, log, accounthttp.Config{Proxies: accounthttp.Proxies{
		Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Header: "X-Forwarded-For"}}))
	target, _ := url.Parse(server.URL)
	proxy := httptest.NewServer(httputil.NewSingleHostReverseProxy(target))
	t.Cleanup(proxy.Close)
	from := func(addr, base string) *env {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}
		view := *e
		view.url = base
		view.client = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, address)
		}}}
		return &view
	}
	forgot := func(c *env, header map[string]string) *response {
		return c.raw("POST", "/v1/auth/password/forgot", map[string]string{"Content-Type": "application/json", "X-Forwarded-For": header["X-Forwarded-For"]},
			[]byte(`{"email": "someone@example.com"}`))
	}

	// Through the proxy, two clients have a limit each, which a header
	// they write themselves does not escape.
	two, three := from("127.0.0.2", proxy.URL), from("127.0.0.3", proxy.URL)
	for range 2 {
		two.must(202, forgot(two, nil))
	}
	two.must(429, forgot(two, nil))
	two.must(429, forgot(two, map[string]string{"X-Forwarded-For": "192.0.2.7"}))
	three.must(202, forgot(three, map[string]string{"X-Forwarded-For": "127.0.0.2"}))

	// Straight to the server, the peer is not trusted: its header is
	// ignored, and it is the client.
	direct := from("127.0.0.4", server.URL)
	for range 2 {
		direct.must(202, forgot(direct, map[string]string{"X-Forwarded-For": "192.0.2.8"}))
	}
	direct.must(429, forgot(direct, map[string]string{"X-Forwarded-For": "192.0.2.9"}))

	// A session records the client, not the proxy.
	five := from("127.0.0.5", proxy.URL)
	me := five.register("proxied@example.com", "Pro", "Xied")
	var sessions []struct {
		IP string `json:"ip"`
	}
	five.must(200, five.do("GET", "/v1/account/sessions", me.Token, nil)).data(t, &sessions)
	if len(sessions) != 1 || sessions[0].IP != "127.0.0.5" {
		t.Errorf("sessions %+v; want one from 127.0.0.5", sessions)
	}
}
