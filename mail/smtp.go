package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"accountd"
)

// sendTimeout bounds one whole Send, so a server that accepts and then
// stalls cannot hold the relay.
const sendTimeout = 30 * time.Second

// authMechanisms are the SMTP AUTH mechanisms tried, strongest first, among
// those the server offers. go-mail's auto-discovery would never pick PLAIN
// or LOGIN without TLS, not even on loopback where the test server runs;
// naming them leaves go-mail's rule for those two: in the clear only to
// localhost, so a password never crosses a network unencrypted.
var authMechanisms = []gomail.SMTPAuthType{
	gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
	gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
}

// SMTP sends mail through an SMTP server, on a fresh connection per mail:
// mail is rare, and a connection that was never pooled cannot go stale
// while the server restarts.
type SMTP struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	from        *netmail.Address
	tls         *tls.Config
}

// NewSMTP returns a Sender for the server at rawURL, either
// smtp://[user:pass@]host[:port] (STARTTLS when the server offers it, port
// 587 by default) or smtps://[user:pass@]host[:port] (TLS from the start,
// port 465 by default). Credentials turn on SMTP AUTH. Mail goes out from
// the address from. A nil tlsConfig verifies the server against the system
// roots.
func NewSMTP(rawURL, from string, tlsConfig *tls.Config) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, password and all.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("SMTP URL: %w", err)
	}
	s := &SMTP{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = gomail.DefaultPortTLS
	case "smtps":
		s.port, s.implicitTLS = gomail.DefaultPortSSL, true
	default:
		return nil, fmt.Errorf("SMTP URL: scheme is %q, want smtp or smtps", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("SMTP URL: no host")
	}
	if p := u.Port(); p != "" {
		s.port, err = strconv.Atoi(p)
		if err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("SMTP URL: port %q is not a number from 1 to 65535", p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	if s.from, err = netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("mail from address %q: %w", from, err)
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	s.tls = tlsConfig.Clone()
	if s.tls.ServerName == "" {
		s.tls.ServerName = s.host
	}
	return s, nil
}

// Addr is the server's host:port, the URL's default port included.
func (s *SMTP) Addr() string {
	return net.JoinHostPort(s.host, strconv.Itoa(s.port))
}

// Send delivers m. Its Message-ID is derived from m.ID, so that a receiver
// can tell a copy sent again after an unrecorded success.
func (s *SMTP) Send(ctx context.Context, m accountd.Mail) error {
	// Recipients need not learn which mail library, at which version, we run.
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail %s: %w", m.ID, err)
	}
	msg.Subject(m.Subject)
	if m.CreatedAt.IsZero() {
		msg.SetDate()
	} else {
		// The mail was written then; a late retry should not pretend otherwise.
		msg.SetDateWithValue(m.CreatedAt)
	}
	msg.SetMessageIDWithValue(m.ID + "@accountd")
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)

	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	release := func() bool { return false }
	defer func() { release() }()
	// go-mail heeds ctx only while dialling; closing the connection when ctx
	// ends cuts the rest of the conversation short too.
	dial := func(dialCtx context.Context, network, addr string) (net.Conn, error) {
		conn, err := new(net.Dialer).DialContext(dialCtx, network, addr)
		if err != nil {
			return nil, err
		}
		release = context.AfterFunc(ctx, func() { conn.Close() })
		if !s.implicitTLS {
			return conn, nil
		}
		tlsConn := tls.Client(conn, s.tls)
		if err := tlsConn.HandshakeContext(dialCtx); err != nil {
			conn.Close()
			return nil, err
		}
		return tlsConn, nil
	}
	client, err := gomail.NewClient(s.host, s.options(dial)...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("smtp %s: %w", s.Addr(), err)
	}
	return nil
}

func (s *SMTP) options(dial gomail.DialContextFunc) []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(sendTimeout),
		gomail.WithTLSConfig(s.tls),
		gomail.WithDialContextFunc(dial),
	}
	if s.implicitTLS {
		// The dialler does the TLS; this stops go-mail looking for STARTTLS.
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.user != "" {
		opts = append(opts,
			gomail.WithUsername(s.user),
			gomail.WithPassword(s.pass),
			gomail.WithOpportunisticSMTPAuth(authMechanisms...))
	}
	return opts
}
