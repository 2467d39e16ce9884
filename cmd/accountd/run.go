package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"accountd"
	accounthttp "accountd/http"
	"accountd/mail"
	"accountd/postgres"
	"accountd/sqlite"
)

const usage = `accountd: the account service.

Usage:
  accountd [serve] [flags]   start the HTTP server (the default)
  accountd migrate [flags]   bring the database schema up to date and exit
  accountd admin create ...  open the first admin account
  accountd bench [flags]     measure throughput and latency on this machine

Run 'accountd COMMAND --help' for the flags of a command. Every flag also
reads an ACCOUNTD_ environment variable, named in its help.
`

// run is the whole program: main only hands it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "bench":
		return bench(ctx, args, getenv, stdout, stderr)
	case "admin":
		return admin(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}

// config is everything serve can be told.
type config struct {
	addr           string
	database       string
	smtpURL        string
	mailFrom       string
	secretKey      string
	logLevel       slog.Level
	service        accountd.Config
	hash           accountd.HashParams
	hashConcurrent int
	shutdownWait   time.Duration
}

// flags declares the flags of serve (and of the commands that share them)
// on fs, each with its ACCOUNTD_ environment twin.
func (c *config) flags(fs *flag.FlagSet) {
	c.service = accountd.DefaultConfig
	c.hash = accountd.DefaultHashParams
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&c.database, "database", "sqlite:accountd.db", "store: sqlite:PATH (embedded, the default) or postgres://…")
	fs.StringVar(&c.smtpURL, "smtp", "", "SMTP server: smtp://[user:pass@]host:port (STARTTLS when offered) or smtps://… (implicit TLS); unset: mail is written to the log")
	fs.StringVar(&c.mailFrom, "mail-from", "accountd <no-reply@localhost>", "From address of outgoing mail")
	fs.StringVar(&c.service.PublicURL, "public-url", c.service.PublicURL, "public base URL of the service, used in mails")
	fs.StringVar(&c.secretKey, "secret-key", "", "32-byte key, base64 or hex, that seals TOTP secrets at rest; unset with SQLite: a key file beside the database is made and used")
	fs.StringVar(&c.service.Issuer, "issuer", c.service.Issuer, "the name authenticator apps show for this service")
	fs.DurationVar(&c.service.SessionTTL, "token-ttl", c.service.SessionTTL, "how long a session token lives")
	fs.Var(&c.service.IPLimit, "rate-limit-ip", "limit per client address for each of register, login, verify, resend, forgot and reset (N/DURATION, 0 for none)")
	fs.Var(&c.service.AccountLimit, "rate-limit-account", "limit per email address or account for each of those actions (N/DURATION, 0 for none)")
	fs.Func("argon2-memory", fmt.Sprintf("argon2id memory per hash in KiB (default %d)", c.hash.MemoryKiB), uintFlag(&c.hash.MemoryKiB, 8))
	fs.Func("argon2-iterations", fmt.Sprintf("argon2id passes (default %d)", c.hash.Iterations), uintFlag(&c.hash.Iterations, 1))
	fs.Func("argon2-parallelism", fmt.Sprintf("argon2id lanes (default %d)", c.hash.Parallelism), func(s string) error {
		var n uint32
		if err := uintFlag(&n, 1)(s); err != nil || n > 255 {
			return errors.New("want 1 to 255")
		}
		c.hash.Parallelism = uint8(n)
		return nil
	})
	fs.IntVar(&c.hashConcurrent, "hash-concurrency", 0, "password hashes run at once; more queue (0: one per core)")
	fs.DurationVar(&c.shutdownWait, "shutdown-timeout", 10*time.Second, "how long to let in-flight requests finish on SIGINT/SIGTERM")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
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

// envName is a flag's environment twin.
func envName(flagName string) string {
	switch flagName {
	case "database":
		return "ACCOUNTD_DATABASE_URL"
	case "smtp":
		return "ACCOUNTD_SMTP_URL"
	}
	return "ACCOUNTD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parse reads args, then fills each flag not given there from its
// environment twin.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.VisitAll(func(f *flag.Flag) { f.Usage = fmt.Sprintf("%s [$%s]", f.Usage, envName(f.Name)) })
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if given[f.Name] || v == "" || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("$%s: %w", envName(f.Name), e)
		}
	})
	return err
}

func newFlagSet(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("accountd "+name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	return fs
}

// store is what the command needs of either store.
type store interface {
	accountd.Store
	Migrate(ctx context.Context) (applied int, err error)
	SchemaVersion(ctx context.Context) (int, error)
}

// openStore opens and migrates the store the database URL names.
func openStore(ctx context.Context, database string, log *slog.Logger) (store, error) {
	var db store
	var name string
	switch {
	case strings.HasPrefix(database, "sqlite:") && len(database) > len("sqlite:"):
		s, err := sqlite.Open(ctx, strings.TrimPrefix(database, "sqlite:"))
		if err != nil {
			return nil, err
		}
		db, name = s, database
	case strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://"):
		u, err := url.Parse(database)
		if err != nil {
			return nil, errors.New("database: not a valid postgres:// URL")
		}
		p, err := postgres.Open(ctx, database)
		if err != nil {
			return nil, err
		}
		db, name = p, u.Redacted() // the log must not show a password
	default:
		return nil, fmt.Errorf("database %q: want sqlite:PATH or postgres://…", database)
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Info("store ready", "database", name, "migrations_applied", applied)
	return db, nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("migrate", stdout)
	fs.StringVar(&c.database, "database", "sqlite:accountd.db", "store: sqlite:PATH or postgres://…")
	if err := parse(fs, args, getenv); err != nil {
		return ignoreHelp(err)
	}
	db, err := openStore(ctx, c.database, slog.New(slog.NewJSONHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d\n", v)
	return nil
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlagSet("serve", stdout)
	c.flags(fs)
	if err := parse(fs, args, getenv); err != nil {
		return ignoreHelp(err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: c.logLevel}))
	app, err := start(ctx, c, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return app.stop()
}

// app is a running service: store, mail relay and HTTP server.
type app struct {
	addr    string
	log     *slog.Logger
	store   store
	relay   *mail.Relay
	server  *http.Server
	wait    time.Duration
	cancel  context.CancelFunc
	workers sync.WaitGroup
	served  chan error
}

// start opens the store, starts the mail relay and the janitor, and begins
// serving HTTP on c.addr.
func start(ctx context.Context, c config, log *slog.Logger) (*app, error) {
	store, err := openStore(ctx, c.database, log)
	if err != nil {
		return nil, err
	}
	var sender mail.Sender = mail.LogSender{Logger: log}
	if c.smtpURL != "" {
		if sender, err = mail.NewSMTP(c.smtpURL, c.mailFrom, nil); err != nil {
			store.Close()
			return nil, err
		}
	} else {
		log.Warn("no SMTP server configured (--smtp); mail, codes included, goes to this log")
	}
	sealer, err := loadSealer(c, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	relay := mail.NewRelay(store, sender, log)
	svc := accountd.NewService(store, accountd.NewHasher(c.hash, c.hashConcurrent), sealer, c.service, log)
	svc.MailQueued = relay.Notify

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		store.Close()
		return nil, err
	}
	a := &app{
		addr: ln.Addr().String(), log: log, store: store, relay: relay, wait: c.shutdownWait, served: make(chan error, 1),
		server: &http.Server{
			Handler:           accounthttp.NewServer(svc, store, log),
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
	workCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	a.workers.Add(2)
	go func() { defer a.workers.Done(); relay.Run(workCtx) }()
	go func() { defer a.workers.Done(); a.prune(workCtx) }()
	go func() { a.served <- a.server.Serve(ln) }()
	log.Info("listening", "addr", a.addr)
	return a, nil
}

// prune clears expired rows now and then.
func (a *app) prune(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := a.store.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn("pruning expired rows failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stop drains in-flight requests, gives queued mail one more attempt and
// closes the store.
func (a *app) stop() error {
	a.log.Info("shutting down", "wait", a.wait.String())
	ctx, cancel := context.WithTimeout(context.Background(), a.wait)
	defer cancel()
	shutdownErr := a.server.Shutdown(ctx)
	if err := <-a.served; !errors.Is(err, http.ErrServerClosed) {
		shutdownErr = errors.Join(shutdownErr, err)
	}
	a.cancel()
	a.workers.Wait()
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelFlush()
	if err := a.relay.Flush(flushCtx); err != nil {
		a.log.Warn("last mail delivery attempt failed; the mail stays queued", "err", err)
	}
	if err := a.store.Close(); err != nil {
		shutdownErr = errors.Join(shutdownErr, err)
	}
	a.log.Info("stopped")
	return shutdownErr
}

// loadSealer makes the Sealer of TOTP secrets from --secret-key or, for a
// SQLite store without one, from a key file beside the database, made on
// first start: a newcomer needs no set-up, and the key stays with the data
// it unlocks.
func loadSealer(c config, log *slog.Logger) (*accountd.Sealer, error) {
	if c.secretKey != "" {
		key, err := decodeKey(c.secretKey)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		return accountd.NewSealer(key)
	}
	path, ok := strings.CutPrefix(c.database, "sqlite:")
	if !ok {
		return nil, errors.New("set --secret-key (ACCOUNTD_SECRET_KEY): 32 bytes, base64 or hex, the same on every instance")
	}
	keyFile := path + ".key"
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		b = []byte(base64.StdEncoding.EncodeToString(randomKey()))
		if err := os.WriteFile(keyFile, b, 0o600); err != nil {
			return nil, fmt.Errorf("secret key file: %w", err)
		}
		log.Warn("no secret key configured; made a key file beside the database: keep it with the database, or set ACCOUNTD_SECRET_KEY", "file", keyFile)
	} else if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	key, err := decodeKey(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", keyFile, err)
	}
	return accountd.NewSealer(key)
}

func decodeKey(s string) ([]byte, error) {
	for _, decode := range []func(string) ([]byte, error){hex.DecodeString, base64.StdEncoding.DecodeString, base64.RawURLEncoding.DecodeString} {
		if key, err := decode(s); err == nil && len(key) == accountd.SecretKeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("want %d bytes in base64 or hex", accountd.SecretKeySize)
}

func randomKey() []byte {
	key := make([]byte, accountd.SecretKeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return key
}
