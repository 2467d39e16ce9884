package http

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"accountd"
)

// Proxies are the reverse proxies whose word on a request's client the
// server takes, and the header they write it in.
type Proxies struct {
	// Trusted are the peers that forward requests; empty, every peer is
	// the client.
	Trusted []netip.Prefix
	// Header is the one the proxies append the client's address to:
	// X-Forwarded-For, or Forwarded (RFC 7239). Only that one is read: a
	// proxy passes on a header it does not write as the client sent it, so
	// reading another would let any client name its own address.
	Header string
}

func (p Proxies) trusts(addr netip.Addr) bool {
	return slices.ContainsFunc(p.Trusted, func(prefix netip.Prefix) bool { return prefix.Contains(addr) })
}

// client is who is calling, for limits, session records and the log.
func (s *Server) client(r *http.Request) accountd.Client {
	return accountd.Client{IP: s.proxies.clientAddr(r), UserAgent: r.UserAgent()}
}

// clientAddr is the address of the request's client. From a trusted peer
// it is the right-most address of the forwarding header that is not itself
// a trusted proxy: each proxy appends the address it was called from, so
// what lies to the left of the last untrusted one was written by the
// client and proves nothing. Where the chain cannot be followed (an
// address of "unknown", or a malformed one), the last trusted hop is the
// client.
func (p Proxies) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !p.trusts(peer.Unmap()) {
		return host
	}
	client := peer.Unmap()
	hops := forwardedFor(r.Header.Values(p.Header), strings.EqualFold(p.Header, "Forwarded"))
	for i := len(hops) - 1; i >= 0; i-- {
		if !hops[i].IsValid() {
			break
		}
		client = hops[i]
		if !p.trusts(client) {
			break
		}
	}
	return client.String()
}

// forwardedFor is the addresses the header's values name, left to right,
// as X-Forwarded-For lists them or, when rfc7239, as the for= parameters
// of Forwarded. An entry that is no address is the zero Addr.
func forwardedFor(values []string, rfc7239 bool) []netip.Addr {
	var hops []netip.Addr
	for _, value := range values {
		for _, entry := range strings.Split(value, ",") {
			if rfc7239 {
				node, found := "", false
				for _, pair := range strings.Split(entry, ";") {
					key, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
					if strings.EqualFold(key, "for") {
						node, found = strings.Trim(v, `"`), true
					}
				}
				if !found {
					continue
				}
				entry = node
			}
			hops = append(hops, parseNode(strings.TrimSpace(entry)))
		}
	}
	return hops
}

// parseNode reads an address with or without a port, IPv6 in brackets
// when it has one, as both headers write them.
func parseNode(s string) netip.Addr {
	if addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return addr.Unmap()
	}
	if addrPort, err := netip.ParseAddrPort(s); err == nil {
		return addrPort.Addr().Unmap()
	}
	return netip.Addr{}
}
