package server

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"accountd"
	accounthttp "accountd/http"
)

// Config is everything the service can be told.
type Config struct {
	Addr           string
	Database       string
	SMTPURL        string
	MailFrom       string
	SecretKey      string
	LogLevel       slog.Level
	Service        accountd.Config
	Hash           accountd.HashParams
	HashConcurrent int
	ShutdownWait   time.Duration
	StoreWait      time.Duration
	Proxies        accounthttp.Proxies
	CORS           accounthttp.CORS
	MetricsAddr    string
}

// DefaultConfig is what a command runs with where its flags and their
// environment twins say nothing, or where it has no flag at all.
func DefaultConfig() Config {
	c := Config{
		Addr:         "127.0.0.1:8080",
		Database:     "sqlite:accountd.db",
		MailFrom:     "accountd <no-reply@localhost>",
		LogLevel:     slog.LevelInfo,
		Service:      accountd.DefaultConfig,
		Hash:         accountd.DefaultHashParams,
		ShutdownWait: 10 * time.Second,
		StoreWait:    time.Minute,
		Proxies:      accounthttp.Proxies{Header: "X-Forwarded-For"},
	}
	c.Service.PublicURL = "" // Start makes it of the address listened on
	return c
}

// Flags declares on fs the flags of c named in only, or all of them when
// only is empty, each defaulting to c's value. Serve takes all of them;
// the other commands take those they use, so that their help lists no
// others.
func (c *Config) Flags(fs *flag.FlagSet, only ...string) {
	all := flag.NewFlagSet("", flag.ContinueOnError)
	all.StringVar(&c.Addr, "addr", c.Addr, "address to listen on")
	all.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "address to serve Prometheus metrics on, at /metrics, apart from the API (default: none, no metrics served)")
	all.StringVar(&c.Database, "database", c.Database, "store: sqlite:PATH (embedded, the default) or postgres://…")
	all.StringVar(&c.SMTPURL, "smtp", c.SMTPURL, "SMTP server: smtp://[user:pass@]host[:port] (STARTTLS when offered, port 587 by default) or smtps://… (implicit TLS, port 465 by default); unset: mail is written to the log")
	all.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "From address of outgoing mail")
	all.StringVar(&c.Service.PublicURL, "public-url", c.Service.PublicURL, "public base URL of the service, used in mails (default: http:// and the address listened on)")
	all.StringVar(&c.SecretKey, "secret-key", c.SecretKey, "32-byte key, base64 or hex, that seals TOTP secrets at rest; unset with SQLite: the key in the file PATH"+KeyFileSuffix+" beside the database, made on first start")
	all.StringVar(&c.Service.Issuer, "issuer", c.Service.Issuer, "the name authenticator apps show for this service")
	all.DurationVar(&c.Service.SessionTTL, "token-ttl", c.Service.SessionTTL, "how long a session token lives")
	all.Var(&c.Service.IPLimit, "rate-limit-ip", "limit per client address for each of register, login (failed logins only), verify, resend, forgot and reset (N/DURATION, 0 for none)")
	all.Var(&c.Service.AccountLimit, "rate-limit-account", "limit per email address or account for each of those actions (for login: failed logins per email and client address), and per session for password checks (N/DURATION, 0 for none)")
	all.Var(&c.Service.LoginVerifyAfter, "login-verify-after", "failed logins per email, from every address, past which a right password is answered with a code mailed to the account instead of a session (N/DURATION, 0 for never)")
	all.Func("argon2-memory", fmt.Sprintf("argon2id memory per hash in KiB (default %d)", c.Hash.MemoryKiB), uintFlag(&c.Hash.MemoryKiB, 8))
	all.Func("argon2-iterations", fmt.Sprintf("argon2id passes (default %d)", c.Hash.Iterations), uintFlag(&c.Hash.Iterations, 1))
	all.Func("argon2-parallelism", fmt.Sprintf("argon2id lanes (default %d)", c.Hash.Parallelism), func(s string) error {
		var n uint32
		if err := uintFlag(&n, 1)(s); err != nil || n > 255 {
			return errors.New("want 1 to 255")
		}
		c.Hash.Parallelism = uint8(n)
		return nil
	})
	all.IntVar(&c.HashConcurrent, "hash-concurrency", c.HashConcurrent, "password hashes run at once; more queue (0: one per core)")
	all.DurationVar(&c.ShutdownWait, "shutdown-timeout", c.ShutdownWait, "how long to let in-flight requests finish on SIGINT/SIGTERM")
	all.DurationVar(&c.StoreWait, "store-wait", c.StoreWait, "how long to wait at start for a PostgreSQL server out of reach, answering /healthz meanwhile, before giving up")
	all.TextVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	all.Func("trusted-proxies", "reverse proxies whose forwarding header names the client, as a comma-separated list of CIDRs or addresses (default: none, every peer is the client)", func(s string) error {
		c.Proxies.Trusted = nil
		for _, item := range strings.Split(s, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			prefix, err := netip.ParsePrefix(item)
			if addr, addrErr := netip.ParseAddr(item); addrErr == nil {
				prefix, err = addr.Unmap().Prefix(addr.Unmap().BitLen())
			}
			if err != nil {
				return fmt.Errorf("%q is no CIDR (such as 10.0.0.0/8) or address", item)
			}
			c.Proxies.Trusted = append(c.Proxies.Trusted, prefix.Masked())
		}
		return nil
	})
	all.Func("cors-origins", "origins whose pages may call the API from a browser, comma-separated: scheme://host[:port], or https://*.example.com for its subdomains (default: none)", func(s string) (err error) {
		c.CORS, err = accounthttp.ParseCORS(s)
		return err
	})
	all.Func("proxy-header", "the header the trusted proxies append the client's address to: X-Forwarded-For (default) or Forwarded", func(s string) error {
		switch {
		case strings.EqualFold(s, "X-Forwarded-For"):
			c.Proxies.Header = "X-Forwarded-For"
		case strings.EqualFold(s, "Forwarded"):
			c.Proxies.Header = "Forwarded"
		default:
			return errors.New("want X-Forwarded-For or Forwarded")
		}
		return nil
	})
	declare := func(f *flag.Flag) { fs.Var(f.Value, f.Name, f.Usage) }
	if len(only) == 0 {
		all.VisitAll(declare)
	}
	for _, name := range only {
		declare(all.Lookup(name))
	}
}

func uintFlag(dst *uint32, least uint32) func(string) error {
	return func(s string) error {
		var n uint32
		if _, err := fmt.Sscan(s, &n); err != nil || n < least {
			return fmt.Errorf("want a whole number of at least %d", least)
		}
		*dst = n
		return nil
	}
}
