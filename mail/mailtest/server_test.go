package mailtest

import (
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func send(t *testing.T, s *Server, a sasl.Client, to string, raw string) error {
	t.Helper()
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.Dial(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if a != nil {
		if err := c.Auth(a); err != nil {
			return err
		}
	}
	if err := c.SendMail("sender@example.com", []string{to}, strings.NewReader(strings.ReplaceAll(raw, "\n", "\r\n"))); err != nil {
		return err
	}
	return c.Quit()
}

func TestDecodesBodies(t *testing.T) {
	s := Start(t)
	tests := []struct {
		name, raw string
	}{
		{"plain", "Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <1@test>\n\nGrüße, 123456\n"},
		{"quoted-printable", "Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <1@test>\n" +
			"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
			"Gr=C3=BC=C3=9Fe, =\n123456\n"},
		{"base64", "Subject: =?UTF-8?b?R3LDvMOfZQ==?=\nMessage-ID: <1@test>\n" +
			"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" +
			"R3LDvMOfZSwg\nMTIzNDU2Cg==\n"},
		{"multipart/alternative", "Subject: =?UTF-8?q?Gr=C3=BC=C3=9Fe?=\nMessage-ID: <1@test>\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/alternative; boundary=b\n\n" +
			"--b\nContent-Type: text/html; charset=UTF-8\n\n<p>not this</p>\n" +
			"--b\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\nR3LDvMOfZSwgMTIzNDU2Cg==\n" +
			"--b--\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := strings.ReplaceAll(tt.name, "/", ".") + "@example.com"
			if err := send(t, s, nil, to, tt.raw); err != nil {
				t.Fatal(err)
			}
			m := s.WaitFor(t, strings.ToUpper(to), 5*time.Second)
			if m.Subject != "Grüße" || m.Body != "Grüße, 123456\n" || m.MessageID != "<1@test>" || m.From != "sender@example.com" {
				t.Errorf("got subject %q, body %q, Message-ID %q, from %q", m.Subject, m.Body, m.MessageID, m.From)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	s := Start(t, WithAuth("user", "secret"))
	if !strings.HasPrefix(s.URL(), "smtp://user:secret@127.0.0.1:") {
		t.Errorf("URL() = %q", s.URL())
	}
	msg := "Subject: hi\n\nhi\n"
	if err := send(t, s, nil, "a@example.com", msg); err == nil {
		t.Error("mail accepted without AUTH")
	}
	if err := send(t, s, sasl.NewPlainClient("", "user", "wrong"), "a@example.com", msg); err == nil {
		t.Error("mail accepted with a wrong password")
	}
	if err := send(t, s, sasl.NewPlainClient("", "user", "secret"), "a@example.com", msg); err != nil {
		t.Fatal(err)
	}
	if n := s.Count("a@example.com"); n != 1 {
		t.Errorf("Count = %d, want 1", n)
	}
}

func TestStopRestart(t *testing.T) {
	s := Start(t)
	addr := strings.TrimPrefix(s.URL(), "smtp://")
	if err := send(t, s, nil, "a@example.com", "Subject: 1\n\n1\n"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Fatal("stopped server still accepts connections")
	}
	s.Restart()
	if err := send(t, s, nil, "a@example.com", "Subject: 2\n\n2\n"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1", "2"} {
		if m := s.WaitFor(t, "a@example.com", 5*time.Second); m.Subject != want {
			t.Errorf("WaitFor took %q, want %q", m.Subject, want)
		}
	}
	if n := len(s.Messages()); n != 2 {
		t.Errorf("Messages() has %d, want 2", n)
	}
}
