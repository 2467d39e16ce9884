package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"accountd/mail/mailtest"
)

// testPostgres returns the URL of a fresh database on the server at
// ACCOUNTD_TEST_POSTGRES (by default the local one). With no server to
// reach it skips the test, except under CI, where these tests must run.
func testPostgres(t *testing.T) string {
	t.Helper()
	server := os.Getenv("ACCOUNTD_TEST_POSTGRES")
	if server == "" {
		server = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		where := server
		if u, perr := url.Parse(server); perr == nil {
			where = u.Redacted()
		}
		if os.Getenv("CI") != "" {
			t.Fatalf("no PostgreSQL server at %s, and CI must run these tests: %v", where, err)
		}
		t.Skipf("no PostgreSQL server at %s (set ACCOUNTD_TEST_POSTGRES to another): %v", where, err)
	}
	conn.Close(ctx)
	return freshDatabase(t, server)
}

// serveArgs are the flags of an instance on database: one key for every
// instance, and hashing cheap enough for tests.
func serveArgs(database string, extra ...string) []string {
	return append([]string{"--addr", "127.0.0.1:0", "--database", database, "--secret-key", strings.Repeat("ab", 32),
		"--argon2-memory", "64", "--argon2-iterations", "1", "--argon2-parallelism", "1"}, extra...)
}

// apiReply is an answer in the envelope.
type apiReply struct {
	status  int
	header  http.Header
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// send makes a request with a JSON body (none when body is "") and the
// bearer token when one is given, and checks that the answer is the
// envelope. It is safe to call from any goroutine.
func apiSend(method, url, token, body string) (*apiReply, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	r := &apiReply{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s %s: %d, body is not the envelope: %q", method, url, res.StatusCode, b)
	}
	if want := map[bool]string{true: "success", false: "error"}[res.StatusCode < 400]; r.Status != want || r.Message == "" {
		return nil, fmt.Errorf("%s %s: %d with envelope status %q message %q", method, url, res.StatusCode, r.Status, r.Message)
	}
	return r, nil
}

// call is send for the test's goroutine; the test fails unless the answer
// has the status want.
func apiCall(t *testing.T, want int, method, url, token, body string) *apiReply {
	t.Helper()
	r, err := apiSend(method, url, token, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != want {
		t.Fatalf("%s %s: %d, want %d: %s %s", method, url, r.status, want, r.Message, r.Data)
	}
	return r
}

func (r *apiReply) decode(t *testing.T, dst any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, dst); err != nil {
		t.Fatalf("data %s: %v", r.Data, err)
	}
}

// code is the error code of an error envelope.
func (r *apiReply) code(t *testing.T) string {
	t.Helper()
	var d struct{ Code string }
	r.decode(t, &d)
	return d.Code
}

type apiAuth struct {
	Token   string
	Account struct {
		ID            string `json:"_id"`
		EmailVerified bool   `json:"emailVerified"`
	}
}

// mailedCode waits for the next mail to `to` and returns the code in it.
func mailedCode(t *testing.T, smtp *mailtest.Server, to string) string {
	t.Helper()
	m := smtp.WaitFor(t, to, 10*time.Second)
	code := sixDigits.FindString(m.Body)
	if code == "" {
		t.Fatalf("no code in mail %q: %q", m.Subject, m.Body)
	}
	return code
}

// TestTwoInstancesShareOneDatabase runs two instances of the program on one
// PostgreSQL database and one SMTP server: what one does, the other sees.
func TestTwoInstancesShareOneDatabase(t *testing.T) {
	database := testPostgres(t)
	smtp := mailtest.Start(t)
	args := serveArgs(database, "--smtp", smtp.URL(), "--mail-from", "accountd <no-reply@example.com>",
		"--rate-limit-ip", "0", "--rate-limit-account", "5/1m")
	a, logA, _ := startServe(t, args, nil)
	b, logB, _ := startServe(t, args, nil)
	const pw = "a long and secret passphrase"
	registerBody := func(email string) string {
		return `{"email":"` + email + `","password":"` + pw + `","firstName":"Two","lastName":"Instances"}`
	}

	// a. A token from one instance works on the other, both ways.
	var reg apiAuth
	apiCall(t, 201, "POST", a+"/v1/auth/register", "", registerBody("shared@example.com")).decode(t, &reg)
	var got apiAuth
	apiCall(t, 200, "GET", b+"/v1/account", reg.Token, "").decode(t, &got.Account)
	if got.Account.ID != reg.Account.ID || reg.Account.ID == "" {
		t.Fatalf("B shows account %q for A's token of %q", got.Account.ID, reg.Account.ID)
	}
	var login apiAuth
	apiCall(t, 200, "POST", b+"/v1/auth/login", "", `{"email":"shared@example.com","password":"`+pw+`"}`).decode(t, &login)
	apiCall(t, 200, "GET", a+"/v1/account", login.Token, "")

	// b. A mailed code used on one instance is spent on the other.
	code := mailedCode(t, smtp, "shared@example.com")
	apiCall(t, 200, "POST", a+"/v1/auth/email/verify", reg.Token, `{"code":"`+code+`"}`)
	if c := apiCall(t, 409, "POST", b+"/v1/auth/email/verify", reg.Token, `{"code":"`+code+`"}`).code(t); c != "email_already_verified" {
		t.Fatalf("verify on B: code %q", c)
	}
	apiCall(t, 200, "GET", b+"/v1/account", reg.Token, "").decode(t, &got.Account)
	if !got.Account.EmailVerified {
		t.Fatal("B does not see the address A verified")
	}
	apiCall(t, 202, "POST", b+"/v1/auth/password/forgot", "", `{"email":"shared@example.com"}`)
	code = mailedCode(t, smtp, "shared@example.com")
	reset := func(code, newPassword string) string {
		return `{"email":"shared@example.com","code":"` + code + `","newPassword":"` + newPassword + `"}`
	}
	apiCall(t, 200, "POST", a+"/v1/auth/password/reset", "", reset(code, "the first new passphrase"))
	if c := apiCall(t, 422, "POST", b+"/v1/auth/password/reset", "", reset(code, "a second new passphrase")).code(t); c != "invalid_code" {
		t.Fatalf("reset on B with A's spent code: code %q", c)
	}
	apiCall(t, 401, "GET", b+"/v1/account", login.Token, "") // the reset on A ended B's session
	if m := smtp.WaitFor(t, "shared@example.com", 10*time.Second); !strings.Contains(m.Subject, "password was changed") {
		t.Fatalf("expected the password-changed notice, got %q", m.Subject)
	}
	// The same code sent to both at once: exactly one takes it.
	apiCall(t, 202, "POST", a+"/v1/auth/password/forgot", "", `{"email":"shared@example.com"}`)
	code = mailedCode(t, smtp, "shared@example.com")
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, base := range []string{a, b} {
		wg.Go(func() {
			r, err := apiSend("POST", base+"/v1/auth/password/reset", "", reset(code, "the raced new passphrase"))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = r.status
		})
	}
	wg.Wait()
	if !(statuses[0] == 200 && statuses[1] == 422 || statuses[0] == 422 && statuses[1] == 200) {
		t.Fatalf("one code sent to A and B at once: %v, want one 200 and one 422", statuses)
	}
	smtp.WaitFor(t, "shared@example.com", 10*time.Second) // the second password-changed notice

	// c. A limit reached through A holds on B, even for the right password.
	apiCall(t, 201, "POST", a+"/v1/auth/register", "", registerBody("limited@example.com"))
	smtp.WaitFor(t, "limited@example.com", 10*time.Second)
	for range 5 {
		apiCall(t, 401, "POST", a+"/v1/auth/login", "", `{"email":"limited@example.com","password":"not the passphrase"}`)
	}
	r := apiCall(t, 429, "POST", b+"/v1/auth/login", "", `{"email":"limited@example.com","password":"`+pw+`"}`)
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("Retry-After %q on B", r.header.Get("Retry-After"))
	}
	if c := r.code(t); c != "rate_limited" {
		t.Fatalf("code %q", c)
	}
	apiCall(t, 200, "POST", b+"/v1/auth/login", "", `{"email":"shared@example.com","password":"the raced new passphrase"}`)

	// d. Both relays deliver from one outbox; each mail goes out once.
	// Registrations and then forgotten passwords, at once on both
	// instances, so that both relays are woken together.
	const users = 6
	recipient := func(i int) string { return fmt.Sprintf("outbox%d@example.com", i) }
	// atOnce sends every user's request at the same time, half to A and
	// half to B.
	atOnce := func(want int, path string, body func(i int) string) {
		for i := range users {
			target := []string{a, b}[i%2] + path
			wg.Go(func() {
				if r, err := apiSend("POST", target, "", body(i)); err != nil {
					t.Error(err)
				} else if r.status != want {
					t.Errorf("POST %s: %d, want %d: %s", target, r.status, want, r.Message)
				}
			})
		}
		wg.Wait()
	}
	atOnce(201, "/v1/auth/register", func(i int) string { return registerBody(recipient(i)) })
	atOnce(202, "/v1/auth/password/forgot", func(i int) string { return `{"email":"` + recipient(i) + `"}` })
	if t.Failed() {
		t.FailNow()
	}
	for i := range users {
		for range 2 {
			smtp.WaitFor(t, recipient(i), 10*time.Second)
		}
	}
	// All delivered. A relay that took a mail the other had taken would
	// send it at its next pass; the relays look every second.
	time.Sleep(2500 * time.Millisecond)
	for i := range users {
		if n := smtp.Count(recipient(i)); n != 2 {
			t.Errorf("%s received %d mails, want 2", recipient(i), n)
		}
	}
	ids := map[string]int{}
	for _, m := range smtp.Messages() {
		ids[m.MessageID]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("mail %s delivered %d times", id, n)
		}
	}
	sentBy := map[string][]string{}
	for name, log := range map[string]*syncBuffer{"A": logA, "B": logB} {
		for _, line := range strings.Split(log.String(), "\n") {
			var rec struct {
				Msg    string
				MailID string `json:"mail_id"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mail sent" {
				sentBy[rec.MailID] = append(sentBy[rec.MailID], name)
			}
		}
	}
	if total := len(smtp.Messages()); len(sentBy) != total || len(ids) != total {
		t.Errorf("the SMTP server received %d mails (%d distinct), the instances logged %d distinct mails sent", total, len(ids), len(sentBy))
	}
	perInstance := map[string]int{}
	for id, by := range sentBy {
		if len(by) > 1 {
			t.Errorf("mail %s sent by %v", id, by)
		}
		perInstance[by[0]]++
	}
	t.Logf("%d mails in all; sent by A: %d, by B: %d", len(sentBy), perInstance["A"], perInstance["B"])
}

// pgProxy forwards TCP connections to a PostgreSQL server, and can cut it
// off: down resets every connection and refuses new ones until up; stall
// keeps every connection open, and accepts new ones, but forwards nothing
// until resume, as a network that silently drops packets does.
type pgProxy struct {
	t      *testing.T
	target string
	addr   string // fixed at the start, so that up comes back where clients look

	mu      sync.Mutex
	ln      net.Listener // nil while down
	conns   map[net.Conn]bool
	stalled chan struct{} // closed by resume; nil while forwarding
	wg      sync.WaitGroup
}

// stall stops forwarding, without closing anything.
func (p *pgProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// resume forwards again what stalled and what comes.
func (p *pgProxy) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
}

// pipe copies from src to dst, holding what it read while the proxy is
// stalled.
func (p *pgProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			stalled := p.stalled
			p.mu.Unlock()
			if stalled != nil {
				<-stalled
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// proxiedPostgres is a fresh test database and the URL that reaches it
// through a pgProxy of its own.
func proxiedPostgres(t *testing.T) (*pgProxy, string) {
	t.Helper()
	u, err := url.Parse(testPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := startPGProxy(t, u.Host)
	u.Host = proxy.addr
	return proxy, u.String()
}

func startPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{t: t, target: target, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() { p.down(); p.wg.Wait() })
	return p
}

func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(client) })
		}
	})
}

func (p *pgProxy) forward(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	up := p.ln != nil
	if up {
		p.conns[client], p.conns[server] = true, true
	}
	p.mu.Unlock()
	if !up { // cut off while dialling
		client.Close()
		server.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { p.pipe(server, client); done <- struct{}{} }()
	go func() { p.pipe(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// down closes the listener and resets every connection through the proxy.
func (p *pgProxy) down() {
	p.resume() // so that no pipe stays blocked
	p.mu.Lock()
	ln, conns := p.ln, p.conns
	p.ln, p.conns = nil, map[net.Conn]bool{}
	p.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for c := range conns {
		if tcp, ok := c.(*net.TCPConn); ok {
			tcp.SetLinger(0) // a reset, not a goodbye
		}
		c.Close()
	}
}

// up listens again on the same address.
func (p *pgProxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// awaitRecovery waits until readiness and the token's account answer 200
// again, failing t if that is not so by deadline.
func awaitRecovery(t *testing.T, base, token string, deadline time.Time, log *syncBuffer) {
	t.Helper()
	for _, path := range []string{"/readyz", "/v1/account"} {
		for {
			r, err := apiSend("GET", base+path, token, "")
			if err == nil && r.status == 200 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s not back by the deadline after the store came back: %+v %v\n%s", path, r, err, log.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// TestPostgresOutageAnswers503AndRecovers cuts an instance off from its
// PostgreSQL server: readiness and store-bound requests answer 503 in the
// envelope, and both recover once the server is back, without a restart.
func TestPostgresOutageAnswers503AndRecovers(t *testing.T) {
	proxy, database := proxiedPostgres(t)
	base, log, _ := startServe(t, serveArgs(database, "--metrics-addr", "127.0.0.1:0"), nil)

	var reg apiAuth
	apiCall(t, 201, "POST", base+"/v1/auth/register", "",
		`{"email":"outage@example.com","password":"a long and secret passphrase","firstName":"Out","lastName":"Age"}`).decode(t, &reg)
	apiCall(t, 200, "GET", base+"/readyz", "", "")
	apiCall(t, 200, "GET", base+"/v1/account", reg.Token, "")

	proxy.down()
	for _, path := range []string{"/readyz", "/v1/account"} {
		if c := apiCall(t, 503, "GET", base+path, reg.Token, "").code(t); c != "store_unavailable" {
			t.Fatalf("GET %s while the store is down: code %q, want store_unavailable", path, c)
		}
	}
	apiCall(t, 200, "GET", base+"/healthz", "", "") // the process itself is fine
	if m := regexp.MustCompile(`\naccountd_store_errors_total\{kind="unavailable"\} ([0-9]+)`).FindStringSubmatch(scrape(t, log)); m == nil || m[1] == "0" {
		t.Errorf("the store's failures during the outage were not counted as unavailable: %v", m)
	}

	proxy.up()
	start := time.Now()
	awaitRecovery(t, base, reg.Token, start.Add(5*time.Second), log)
	var acc struct {
		ID string `json:"_id"`
	}
	apiCall(t, 200, "GET", base+"/v1/account", reg.Token, "").decode(t, &acc)
	if acc.ID != reg.Account.ID {
		t.Fatalf("after the outage the token shows account %q, want %q", acc.ID, reg.Account.ID)
	}
	t.Logf("both answer 200 again %v after the store came back", time.Since(start).Round(time.Millisecond))
}

// TestPostgresHungAnswers503Fast stalls the network between an instance
// and PostgreSQL, its connections open but silent: every request in flight
// or arriving, authenticated or not, reading or writing, answers 503
// store_unavailable with Retry-After within the store's bound of 5 s,
// none hangs or loses its connection, /readyz says 503 and /healthz 200;
// once the network moves again, so does the service.
func TestPostgresHungAnswers503Fast(t *testing.T) {
	proxy, database := proxiedPostgres(t)
	base, log, _ := startServe(t, serveArgs(database), nil)
	var reg apiAuth
	apiCall(t, 201, "POST", base+"/v1/auth/register", "",
		`{"email":"hung@example.com","password":"a long and secret passphrase","firstName":"Hu","lastName":"Ng"}`).decode(t, &reg)

	proxy.stall()
	requests := []struct{ method, path, token, body string }{
		{"GET", "/v1/account", reg.Token, ""},
		{"PATCH", "/v1/account/update", reg.Token, `{"firstName":"Hung"}`},
		{"GET", "/v1/account/user?search=hun", reg.Token, ""},
		{"POST", "/v1/auth/login", "", `{"email":"hung@example.com","password":"a long and secret passphrase"}`},
		{"POST", "/v1/auth/register", "", `{"email":"new@example.com","password":"a long and secret passphrase","firstName":"Ne","lastName":"W"}`},
		{"GET", "/readyz", "", ""},
	}
	const bound = 5*time.Second + 2*time.Second // the store's, and slack for a loaded machine
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(requests))
	start := time.Now()
	for range 4 {
		for _, req := range requests {
			wg.Go(func() {
				r, err := apiSend(req.method, base+req.path, req.token, req.body)
				took := time.Since(start)
				switch {
				case err != nil:
					errs <- fmt.Sprintf("%s %s: %v after %v", req.method, req.path, err, took)
				case r.status != 503 || r.header.Get("Retry-After") == "":
					errs <- fmt.Sprintf("%s %s: %d %q (Retry-After %q) after %v", req.method, req.path, r.status, r.Message, r.header.Get("Retry-After"), took)
				case took > bound:
					errs <- fmt.Sprintf("%s %s: 503 after %v, beyond %v", req.method, req.path, took, bound)
				}
			})
		}
	}
	apiCall(t, 200, "GET", base+"/healthz", "", "")
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	t.Logf("all answered within %v of the stall", time.Since(start).Round(time.Millisecond))

	proxy.resume()
	awaitRecovery(t, base, reg.Token, time.Now().Add(15*time.Second), log)
}

// TestServeWaitsForPostgres starts an instance while its PostgreSQL server
// is out of reach: it answers /healthz 200 and everything else 503 until
// the server comes, then migrates and serves; with --store-wait short, it
// gives up after it, saying why.
func TestServeWaitsForPostgres(t *testing.T) {
	proxy, database := proxiedPostgres(t)
	proxy.down()
	base, log, _ := startServeUntil(t, serveArgs(database), nil, "store not reachable yet; answering 503 until it is")
	apiCall(t, 200, "GET", base+"/healthz", "", "")
	for _, path := range []string{"/readyz", "/v1/tags"} {
		r := apiCall(t, 503, "GET", base+path, "", "")
		if c := r.code(t); c != "store_unavailable" || r.header.Get("Retry-After") == "" {
			t.Fatalf("GET %s while waiting: %s, Retry-After %q", path, c, r.header.Get("Retry-After"))
		}
	}
	apiCall(t, 503, "POST", base+"/v1/auth/register", "", `{"email":"early@example.com","password":"a long and secret passphrase","firstName":"Ea","lastName":"Rly"}`)

	proxy.up()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(log.String(), `"msg":"listening"`) {
		if time.Now().After(deadline) {
			t.Fatalf("not serving 15 s after the store came:\n%s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	apiCall(t, 200, "GET", base+"/readyz", "", "")
	apiCall(t, 201, "POST", base+"/v1/auth/register", "", `{"email":"early@example.com","password":"a long and secret passphrase","firstName":"Ea","lastName":"Rly"}`)

	proxy.down()
	var stdout, stderr syncBuffer
	begin := time.Now()
	err := run(context.Background(), append([]string{"serve"}, serveArgs(database, "--store-wait", "1s")...), envOf(nil), &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--store-wait") || time.Since(begin) > 5*time.Second {
		t.Fatalf("serve with the store away and --store-wait 1s: %v after %v", err, time.Since(begin))
	}
}
