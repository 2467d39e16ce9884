package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"accountd"
	"accountd/cmd/internal/server"
	"accountd/internal/population"
)

// benchSearches are the searches the search benchmark times.
var benchSearches = []string{
	"search=jer",
	"tags=product,devops",
	"search=ann&tags=engineering&profileCompletenessMin=70",
	"role=partner",
	"page=50",
}

// benchSearch loads each size of population into a scratch store of the
// kind c.Database names, serves it, and times every search against it.
func benchSearch(ctx context.Context, c server.Config, sizes []int, clients int, d time.Duration, w *table) error {
	stdout := w.out
	results := make([]map[string]result, len(sizes))
	totals := make([]map[string]int, len(sizes))
	for i, n := range sizes {
		database, diskSize, drop, err := scratchStore(ctx, c.Database)
		if err != nil {
			return err
		}
		results[i], totals[i], err = benchSearchSize(ctx, c, database, n, clients, d, stdout)
		if err == nil {
			var size int64
			if size, err = diskSize(ctx); err == nil {
				fmt.Fprintf(stdout, "  store on disk: %.0f MiB (%.0f bytes per account)\n", float64(size)/(1<<20), float64(size)/float64(n))
			}
		}
		if err := drop(); err != nil {
			return err
		}
		if err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "\n%-56s", "search, "+strconv.Itoa(clients)+" clients")
	for _, n := range sizes {
		fmt.Fprintf(stdout, " %32s", fmt.Sprintf("N = %d: req/s p50 p99 (total)", n))
	}
	fmt.Fprintf(stdout, "   p99 ratio (target ≤ 2, p99 ≤ 20 ms)\n")
	for _, q := range benchSearches {
		fmt.Fprintf(stdout, "%-56s", q)
		for i, n := range sizes {
			r := results[i][q]
			w.keep(fmt.Sprintf("search N = %d, %d clients: %s", n, clients, q), r)
			cell := fmt.Sprintf("%.0f %s %s (%d)", r.rps, r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), totals[i][q])
			if r.errors > 0 {
				cell += fmt.Sprintf(" %d failed", r.errors)
			}
			fmt.Fprintf(stdout, " %32s", cell)
		}
		if len(sizes) > 1 {
			first, last := results[0][q], results[len(sizes)-1][q]
			fmt.Fprintf(stdout, "   %.2f×", float64(last.p99)/float64(first.p99))
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

func benchSearchSize(ctx context.Context, c server.Config, database string, n, clients int, d time.Duration, stdout io.Writer) (map[string]result, map[string]int, error) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	store, err := server.OpenStore(ctx, database, log)
	if err != nil {
		return nil, nil, err
	}
	started := time.Now()
	err = loadPopulation(ctx, store, n, time.Now().Add(-time.Minute))
	store.Close()
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		// Statistics, as autovacuum would gather them in time: without
		// them the planner takes a fresh table for an empty one.
		conn, err := pgx.Connect(ctx, database)
		if err != nil {
			return nil, nil, err
		}
		_, err = conn.Exec(ctx, "VACUUM ANALYZE")
		conn.Close(ctx)
		if err != nil {
			return nil, nil, err
		}
	}
	elapsed := time.Since(started)
	fmt.Fprintf(stdout, "\nsearch at N = %d: loaded in %s, %.0f accounts/s\n", n, elapsed.Round(time.Second), float64(n)/elapsed.Seconds())

	c.Database = database
	a, err := server.Start(ctx, c, log)
	if err != nil {
		return nil, nil, err
	}
	defer a.Stop()
	base := "http://" + a.Addr
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	status, body, err := call(client, "POST", base+"/v1/auth/register", "",
		`{"email":"searcher@example.com","password":"`+benchPassword+`","firstName":"Search","lastName":"Er"}`)
	if err != nil || status != http.StatusCreated {
		return nil, nil, fmt.Errorf("register the searcher: %d %s %v", status, body, err)
	}
	var auth struct{ Data struct{ Token string } }
	if err := json.Unmarshal(body, &auth); err != nil {
		return nil, nil, err
	}
	results, totals := map[string]result{}, map[string]int{}
	for _, q := range benchSearches {
		url := base + "/v1/account/user?" + q
		status, body, err := call(client, "GET", url, auth.Data.Token, "")
		var page struct{ Data struct{ Total int } }
		if err == nil {
			err = json.Unmarshal(body, &page)
		}
		if err != nil || status != http.StatusOK {
			return nil, nil, fmt.Errorf("%s: %d %s %v", q, status, body, err)
		}
		totals[q] = page.Data.Total
		results[q] = load(ctx, client, clients, d, func(int) (string, string, string, string) {
			return "GET", url, auth.Data.Token, ""
		})
	}
	return results, totals, nil
}

// scratchStore makes an empty store of the kind database names: a file in
// a temporary directory for SQLite, a new database on the same server for
// PostgreSQL. It returns where it is, how to measure it, and how to remove it.
func scratchStore(ctx context.Context, database string) (string, func(context.Context) (int64, error), func() error, error) {
	if !strings.HasPrefix(database, "postgres://") && !strings.HasPrefix(database, "postgresql://") {
		dir, err := os.MkdirTemp("", "accountd-bench-")
		if err != nil {
			return "", nil, nil, err
		}
		path := filepath.Join(dir, "bench.db")
		size := func(context.Context) (int64, error) {
			var total int64
			for _, suffix := range []string{"", "-wal"} {
				if fi, err := os.Stat(path + suffix); err == nil {
					total += fi.Size()
				}
			}
			return total, nil
		}
		return "sqlite:" + path, size, func() error { return os.RemoveAll(dir) }, nil
	}
	admin, err := pgx.Connect(ctx, database)
	if err != nil {
		return "", nil, nil, err
	}
	name := fmt.Sprintf("accountd_bench_%d", rand.Uint64())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return "", nil, nil, err
	}
	u, err := url.Parse(database)
	if err != nil {
		admin.Close(ctx)
		return "", nil, nil, err
	}
	u.Path = "/" + name
	size := func(ctx context.Context) (int64, error) {
		var n int64
		err := admin.QueryRow(ctx, "SELECT pg_database_size($1)", name).Scan(&n)
		return n, err
	}
	drop := func() error {
		defer admin.Close(context.Background())
		_, err := admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		return err
	}
	return u.String(), size, drop, nil
}

// benchCategories are the catalogue's category names, which people also
// use as broad tags, as docs/api.md's Alice does.
var benchCategories = []string{"engineering", "design", "product", "marketing", "writing", "data", "web3",
	"devops", "mobile", "security", "management", "sales", "finance", "legal", "support", "education", "media"}

// loadPopulation stores n accounts created over the two years before end,
// imported a thousand to a transaction.
func loadPopulation(ctx context.Context, store accountd.Store, n int, end time.Time) error {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	skills := accountd.Skills()
	start := end.Add(-2 * 365 * 24 * time.Hour)
	step := end.Sub(start) / time.Duration(n)
	const batch = 1000
	accounts := make([]*accountd.Account, 0, batch)
	for first := 0; first < n; first += batch {
		accounts = accounts[:0]
		for i := first; i < min(first+batch, n); i++ {
			at := start.Add(time.Duration(i)*step + time.Duration(rng.Int64N(int64(step))))
			a := population.Account(rng, i, at, population.Roles{Admin: 2, Partner: 8})
			a.PasswordHash = "" // never signs in
			for range 1 + rng.IntN(10) {
				key := skills[rng.IntN(len(skills))]
				if rng.IntN(10) < 3 {
					key = benchCategories[rng.IntN(len(benchCategories))]
				}
				if !slices.Contains(a.Profile.Talent.Tags, key) {
					a.Tags = append(a.Tags, accountd.NewTag(at, key))
					a.Profile.Talent.Tags = append(a.Profile.Talent.Tags, key)
				}
			}
			accounts = append(accounts, a)
		}
		if err := store.Write(ctx, func(tx accountd.Tx) error { return tx.ImportAccounts(ctx, accounts) }); err != nil {
			return fmt.Errorf("load accounts %d to %d: %w", first, first+batch, err)
		}
	}
	return nil
}
