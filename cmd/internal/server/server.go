// Package server assembles the account service as accountd's commands run
// it: its configuration and their flags, the store a database URL names,
// the mail sender, and the HTTP server with its background work.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"accountd"
	accounthttp "accountd/http"
	"accountd/mail"
	"accountd/metrics"
	"accountd/postgres"
	"accountd/sqlite"
)

// Store is what the commands need of either store.
type Store interface {
	accountd.Store
	Migrate(ctx context.Context) (applied int, err error)
	SchemaVersion(ctx context.Context) (int, error)
}

// OpenStore opens and migrates the store the database URL names.
func OpenStore(ctx context.Context, database string, log *slog.Logger) (Store, error) {
	var db Store
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

// App is a running service: store, mail relay and HTTP server.
type App struct {
	Addr        string // the address listened on, its port resolved
	MetricsAddr string // where the metrics are served, "" for nowhere
	metrics     *http.Server
	log         *slog.Logger
	store       Store
	relay       *mail.Relay
	server      *http.Server
	wait        time.Duration
	cancel      context.CancelFunc
	workers     sync.WaitGroup
	served      chan error
}

// Start listens on c.Addr and serves at once: /healthz, and 503 to every
// other request until the store is open, which it waits for up to
// c.StoreWait while PostgreSQL is out of reach. Then it starts the mail
// relay and the janitor and serves the API.
func Start(ctx context.Context, c Config, log *slog.Logger) (*App, error) {
	sender, err := mailSender(c, log)
	if err != nil {
		return nil, err
	}
	// Listening comes first, so that a busy port fails the start before the
	// store is created or migrated and before a key file is written.
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return nil, err
	}
	if c.Service.PublicURL == "" {
		c.Service.PublicURL = listenedURL(c.Addr, ln.Addr())
	}
	// Serving starts at once, so that while the store is out of reach a
	// supervisor sees a live process (/healthz) that is not ready.
	var handler handlerSwitch
	handler.set(accounthttp.Waiting(log))
	server := &http.Server{
		Handler:           &handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- server.Serve(ln) }()
	m := metrics.New()
	metricsServer, metricsAddr, err := serveMetrics(c.MetricsAddr, m, log)
	if err != nil {
		server.Close()
		<-served
		return nil, err
	}
	fail := func(err error) (*App, error) {
		server.Close()
		<-served
		metricsServer.Close()
		return nil, err
	}
	store, err := waitForStore(ctx, c, ln.Addr().String(), log)
	if err != nil {
		return fail(err)
	}
	sealer, err := loadSealer(c, log)
	if err != nil {
		store.Close()
		return fail(err)
	}
	counted := m.Store(store)
	relay := mail.NewRelay(counted, sender, log)
	hasher := accountd.NewHasher(c.Hash, c.HashConcurrent)
	svc := accountd.NewService(counted, hasher, sealer, c.Service, log)
	svc.MailQueued, svc.RateLimited = relay.Notify, m.RateLimited
	m.WatchHasher(hasher)
	m.WatchOutbox(store)
	handler.set(accounthttp.NewServer(svc, counted, log, accounthttp.Config{Proxies: c.Proxies, CORS: c.CORS,
		PublicURL: c.Service.PublicURL, Metrics: m}))

	a := &App{Addr: ln.Addr().String(), MetricsAddr: metricsAddr, metrics: metricsServer, log: log, store: store,
		relay: relay, wait: c.ShutdownWait, server: server, served: served}
	workCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	a.workers.Add(2)
	go func() { defer a.workers.Done(); relay.Run(workCtx) }()
	go func() { defer a.workers.Done(); a.prune(workCtx) }()
	log.Info("listening", "addr", a.Addr, "public_url", c.Service.PublicURL)
	return a, nil
}

// serveMetrics serves m at /metrics on addr, on a listener of its own so
// that the API's clients never reach it. With no addr it serves nothing,
// and the server it returns only closes.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) (*http.Server, string, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if addr == "" {
		return server, "", nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("--metrics-addr: %w", err)
	}
	go server.Serve(ln)
	log.Info("serving metrics", "addr", ln.Addr().String())
	return server, ln.Addr().String(), nil
}

// handlerSwitch serves through the handler set last: the waiting one until
// the store is ready, then the API.
type handlerSwitch struct{ current atomic.Pointer[http.Handler] }

func (h *handlerSwitch) set(next http.Handler) { h.current.Store(&next) }

func (h *handlerSwitch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	(*h.current.Load()).ServeHTTP(w, r)
}

// waitForStore opens the store c names, trying again with back-off while
// it is out of reach, for up to c.StoreWait; an error that waiting cannot
// cure (a bad password, an unknown database, a newer schema) ends it at
// once.
func waitForStore(ctx context.Context, c Config, addr string, log *slog.Logger) (Store, error) {
	deadline := time.Now().Add(c.StoreWait)
	pause := 100 * time.Millisecond
	for {
		store, err := OpenStore(ctx, c.Database, log)
		if err == nil || !postgres.Unreachable(err) {
			return store, err
		}
		if time.Now().Add(pause).After(deadline) {
			return nil, fmt.Errorf("the store stayed out of reach for %s (--store-wait): %w", c.StoreWait, err)
		}
		log.Warn("store not reachable yet; answering 503 until it is", "addr", addr, "err", err, "retry_in", pause.String())
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
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
func mailSender(c Config, log *slog.Logger) (mail.Sender, error) {
	// Checked without a server too, so that a bad address shows on the
	// first start rather than on the first with a server.
	if _, err := netmail.ParseAddress(c.MailFrom); err != nil {
		return nil, fmt.Errorf(`--mail-from %q: want an address such as "accountd <no-reply@example.com>" or no-reply@example.com`, c.MailFrom)
	}
	if c.SMTPURL == "" {
		log.Warn("no SMTP server configured (--smtp); mail, codes included, goes to this log")
		return mail.LogSender{Logger: log}, nil
	}
	smtp, err := mail.NewSMTP(c.SMTPURL, c.MailFrom, nil)
	if err != nil {
		return nil, err
	}
	// NewSMTP has parsed the URL already.
	if u, _ := url.Parse(c.SMTPURL); u.Port() == "" {
		log.Info("the SMTP URL names no port; using its scheme's default", "smtp_server", smtp.Addr())
	}
	return smtp, nil
}

// prune clears expired rows now and then.
func (a *App) prune(ctx context.Context) {
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

// Stop drains in-flight requests, gives queued mail one more attempt and
// closes the store.
func (a *App) Stop() error {
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
	a.metrics.Close()
	a.log.Info("stopped")
	return shutdownErr
}

// KeyFileSuffix makes the name of a SQLite database's key file from the
// database's path.
const KeyFileSuffix = ".secret-key"

// loadSealer makes the Sealer of TOTP secrets from --secret-key or, for a
// SQLite store without one, from a key file beside the database, made on
// first start: a newcomer needs no set-up, and the key stays with the data
// it unlocks.
func loadSealer(c Config, log *slog.Logger) (*accountd.Sealer, error) {
	if c.SecretKey != "" {
		key, err := decodeKey(c.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("secret key: %w", err)
		}
		return accountd.NewSealer(key)
	}
	path, ok := strings.CutPrefix(c.Database, "sqlite:")
	if !ok {
		return nil, errors.New("set --secret-key (ACCOUNTD_SECRET_KEY): 32 bytes, base64 or hex, the same on every instance")
	}
	keyFile := path + KeyFileSuffix
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
		b = []byte(base64.StdEncoding.EncodeToString(RandomKey()))
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

// RandomKey is a fresh secret key.
func RandomKey() []byte {
	key := make([]byte, accountd.SecretKeySize)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return key
}
