// Package mailtest runs a real SMTP server for tests, so that code which
// sends mail is tested over the wire and tests read what a recipient would
// read (a verification code, say) instead of reaching into the sender.
package mailtest

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Option configures a Server.
type Option func(*config)

type config struct {
	user, pass  string
	tls         *tls.Config
	implicitTLS bool
}

// WithAuth makes the server require AUTH PLAIN with these credentials before
// it accepts mail. It allows AUTH without TLS, since tests run on loopback.
func WithAuth(user, pass string) Option {
	return func(c *config) { c.user, c.pass = user, pass }
}

// WithTLS makes the server offer STARTTLS with cfg.
func WithTLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.implicitTLS = cfg, false }
}

// WithImplicitTLS makes the server speak TLS from the first byte (smtps).
func WithImplicitTLS(cfg *tls.Config) Option {
	return func(c *config) { c.tls, c.implicitTLS = cfg, true }
}

// Server is an SMTP server on 127.0.0.1 that keeps every message it accepts.
type Server struct {
	t    testing.TB
	cfg  config
	addr string // fixed at Start, so that Restart comes back where clients look

	mu       sync.Mutex
	smtp     *smtp.Server // nil while stopped
	listener net.Listener
	served   chan struct{}
	msgs     []Message
	taken    []bool
	arrived  chan struct{} // closed and replaced whenever a message arrives
}

// Start runs a server on a free port until the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{t: t, arrived: make(chan struct{})}
	for _, opt := range opts {
		opt(&s.cfg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = l.Addr().String()
	s.serve(l)
	t.Cleanup(s.Stop)
	return s
}

// URL is how a sender reaches the server, with its credentials if any.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.addr}
	if s.cfg.implicitTLS {
		u.Scheme = "smtps"
	}
	if s.cfg.user != "" {
		u.User = url.UserPassword(s.cfg.user, s.cfg.pass)
	}
	return u.String()
}

// Stop takes the server down: new connections are refused and open ones
// are cut. Messages received so far are kept.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l, served := s.smtp, s.listener, s.served
	s.smtp = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	// Serve may not have registered l with srv yet, so srv.Close may not
	// have closed it.
	l.Close()
	<-served
}

// Restart brings a stopped server back on the same port.
func (s *Server) Restart() {
	s.t.Helper()
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		s.t.Fatalf("mailtest: listen again on %s: %v", s.addr, err)
	}
	s.serve(l)
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "mailtest"
	srv.AllowInsecureAuth = true
	// A server cut off by Stop reports broken connections; that is the point
	// of Stop, not news.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	if s.cfg.implicitTLS {
		l = tls.NewListener(l, s.cfg.tls)
	} else {
		srv.TLSConfig = s.cfg.tls
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(l)
	}()
	s.mu.Lock()
	s.smtp, s.listener, s.served = srv, l, served
	s.mu.Unlock()
}

// Messages returns every message received so far, taken or not.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count returns how many messages were received for to, taken or not.
func (s *Server) Count(to string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.msgs {
		if m.addressedTo(to) {
			n++
		}
	}
	return n
}

// WaitFor returns the oldest message for to that no earlier WaitFor has
// returned, waiting for it up to timeout; the test fails if none comes. It
// must be called from the test's goroutine.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		for i, m := range s.msgs {
			if !s.taken[i] && m.addressedTo(to) {
				s.taken[i] = true
				s.mu.Unlock()
				return m
			}
		}
		arrived := s.arrived
		s.mu.Unlock()
		select {
		case <-arrived:
		case <-deadline.C:
			t.Fatalf("mailtest: no mail to %s within %v (%d messages received in all)", to, timeout, len(s.Messages()))
			return Message{}
		}
	}
}

func (s *Server) receive(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	s.taken = append(s.taken, false)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// session is one SMTP connection's state.
type session struct {
	server *Server
	authed bool
	from   string
	to     []string
}

func (se *session) AuthMechanisms() []string {
	if se.server.cfg.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain || se.server.cfg.user == "" {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if (identity != "" && identity != user) || user != se.server.cfg.user || pass != se.server.cfg.pass {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.server.cfg.user != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parse(se.from, se.to, raw)
	if err != nil {
		// Refusing it makes the sender's test fail where the cause is.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "mailtest: " + err.Error()}
	}
	se.server.receive(m)
	return nil
}

func (se *session) Reset() {
	se.from, se.to = "", nil
}

func (se *session) Logout() error { return nil }
