package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"accountd"
	"accountd/cmd/internal/server"
)

// benchPassword is every bench user's password.
const benchPassword = "bench password 0123"

// serviceLoads are the loads that run against one service and its users.
type serviceLoads struct {
	run                            map[string]bool
	duration                       time.Duration
	clients, users, writers, crowd int
}

// benchService registers users and runs the selected loads against them.
func benchService(ctx context.Context, c server.Config, o serviceLoads, w *table) error {
	a, err := server.Start(ctx, c, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Stop()
	base := "http://" + a.Addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(o.clients, o.crowd)}, Timeout: time.Minute}

	fmt.Fprintf(w.out, "\naccountd-bench: %s, GOMAXPROCS %d, argon2id m=%d KiB t=%d p=%d, %s per load, %d clients\n\n",
		c.Database, runtime.GOMAXPROCS(0), c.Hash.MemoryKiB, c.Hash.Iterations, c.Hash.Parallelism, o.duration, o.clients)

	emails := make([]string, o.users)
	tokens := make([]string, o.users)
	var failed atomic.Int64
	parallel(o.users, 16, func(i int) {
		emails[i] = fmt.Sprintf("bench%d@example.com", i)
		body := fmt.Sprintf(`{"email":%q,"password":%q,"firstName":"Bench","lastName":"User %d"}`, emails[i], benchPassword, i)
		res, data, err := call(client, "POST", base+"/v1/auth/register", "", body)
		if err != nil || res != http.StatusCreated {
			failed.Add(1)
			return
		}
		var d struct{ Data struct{ Token string } }
		_ = json.Unmarshal(data, &d)
		tokens[i] = d.Data.Token
	})
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d of %d registrations failed", n, o.users)
	}

	w.header()
	if o.run["account"] {
		if err := benchAccount(ctx, client, base, c.Database, tokens, o, w); err != nil {
			return err
		}
	}
	if o.run["login"] {
		benchLogin(ctx, client, base, emails, c.Hash, o, w)
	}
	if o.run["patch"] {
		if err := benchPatch(ctx, client, base, tokens, o.writers, o.duration, w); err != nil {
			return err
		}
	}
	if o.run["memory"] {
		benchMemory(client, base, emails, c, o, w.out)
	}
	return nil
}

// benchAccount compares GET /v1/account with a bare server answering the
// same bytes and, on PostgreSQL, with pgbench's primary-key look-ups on the
// same server.
func benchAccount(ctx context.Context, client *http.Client, base, database string, tokens []string, o serviceLoads, w *table) error {
	_, accountBody, err := call(client, "GET", base+"/v1/account", tokens[0], "")
	if err != nil {
		return err
	}
	bare, err := serveBytes(accountBody)
	if err != nil {
		return err
	}
	defer bare.Close()
	bareRes := load(ctx, client, o.clients, o.duration, func(i int) (string, string, string, string) {
		return "GET", "http://" + bare.Addr().String() + "/v1/account", tokens[i%len(tokens)], ""
	})
	w.row("bare net/http, same bytes", bareRes, "")
	getRes := load(ctx, client, o.clients, o.duration, func(i int) (string, string, string, string) {
		return "GET", base + "/v1/account", tokens[i%len(tokens)], ""
	})
	ratio := fmt.Sprintf("%.2f× bare (target ≥ 0.5)", getRes.rps/bareRes.rps)
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		tps, err := pgbenchTPS(ctx, database, o.clients, o.duration)
		if err != nil {
			fmt.Fprintf(w.out, "%-28s   %v\n", "pgbench -S -M prepared", err)
		} else {
			fmt.Fprintf(w.out, "%-28s %10.1f %9s %9s   the server's own primary-key look-ups, %d clients\n", "pgbench -S -M prepared", tps, "", "", o.clients)
			ratio += fmt.Sprintf("; %.2f× pgbench -S (target ≥ 0.35)", getRes.rps/tps)
		}
	}
	w.row("GET /v1/account", getRes, ratio)
	return nil
}

// benchLogin compares login throughput with what argon2id allows on this
// machine's cores.
func benchLogin(ctx context.Context, client *http.Client, base string, emails []string, params accountd.HashParams, o serviceLoads, w *table) {
	// One hash's time is sampled on both sides of the login load, so a
	// passing disturbance of the machine weighs on the limit and the load alike.
	hashTimes := timeHashes(params, nil)
	loginRes := load(ctx, client, o.clients, o.duration, func(i int) (string, string, string, string) {
		e := emails[i%len(emails)]
		return "POST", base + "/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, e, benchPassword)
	})
	hashTimes = timeHashes(params, hashTimes)
	hashTime := hashTimes[len(hashTimes)/2]
	limit := float64(runtime.GOMAXPROCS(0)) / hashTime.Seconds()
	fmt.Fprintf(w.out, "%-28s %10.1f %9s %9s   %d cores ÷ %s per hash (median of %d)\n", "argon2id limit", limit, "", "",
		runtime.GOMAXPROCS(0), hashTime.Round(10*time.Microsecond), len(hashTimes))
	w.row("POST /v1/auth/login", loginRes, fmt.Sprintf("%.2f× argon2id limit (target ≥ 0.9)", loginRes.rps/limit))
}

// benchMemory measures resident memory while a crowd logs in at once.
func benchMemory(client *http.Client, base string, emails []string, c server.Config, o serviceLoads, stdout io.Writer) {
	before := rssMiB()
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if v := int64(rssMiB()); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	started := time.Now()
	var failed atomic.Int64
	parallel(o.crowd, o.crowd, func(i int) {
		e := emails[i%len(emails)]
		res, _, err := call(client, "POST", base+"/v1/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, e, benchPassword))
		if err != nil || res != http.StatusOK {
			failed.Add(1)
		}
	})
	close(stopSampling)
	<-sampled
	runtime.GC()
	fmt.Fprintf(stdout, "\nmemory: %d concurrent logins in %s (%d failed); resident %0.f MiB before, %d MiB at peak, %.0f MiB after\n",
		o.crowd, time.Since(started).Round(time.Millisecond), failed.Load(), before, peak.Load(), rssMiB())
	fmt.Fprintf(stdout, "        hashes run %d at a time, so argon2id holds at most %d MiB; the rest queue (client and server share this process)\n",
		hashSlots(c.HashConcurrent), hashSlots(c.HashConcurrent)*int(c.Hash.MemoryKiB)/1024)
}

func hashSlots(configured int) int {
	if configured > 0 {
		return configured
	}
	return runtime.GOMAXPROCS(0)
}

// timeHashes adds nine timings of one hash with params, on one core, to
// times and returns them sorted.
func timeHashes(params accountd.HashParams, times []time.Duration) []time.Duration {
	h := accountd.NewHasher(params, 1)
	for range 9 {
		start := time.Now()
		if _, err := h.Hash(context.Background(), "bench password 0123"); err != nil {
			panic(err)
		}
		times = append(times, time.Since(start))
	}
	slices.Sort(times)
	return times
}

type result struct {
	n        int
	errors   int
	rps      float64
	p50, p99 time.Duration
}

// load runs clients loops for d, each sending the request next(i) gives.
func load(ctx context.Context, client *http.Client, clients int, d time.Duration, next func(i int) (method, url, token, body string)) result {
	var mu sync.Mutex
	var all []time.Duration
	var errs atomic.Int64
	var seq atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	parallel(clients, clients, func(int) {
		var mine []time.Duration
		for time.Now().Before(deadline) && ctx.Err() == nil {
			method, url, token, body := next(int(seq.Add(1)))
			t0 := time.Now()
			status, _, err := call(client, method, url, token, body)
			mine = append(mine, time.Since(t0))
			if err != nil || status >= 400 {
				errs.Add(1)
			}
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	slices.Sort(all)
	r := result{n: len(all), errors: int(errs.Load()), rps: float64(len(all)) / elapsed.Seconds()}
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	return r
}

func call(client *http.Client, method, url, token, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

func parallel(n, width int, f func(i int)) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, width)
	for i := range n {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// serveBytes starts a bare net/http server that answers every request with body.
func serveBytes(body []byte) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() {
		err := http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(body)
		}))
		if err != nil && !errors.Is(err, net.ErrClosed) {
			panic(err)
		}
	}()
	return ln, nil
}

// rssMiB is this process's resident memory.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}

// table prints the figures of each store as they come, and keeps them to
// print side by side when there are several stores.
type table struct {
	out   io.Writer
	store int // the index of the store whose figures come now
	names []string
	// figures holds each row's cell for each store, by row name.
	figures map[string][]string
}

func (t *table) header() {
	fmt.Fprintf(t.out, "%-28s %10s %9s %9s   %s\n", "load", "req/s", "p50", "p99", "ratio")
}

func (t *table) row(name string, r result, ratio string) {
	if r.errors > 0 {
		ratio += fmt.Sprintf(" (%d of %d failed)", r.errors, r.n)
	}
	fmt.Fprintf(t.out, "%-28s %10.1f %9s %9s   %s\n", name, r.rps, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), ratio)
	t.keep(name, r)
}

// keep notes r as the current store's figures of the row name.
func (t *table) keep(name string, r result) {
	cells, ok := t.figures[name]
	if !ok {
		t.names = append(t.names, name)
	}
	for len(cells) <= t.store {
		cells = append(cells, "")
	}
	cells[t.store] = fmt.Sprintf("%.0f/s %s %s", r.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond))
	if r.errors > 0 {
		cells[t.store] += fmt.Sprintf(" %d failed", r.errors)
	}
	t.figures[name] = cells
}

// sideBySide prints every row with a column of req/s, p50 and p99 for each
// of the stores.
func (t *table) sideBySide(stores []string) {
	fmt.Fprintf(t.out, "\n%-82s", "side by side: req/s p50 p99")
	for _, s := range stores {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			s = "PostgreSQL " + u.Host + u.Path // no password in print
		} else {
			s = "SQLite"
		}
		fmt.Fprintf(t.out, " %-30s", s)
	}
	fmt.Fprintln(t.out)
	for _, name := range t.names {
		fmt.Fprintf(t.out, "%-82s", name)
		for i := range stores {
			cell := ""
			if cells := t.figures[name]; i < len(cells) {
				cell = cells[i]
			}
			fmt.Fprintf(t.out, " %-30s", cell)
		}
		fmt.Fprintln(t.out)
	}
}

// seedTags are the tags of the PATCH body docs/api.md shows.
var seedTags = []string{"product", "writing", "custom", "engineering", "devops", "web3", "crypto"}

// patchBody is the PATCH body docs/api.md shows, carrying tags.
func patchBody(tags []string) string {
	t, _ := json.Marshal(tags)
	return `{"firstName":"Alice","lastName":"Bob","profile":{"contact":{"country":"England","state":"Manchester","city":"Manchester",` +
		`"address":"30, alice bob blvd.","phone":"+4412345678987"},"bio":{"title":"Software Engineer","description":"Builds software Products"},` +
		`"talent":{"about":"About this user?. User is the best developer in the solar system","availability":"available","tags":` + string(t) + `}},` +
		`"socials":{"github":"https://github.com/tester","twitter":"https://twitter.com/tester","linkedin":"https://linkedin.com/tester","website":"https://mywebsite.com"}}`
}

// benchPatch drives PATCH /v1/account/update with that body, first as
// is (the same body again changes nothing, so it writes nothing), then
// alternating between its seven tags and six of them, so every request
// rewrites tags and their counts. Then it checks every entryCount.
func benchPatch(ctx context.Context, client *http.Client, base string, tokens []string, writers int, d time.Duration, w *table) error {
	full, fewer := patchBody(seedTags), patchBody(seedTags[1:])
	var failed atomic.Int64
	parallel(len(tokens), 16, func(i int) {
		if status, _, err := call(client, "PATCH", base+"/v1/account/update", tokens[i], full); err != nil || status != http.StatusAccepted {
			failed.Add(1)
		}
	})
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d first PATCHes failed", n)
	}
	same := load(ctx, client, writers, d, func(i int) (string, string, string, string) {
		return "PATCH", base + "/v1/account/update", tokens[i%len(tokens)], full
	})
	w.row(fmt.Sprintf("PATCH, seed body, %d clients", writers), same, fmt.Sprintf("p99 %s (target ≤ 10ms)", same.p99.Round(time.Microsecond)))
	// Request i to account i mod n: every account sees full and fewer in
	// turn as long as len(tokens) is even, and ends on one of them.
	changing := load(ctx, client, writers, d, func(i int) (string, string, string, string) {
		body := full
		if (i/len(tokens))%2 == 1 {
			body = fewer
		}
		return "PATCH", base + "/v1/account/update", tokens[i%len(tokens)], body
	})
	w.row(fmt.Sprintf("PATCH, tags 7↔6, %d clients", writers), changing, fmt.Sprintf("p99 %s (target ≤ 10ms)", changing.p99.Round(time.Microsecond)))

	// entryCount must equal the number of accounts holding each tag.
	holders := map[string]int{}
	counts := map[string]int{}
	for _, tok := range tokens {
		_, body, err := call(client, "GET", base+"/v1/account", tok, "")
		if err != nil {
			return err
		}
		var doc struct {
			Data struct {
				Profile struct {
					Talent struct {
						TagsIDs []struct {
							Key        string
							EntryCount int
						} `json:"tagsIds"`
					}
				}
			}
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return err
		}
		for _, t := range doc.Data.Profile.Talent.TagsIDs {
			holders[t.Key]++
			counts[t.Key] = t.EntryCount
		}
	}
	exact := true
	for key, n := range holders {
		if counts[key] != n {
			exact = false
			fmt.Fprintf(w.out, "  entryCount of %q is %d, but %d accounts hold it\n", key, counts[key], n)
		}
	}
	fmt.Fprintf(w.out, "  entryCount exact after the PATCH loads: %v (%d tags, %d accounts)\n", exact, len(holders), len(tokens))
	return nil
}
