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
	netmail "net/mail"
	"net/url"
	"os"
	"slices"
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

// helpArgs ask for help, as a command or as a flag.
var helpArgs = []string{"help", "-h", "-help", "--help"}

// run is the whole program: main only hands it the process's surroundings.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || slices.Contains(helpArgs, args[0])) {
		cmd, args = args[0], args[1:]
	}
	switch {
	case cmd == "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case cmd == "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case cmd == "bench":
		return bench(ctx, args, getenv, stdout, stderr)
	case cmd == "admin":
		return admin(ctx, args, getenv, stdout, stderr)
	case slices.Contains(helpArgs, cmd):
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return &usageError{cmd: "accountd", err: fmt.Errorf("unknown command %q", cmd)}
	}
}

// usageError is a command line that does not parse. main exits with status
// 2 on it, as the flag package does, and its message points to the
// command's help rather than printing all of it.
type usageError struct {
	cmd string // the command whose help to point to, such as "accountd serve"
	err error
}

func (e *usageError) Error() string {
	return fmt.Sprintf("%v\nRun '%s --help' for usage.", e.err, e.cmd)
}

func (e *usageError) Unwrap() error { return e.err }

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

// defaultConfig is what a command runs with where its flags and their
// environment twins say nothing, or where it has no flag at all.
func defaultConfig() config {
	c := config{
		addr:         "127.0.0.1:8080",
		database:     "sqlite:accountd.db",
		mailFrom:     "accountd <no-reply@localhost>",
		logLevel:     slog.LevelInfo,
		service:      accountd.DefaultConfig,
		hash:         accountd.DefaultHashParams,
		shutdownWait: 10 * time.Second,
	}
	c.service.PublicURL = "" // start makes it of the address listened on
	return c
}

// flags declares on fs the flags of c named in only, or all of them when
// only is empty, each defaulting to c's value. Serve takes all of them;
// the other commands take those they use, so that their help lists no
// others.
func (c *config) flags(fs *flag.FlagSet, only ...string) {
	all := flag.NewFlagSet("", flag.ContinueOnError)
	all.StringVar(&c.addr, "addr", c.addr, "address to listen on")
	all.StringVar(&c.database, "database", c.database, "store: sqlite:PATH (embedded, the default) or postgres://…")
	all.StringVar(&c.smtpURL, "smtp", c.smtpURL, "SMTP server: smtp://[user:pass@]host[:port] (STARTTLS when offered, port 587 by default) or smtps://… (implicit TLS, port 465 by default); unset: mail is written to the log")
	all.StringVar(&c.mailFrom, "mail-from", c.mailFrom, "From address of outgoing mail")
	all.StringVar(&c.service.PublicURL, "public-url", c.service.PublicURL, "public base URL of the service, used in mails (default: http:// and the address listened on)")
	all.StringVar(&c.secretKey, "secret-key", c.secretKey, "32-byte key, base64 or hex, that seals TOTP secrets at rest; unset with SQLite: the key in the file PATH"+keyFileSuffix+" beside the database, made on first start")
	all.StringVar(&c.service.Issuer, "issuer", c.service.Issuer, "the name authenticator apps show for this service")
	all.DurationVar(&c.service.SessionTTL, "token-ttl", c.service.SessionTTL, "how long a session token lives")
	all.Var(&c.service.IPLimit, "rate-limit-ip", "limit per client address for each of register, login, verify, resend, forgot and reset (N/DURATION, 0 for none)")
	all.Var(&c.service.AccountLimit, "rate-limit-account", "limit per email address or account for each of those actions (N/DURATION, 0 for none)")
	all.Func("argon2-memory", fmt.Sprintf("argon2id memory per hash in KiB (default %d)", c.hash.MemoryKiB), uintFlag(&c.hash.MemoryKiB, 8))
	all.Func("argon2-iterations", fmt.Sprintf("argon2id passes (default %d)", c.hash.Iterations), uintFlag(&c.hash.Iterations, 1))
	all.Func("argon2-parallelism", fmt.Sprintf("argon2id lanes (default %d)", c.hash.Parallelism), func(s string) error {
		var n uint32
		if err := uintFlag(&n, 1)(s); err != nil || n > 255 {
			return errors.New("want 1 to 255")
		}
		c.hash.Parallelism = uint8(n)
		return nil
	})
	all.IntVar(&c.hashConcurrent, "hash-concurrency", c.hashConcurrent, "password hashes run at once; more queue (0: one per core)")
	all.DurationVar(&c.shutdownWait, "shutdown-timeout", c.shutdownWait, "how long to let in-flight requests finish on SIGINT/SIGTERM")
	all.TextVar(&c.logLevel, "log-level", c.logLevel, "debug, info, warn or error")
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
// environment twin. Asked for help, it prints help, the command's usage
// and then its flags, to stdout and returns flag.ErrHelp. A command line
// or environment that does not parse is a usageError.
func parse(fs *flag.FlagSet, help string, args []string, getenv func(string) string, stdout io.Writer) error {
	fs.VisitAll(func(f *flag.Flag) { f.Usage = fmt.Sprintf("%s [$%s]", f.Usage, envName(f.Name)) })
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, help, "\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return &usageError{cmd: fs.Name(), err: err}
	}
	if fs.NArg() > 0 {
		return &usageError{cmd: fs.Name(), err: fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if given[f.Name] || v == "" || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = &usageError{cmd: fs.Name(), err: fmt.Errorf("$%s: %w", envName(f.Name), e)}
		}
	})
	return err
}

// newFlagSet returns the flag set of the command name. It writes nothing
// itself: parse prints the help, and main the error of a command line that
// does not parse, without the whole help after it.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("accountd "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
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

const migrateUsage = `Usage: accountd migrate [flags]

Brings the database schema up to date and exits.
`

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := newFlagSet("migrate")
	c.flags(fs, "database")
	if err := parse(fs, migrateUsage, args, getenv, stdout); err != nil {
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

const serveUsage = `Usage: accountd [serve] [flags]

Serves the account API over HTTP until SIGINT or SIGTERM, after bringing
the database schema up to date. Every flag also reads the environment
variable named in its help.
`

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := defaultConfig()
	fs := newFlagSet("serve")
	c.flags(fs)
	if err := parse(fs, serveUsage, args, getenv, stdout); err != nil {
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

// start listens on c.addr, opens the store, starts the mail relay and the
// janitor, and begins serving HTTP.
func start(ctx context.Context, c config, log *slog.Logger) (*app, error) {
	sender, err := mailSender(c, log)
	if err != nil {
		return nil, err
	}
	// Listening comes first, so that a busy port fails the start before the
	// store is created or migrated and before a key file is written.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if c.service.PublicURL == "" {
		c.service.PublicURL = listenedURL(c.addr, ln.Addr())
	}
	store, err := openStore(ctx, c.database, log)
	if err != nil {
		ln.Close()
		return nil, err
	}
	sealer, err := loadSealer(c, log)
	if err != nil {
		ln.Close()
		store.Close()
		return nil, err
	}
	relay := mail.NewRelay(store, sender, log)
	svc := accountd.NewService(store, accountd.NewHasher(c.hash, c.hashConcurrent), sealer, c.service, log)
	svc.MailQueued = relay.Notify

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
	log.Info("listening", "addr", a.addr, "public_url", c.service.PublicURL)
	return a, nil
}

// listenedURL is the base URL of listened, the address that listening on
// addr took, for mails when no public URL is set: addr's host, or
// localhost where addr names none or every interface, and the port taken,
// which for port 0 addr does not tell.
func listenedURL(addr string, listened net.Addr) string {
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(listened.String())
	return "http://" + net.JoinHostPort(host, port)
}

// mailSender is the Sender c names: SMTP, or the log when no server is set.
func mailSender(c config, log *slog.Logger) (mail.Sender, error) {
	// Checked without a server too, so that a bad address shows on the
	// first start rather than on the first with a server.
	if _, err := netmail.ParseAddress(c.mailFrom); err != nil {
		return nil, fmt.Errorf(`--mail-from %q: want an address such as "accountd <no-reply@example.com>" or no-reply@example.com`, c.mailFrom)
	}
	if c.smtpURL == "" {
		log.Warn("no SMTP server configured (--smtp); mail, codes included, goes to this log")
		return mail.LogSender{Logger: log}, nil
	}
	smtp, err := mail.NewSMTP(c.smtpURL, c.mailFrom, nil)
	if err != nil {
		return nil, err
	}
	// NewSMTP has parsed the URL already.
	if u, _ := url.Parse(c.smtpURL); u.Port() == "" {
		log.Info("the SMTP URL names no port; using its scheme's default", "smtp_server", smtp.Addr())
	}
	return smtp, nil
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

// keyFileSuffix makes the name of a SQLite database's key file from the
// database's path.
const keyFileSuffix = ".secret-key"

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
	keyFile := path + keyFileSuffix
	b, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		// The file was PATH.key before it had a name that says what it
		// is. Renaming it, rather than reading either name, leaves one
		// name to keep out of version control and in backups.
		oldFile := path + ".key"
		if err = os.Rename(oldFile, keyFile); err == nil {
			log.Info("renamed the secret key file", "from", oldFile, "to", keyFile)
			b, err = os.ReadFile(keyFile)
		}
	}
	if errors.Is(err, os.ErrNotExist) {
		b = []byte(base64.StdEncoding.EncodeToString(randomKey()))
		if err := os.WriteFile(keyFile, b, 0o600); err != nil {
			return nil, fmt.Errorf("secret key file: %w", err)
		}
		log.Warn("no secret key configured; made a key file beside the database, without which every authenticator setup is lost: keep it with the database, backups too, or set ACCOUNTD_SECRET_KEY", "file", keyFile)
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
