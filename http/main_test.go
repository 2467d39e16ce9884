package http_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountd"
	accounthttp "accountd/http"
	"accountd/mail"
	"accountd/mail/mailtest"
	"accountd/postgres"
	"accountd/sqlite"

	"github.com/jackc/pgx/v5"
)

// env is one service under test: a real store (a SQLite file or a
// PostgreSQL database of its own), a real SMTP server and the real handler
// behind a loopback listener.
type env struct {
	t     testing.TB
	kind  storeKind
	url   string
	svc   *accountd.Service
	store accountd.Store
	smtp  *mailtest.Server
	// client sends the requests; nil is http.DefaultClient.
	client *http.Client
	// database is where the store is: a SQLite file or a PostgreSQL URL.
	database string
	// tuned is the service's configuration.
	tuned accountd.Config
}

// storeKind names a store an env can run on.
type storeKind string

const (
	sqliteStore   storeKind = "sqlite"
	postgresStore storeKind = "postgres"
)

// cheapHash keeps the tests fast; the cost parameters are tested elsewhere.
var cheapHash = accountd.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// eachStore runs fn in the subtests sqlite and postgres, each with an env
// of its own on that store.
func eachStore(t *testing.T, fn func(t *testing.T, e *env), tune ...func(*accountd.Config)) {
	t.Helper()
	for _, kind := range []storeKind{sqliteStore, postgresStore} {
		t.Run(string(kind), func(t *testing.T) { fn(t, newEnvOn(t, kind, tune...)) })
	}
}

// newEnv is newEnvOn on SQLite.
func newEnv(t testing.TB, tune ...func(*accountd.Config)) *env {
	t.Helper()
	return newEnvOn(t, sqliteStore, tune...)
}

func newEnvOn(t testing.TB, kind storeKind, tune ...func(*accountd.Config)) *env {
	t.Helper()
	ctx := context.Background()
	var database string
	switch kind {
	case sqliteStore:
		database = filepath.Join(t.TempDir(), "accountd.db")
	case postgresStore:
		database = freshPostgres(t)
	default:
		t.Fatalf("unknown store %q", kind)
	}
	store := openStore(t, kind, database)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	smtp := mailtest.Start(t)
	cfg := accountd.DefaultConfig
	cfg.IPLimit, cfg.AccountLimit, cfg.LoginVerifyAfter, cfg.ForgotMinDuration = accountd.Rate{}, accountd.Rate{}, accountd.Rate{}, 0
	for _, f := range tune {
		f(&cfg)
	}
	e := &env{t: t, kind: kind, store: store, smtp: smtp, database: database, tuned: cfg}
	e.serve()
	return e
}

// migratingStore is either store, as the tests open it.
type migratingStore interface {
	accountd.Store
	Migrate(context.Context) (int, error)
}

// openStore opens the store of kind at database, closed when t ends.
func openStore(t testing.TB, kind storeKind, database string) migratingStore {
	t.Helper()
	var store migratingStore
	var err error
	if kind == sqliteStore {
		store, err = sqlite.Open(context.Background(), database)
	} else {
		store, err = postgres.Open(context.Background(), database)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// serve starts e's service on e.store, configured as e.tuned, with a
// relay of its mail to e.smtp, behind a loopback server, which trusts a
// loopback peer's X-Forwarded-For: a test names a client's address there.
func (e *env) serve() {
	t := e.t
	sender, err := mail.NewSMTP(e.smtp.URL(), "accountd <no-reply@example.com>", nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	relay := mail.NewRelay(e.store, sender, log)
	relay.PollInterval = 50 * time.Millisecond
	key := make([]byte, accountd.SecretKeySize)
	rand.Read(key)
	sealer, err := accountd.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = accountd.NewService(e.store, accountd.NewHasher(cheapHash, 0), sealer, e.tuned, log)
	e.svc.MailQueued = relay.Notify
	relayCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { relay.Run(relayCtx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	proxies := accounthttp.Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Header: "X-Forwarded-For"}
	e.url = serveValidated(t, accounthttp.NewServer(e.svc, e.store, log, accounthttp.Config{Proxies: proxies})).URL
}

// another is a second instance of e's service: its own store handle on
// the same database, its own service and server, mailing through e's
// SMTP server.
func (e *env) another() *env {
	other := *e
	other.store = openStore(e.t, e.kind, e.database)
	other.serve()
	return &other
}

// postgresServer is the server the postgres variants create their databases
// on: a postgres:// URL whose user may create databases.
func postgresServer() string {
	if u := os.Getenv("ACCOUNTD_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// freshPostgres creates an empty database for t, drops it when t ends and
// returns its URL. With no server to reach it skips t, except under CI,
// where the postgres variants must run.
func freshPostgres(t testing.TB) string {
	t.Helper()
	server := postgresServer()
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("ACCOUNTD_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	connect := func() (*pgx.Conn, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return pgx.Connect(ctx, server)
	}
	admin, err := connect()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no PostgreSQL server at %s, and CI must run these tests: %v", u.Redacted(), err)
		}
		t.Skipf("no PostgreSQL server at %s (set ACCOUNTD_TEST_POSTGRES to another): %v", u.Redacted(), err)
	}
	defer admin.Close(context.Background())
	suffix := make([]byte, 6)
	rand.Read(suffix)
	name := "accountd_http_" + hex.EncodeToString(suffix)
	if _, err := admin.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := connect()
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close(context.Background())
		// FORCE (PostgreSQL 13 and later) ends connections a failed test left.
		if _, err := admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// response is a decoded envelope.
type response struct {
	Status int
	Header http.Header
	Env    struct {
		Status  string          `json:"status"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
}

// errorData decodes the data of an error envelope.
func (r *response) errorData(t testing.TB) (code string, fields []string) {
	t.Helper()
	var d struct {
		Code   string `json:"code"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.Env.Data, &d); err != nil {
		t.Fatalf("error data %s: %v", r.Env.Data, err)
	}
	for _, e := range d.Errors {
		if e.Message == "" {
			t.Errorf("field error for %s has no message", e.Field)
		}
		fields = append(fields, e.Field)
	}
	return d.Code, fields
}

func (r *response) data(t testing.TB, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Env.Data, dst); err != nil {
		t.Fatalf("data %s: %v", r.Env.Data, err)
	}
}

// raw sends body as given with the given headers.
func (e *env) raw(method, path string, header map[string]string, body []byte) *response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := e.client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	out := &response{Status: res.StatusCode, Header: res.Header}
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &out.Env); err != nil {
		e.t.Fatalf("%s %s: body is not the envelope: %q", method, path, b)
	}
	if want := map[bool]string{true: "success", false: "error"}[res.StatusCode < 400]; out.Env.Status != want {
		e.t.Fatalf("%s %s: status %d with envelope status %q", method, path, res.StatusCode, out.Env.Status)
	}
	if out.Env.Message == "" {
		e.t.Fatalf("%s %s: envelope without a message", method, path)
	}
	return out
}

// do sends body as JSON, with the token when one is given.
func (e *env) do(method, path, token string, body any) *response {
	e.t.Helper()
	h := map[string]string{}
	var b []byte
	if body != nil {
		h["Content-Type"] = "application/json"
		var err error
		if b, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return e.raw(method, path, h, b)
}

func (e *env) must(status int, r *response) *response {
	e.t.Helper()
	if r.Status != status {
		e.t.Fatalf("status %d, want %d: %s %s", r.Status, status, r.Env.Message, r.Env.Data)
	}
	return r
}

type authData struct {
	Token     string         `json:"token"`
	ExpiresAt string         `json:"expiresAt"`
	Account   map[string]any `json:"account"`
}

const password = "correct horse battery"

// register opens an account and returns its token and the account.
func (e *env) register(email, first, last string) authData {
	e.t.Helper()
	var a authData
	e.must(201, e.do("POST", "/v1/auth/register", "", map[string]string{
		"email": email, "password": password, "firstName": first, "lastName": last,
	})).data(e.t, &a)
	return a
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// mailedCode waits for the next mail to `to` and returns the code in it.
func (e *env) mailedCode(to string) string {
	e.t.Helper()
	m := e.smtp.WaitFor(e.t, to, 10*time.Second)
	c := codeRE.FindStringSubmatch(m.Body)
	if c == nil {
		e.t.Fatalf("no code in mail %q: %q", m.Subject, m.Body)
	}
	return c[1]
}

func (e *env) account(token string) map[string]any {
	e.t.Helper()
	var a map[string]any
	e.must(200, e.do("GET", "/v1/account", token, nil)).data(e.t, &a)
	return a
}

// mustJSON is a compact rendering for messages.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}

type accountdConfig = accountd.Config

func rate(n int, window time.Duration) accountd.Rate { return accountd.Rate{N: n, Window: window} }
