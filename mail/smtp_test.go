package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"accountd"
	"accountd/mail/mailtest"
)

const (
	from = "accountd@example.com"
	// The body has a long line and non-ASCII text, so the transfer encoding
	// has soft line breaks and escapes to undo.
	body = "Your code is 123456.\n\nIt expires in 15 minutes. " + "Grüße — ✓ " + "long line " + "xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx xxxxxxxxxx\n"
)

func newMail(to string) accountd.Mail {
	return *accountd.NewMail(time.Now(), to, "Bestätigen Sie Ihre E-Mail", body)
}

func newSMTP(t *testing.T, rawURL string, tlsConfig *tls.Config) *SMTP {
	t.Helper()
	s, err := NewSMTP(rawURL, from, tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sendAndReceive sends one mail through rawURL and returns what srv got.
func sendAndReceive(t *testing.T, srv *mailtest.Server, rawURL string, tlsConfig *tls.Config) {
	t.Helper()
	m := newMail("Someone@Example.com")
	if err := newSMTP(t, rawURL, tlsConfig).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.WaitFor(t, "someone@example.com", 5*time.Second)
	if got.From != from || got.Subject != m.Subject || got.Body != m.Body || got.MessageID != "<"+m.ID+"@accountd>" {
		t.Errorf("received from %q, subject %q, Message-ID %q, body\n%q\nwant from %q, subject %q, Message-ID <%s@accountd>, body\n%q",
			got.From, got.Subject, got.MessageID, got.Body, from, m.Subject, m.ID, m.Body)
	}
	header, err := netmail.ReadMessage(bytes.NewReader(got.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if date, err := header.Header.Date(); err != nil || !date.Equal(m.CreatedAt.Truncate(time.Second)) {
		t.Errorf("Date %v (%v), want %v", date, err, m.CreatedAt.Truncate(time.Second))
	}
}

func TestSMTPPlain(t *testing.T) {
	srv := mailtest.Start(t)
	sendAndReceive(t, srv, srv.URL(), nil)
}

func TestSMTPAuth(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithAuth("mailer@example.com", "p@ss:w/rd %"))
	sendAndReceive(t, srv, srv.URL(), nil)
}

func TestSMTPStartTLS(t *testing.T) {
	serverTLS, clientTLS := mailtest.TestTLS(t)
	srv := mailtest.Start(t, mailtest.WithTLS(serverTLS), mailtest.WithAuth("mailer", "secret"))
	sendAndReceive(t, srv, srv.URL(), clientTLS)

	// With the system roots the handshake must fail, so the mail above did
	// go over a verified STARTTLS and not in the clear.
	err := newSMTP(t, srv.URL(), nil).Send(context.Background(), newMail("someone@example.com"))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("send with an untrusted certificate: err = %v, want a certificate error", err)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := mailtest.TestTLS(t)
	srv := mailtest.Start(t, mailtest.WithImplicitTLS(serverTLS), mailtest.WithAuth("mailer", "secret"))
	if !strings.HasPrefix(srv.URL(), "smtps://") {
		t.Fatalf("URL() = %q, want smtps", srv.URL())
	}
	sendAndReceive(t, srv, srv.URL(), clientTLS)

	err := newSMTP(t, srv.URL(), nil).Send(context.Background(), newMail("someone@example.com"))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("send with an untrusted certificate: err = %v, want a certificate error", err)
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithAuth("mailer", "secret"))
	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword("mailer", "wrong-password")
	err := newSMTP(t, u.String(), nil).Send(context.Background(), newMail("someone@example.com"))
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("error shows the password: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages", n)
	}
}

func TestSMTPWithoutCredentials(t *testing.T) {
	srv := mailtest.Start(t, mailtest.WithAuth("mailer", "secret"))
	u, _ := url.Parse(srv.URL())
	u.User = nil
	if err := newSMTP(t, u.String(), nil).Send(context.Background(), newMail("someone@example.com")); err == nil {
		t.Fatal("sent without AUTH to a server that requires it")
	}
}

func TestSMTPServerDown(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Stop()
	start := time.Now()
	err := newSMTP(t, srv.URL(), nil).Send(context.Background(), newMail("someone@example.com"))
	if err == nil {
		t.Fatal("sent to a stopped server")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to fail", d)
	}
}

func TestSMTPStalledServerHeedsContext(t *testing.T) {
	// Accepts connections and never says a word.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = newSMTP(t, "smtp://"+l.Addr().String(), nil).Send(ctx, newMail("someone@example.com"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}
}

func TestSMTPBadRecipient(t *testing.T) {
	srv := mailtest.Start(t)
	if err := newSMTP(t, srv.URL(), nil).Send(context.Background(), newMail("not an address")); err == nil {
		t.Fatal("sent to an invalid address")
	}
}

func TestNewSMTP(t *testing.T) {
	tests := []struct {
		url         string
		port        int
		implicitTLS bool
		user, pass  string
	}{
		{"smtp://mail.example.com", 587, false, "", ""},
		{"smtps://mail.example.com", 465, true, "", ""},
		{"smtp://mail.example.com:25", 25, false, "", ""},
		{"SMTPS://u%40x.org:p%2Fw%3A%40@mail.example.com:2465", 2465, true, "u@x.org", "p/w:@"},
	}
	for _, tt := range tests {
		s, err := NewSMTP(tt.url, "Accountd <"+from+">", nil)
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", tt.url, err)
			continue
		}
		if s.host != "mail.example.com" || s.port != tt.port || s.implicitTLS != tt.implicitTLS ||
			s.user != tt.user || s.pass != tt.pass || s.tls.ServerName != "mail.example.com" || s.from.Address != from ||
			s.Addr() != fmt.Sprintf("mail.example.com:%d", tt.port) {
			t.Errorf("NewSMTP(%q) = host %q, port %d, implicit TLS %v, user %q, pass %q, server name %q, from %q, addr %q",
				tt.url, s.host, s.port, s.implicitTLS, s.user, s.pass, s.tls.ServerName, s.from.Address, s.Addr())
		}
	}
}

func TestNewSMTPErrors(t *testing.T) {
	tests := []struct{ url, from, want string }{
		{"http://mail.example.com", from, "scheme"},
		{"mail.example.com:25", from, "scheme"},
		{"smtp://", from, "no host"},
		{"smtp://:25", from, "no host"},
		{"smtp://u:secret@mail.example.com:0", from, "port"},
		{"smtp://u:secret@mail.example.com:70000", from, "port"},
		{"smtp://u:secret@mail.example.com:smtp", from, "port"},
		{"smtp://mail.example.com", "not an address", "from address"},
	}
	for _, tt := range tests {
		_, err := NewSMTP(tt.url, tt.from, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewSMTP(%q, %q): err = %v, want one about %s", tt.url, tt.from, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("NewSMTP(%q): error shows the password: %v", tt.url, err)
		}
	}
}
