package postgres

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"accountd"
	"accountd/internal/population"

	"github.com/jackc/pgx/v5"
)

// explainPopulation is how many accounts TestSearchUsesIndexes seeds: enough
// that reading the table costs the planner more than an index that selects
// a few per cent of it. (At 5000, a tag on 5% of the accounts, in an order
// other than its index's, is rightly found by reading the table: it is
// cheaper than looking 250 accounts up one by one.)
const explainPopulation = 10000

// seedExplain stores n accounts in one transaction, as CreateAccount and
// SetTags would leave them but in batches, and returns the id of the one
// that owns 1% of them and has bookmarked another 1%. Roles are 85% user,
// 12% partner, 3% admin; 5% are private; each of 40 tags is on about 5% of
// the accounts; the others bookmark one account each on average.
func seedExplain(t *testing.T, db *DB, n int) (owner string) {
	t.Helper()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 7))
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	var tagIDs, ids []string
	for i := range 40 {
		tag := accountd.NewTag(t0, fmt.Sprintf("skill %d", i))
		tagIDs = append(tagIDs, tag.ID)
		b.Queue(qTagInsert, tag.ID, tag.Key, tag.Name, tag.Color, []string{}, false, "", ms(t0), ms(t0))
	}
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		a := population.Account(rng, i, at, population.Roles{Admin: 3, Partner: 12})
		if i == 0 {
			owner, a.Role, a.IsPrivate = a.ID, accountd.RoleAdmin, false
		} else if rng.IntN(100) == 0 {
			a.OwnerID = owner
		}
		var tags []string
		for _, k := range rng.Perm(len(tagIDs))[:rng.IntN(5)] {
			tags = append(tags, tagIDs[k])
			a.Profile.Talent.Tags = append(a.Profile.Talent.Tags, fmt.Sprintf("skill %d", k))
		}
		b.Queue(qAccountInsert, accountArgs(a)...)
		switch {
		case i > 0 && rng.IntN(100) == 0:
			b.Queue(qBookmarkInsert, accountd.NewID(at), owner, a.ID, ms(at))
		case i > 0:
			// Others bookmark too: the owner's are a few of the table's.
			for range rng.IntN(3) {
				b.Queue(qBookmarkInsert, accountd.NewID(at), a.ID, ids[rng.IntN(len(ids))], ms(at))
			}
		}
		ids = append(ids, a.ID)
		for pos, id := range tags {
			b.Queue(qAccountTagPut, a.ID, id, pos, a.Profile.Talent.Tags[pos])
		}
		held := append([]string{}, tags...) // not nil, which would be NULL
		slices.Sort(held)
		b.Queue(qAccountTagIDs, a.ID, held)
	}
	b.Queue("UPDATE tags SET entry_count = (SELECT count(*) FROM account_tags WHERE tag_id = tags.id)")
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// As autovacuum would leave a table that has settled: statistics for
	// the planner, and a visibility map for index-only scans.
	if _, err := db.pool.Exec(ctx, "VACUUM ANALYZE accounts, account_tags, tags, bookmarks"); err != nil {
		t.Fatal(err)
	}
	return owner
}

// planNodes returns every node of an EXPLAIN (FORMAT JSON) plan.
func planNodes(plan any) []map[string]any {
	var nodes []map[string]any
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		nodes = append(nodes, node)
		children, _ := node["Plans"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	for _, p := range plan.([]any) {
		walk(p.(map[string]any)["Plan"].(map[string]any))
	}
	return nodes
}

// explain returns the plan of sql with args, as SearchAccounts has the
// server make it: for these values, without parallel workers (see
// qSearchSettings).
func explain(t *testing.T, tx pgx.Tx, sql string, args []any) (text string, nodes []map[string]any) {
	t.Helper()
	if _, err := tx.Exec(t.Context(), qSearchSettings); err != nil {
		t.Fatal(err)
	}
	var plan any
	if err := tx.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	for _, n := range planNodes(plan) {
		line := fmt.Sprint(n["Node Type"])
		for _, k := range []string{"Relation Name", "Index Name"} {
			if v, ok := n[k]; ok {
				line += fmt.Sprintf(" %s=%v", k, v)
			}
		}
		text += "\n\t" + line
	}
	return text, planNodes(plan)
}

// TestSearchUsesIndexes: for each filter a search can drive from an index,
// neither the count nor the page that SearchAccounts runs reads the whole
// accounts table, with every sort; and the count goes through the filter's
// own index.
//
// It runs with the planner's defaults, seq scans allowed: what it checks is
// the plan the server picks on its own, on a table of a few thousand rows
// with statistics, where each filter selects a few per cent.
func TestSearchUsesIndexes(t *testing.T) {
	db := openMigrated(t)
	owner := seedExplain(t, db, explainPopulation)
	pgTx, err := db.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer pgTx.Rollback(t.Context())

	cases := []struct {
		name  string
		q     accountd.SearchQuery
		index string // the index or table the count must go through; or one of several, space-separated
	}{
		{"text", accountd.SearchQuery{Text: "jer"}, "accounts_listed_search accounts_listed_text_tags"},
		{"text with accents folded", accountd.SearchQuery{Text: accountd.FoldText("Müll")}, "accounts_listed_search accounts_listed_text_tags"},
		{"one tag", accountd.SearchQuery{TagKeys: []string{"skill 3"}}, "accounts_listed_tags"},
		{"all of two tags", accountd.SearchQuery{TagKeys: []string{"skill 3", "skill 4"}}, "accounts_listed_tags"},
		{"any of two tags", accountd.SearchQuery{TagKeys: []string{"skill 3", "skill 4"}, AnyTag: true}, "accounts_listed_tags"},
		{"role", accountd.SearchQuery{Role: accountd.RoleAdmin}, "listing_count_changes"},
		{"completeness", accountd.SearchQuery{CompletenessMin: 80}, "listing_count_changes"},
		{"owner", accountd.SearchQuery{OwnerID: owner}, "accounts_listed_owner"},
		{"bookmarked", accountd.SearchQuery{BookmarkedBy: owner}, "bookmarks_owner_account"},
		// Both conditions inside the one index, not the text's matches
		// read from the table to be filtered by their tags.
		{"text and tag", accountd.SearchQuery{Text: "jer", TagKeys: []string{"skill 3"}}, "accounts_listed_text_tags"},
	}
	sorts := []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest, accountd.SortCompleteness, accountd.SortScore}
	for _, c := range cases {
		for _, sort := range sorts {
			q := c.q
			q.Sort, q.Page, q.Limit, q.ViewerID = sort, 3, 12, owner
			q.CompletenessMax, q.AsOf = 100, t0.Add(explainPopulation*time.Minute)
			tagIDs, some, err := (&tx{tx: pgTx}).searchTagIDs(t.Context(), &q)
			if err != nil || !some {
				t.Fatalf("tags %q: %v, %v", q.TagKeys, tagIDs, err)
			}
			s, err := buildSearch(&q, tagIDs)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []struct {
				what, sql string
				args      []any
			}{{"count", s.count, s.countArgs}, {"page", s.page, s.pageArgs}} {
				if stmt.what == "count" && sort != accountd.SortNewest {
					continue // the count does not depend on the sort
				}
				plan, nodes := explain(t, pgTx, stmt.sql, stmt.args)
				name := fmt.Sprintf("%s, %s, %s", c.name, stmt.what, sort)
				t.Logf("%s:%s", name, plan)
				used := false
				for _, n := range nodes {
					if n["Node Type"] == "Seq Scan" && n["Relation Name"] == "accounts" {
						t.Errorf("%s reads the whole accounts table:%s", name, plan)
					}
					cond := fmt.Sprint(n["Index Cond"])
					ours := func(k string) bool { return slices.Contains(strings.Fields(c.index), fmt.Sprint(n[k])) }
					used = used || ours("Relation Name") || ours("Index Name") &&
						(c.q.Text == "" || len(c.q.TagKeys) == 0 || strings.Contains(cond, "search_text") && strings.Contains(cond, "tag_ids"))
				}
				if stmt.what == "count" && c.index != "" && !used {
					t.Errorf("%s does not use %s:%s", name, c.index, plan)
				}
			}
		}
	}
}

// newSearchAccount is an account with a user name and referral code of its
// own, created at.
func newSearchAccount(at time.Time, first, last string) *accountd.Account {
	a := accountd.NewAccount(at, strings.ToLower(first)+"."+accountd.NewID(at)+"@example.com", first, last)
	a.UserName, a.ReferralCode = accountd.UserNameBase(first, last)+"-"+a.ID, "R"+a.ID
	return a
}

func searchAll(t *testing.T, db *DB, q accountd.SearchQuery) *accountd.SearchResult {
	t.Helper()
	if q.Sort == "" {
		q.Sort = accountd.SortNewest
	}
	if q.Limit == 0 {
		q.Page, q.Limit, q.CompletenessMax = 1, 100, 100
	}
	var res *accountd.SearchResult
	err := db.Read(t.Context(), func(tx accountd.Tx) (err error) {
		res, err = tx.SearchAccounts(t.Context(), &q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func hitIDs(res *accountd.SearchResult) []string {
	ids := []string{}
	for _, h := range res.Hits {
		ids = append(ids, h.Account.ID)
	}
	return ids
}

// TestSearchHitsAreWholeAccounts: a hit is the account as AccountByID
// reads it, owner, achievements and tags included.
func TestSearchHitsAreWholeAccounts(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	admin := newSearchAccount(t0, "Grace", "Hopper")
	admin.Role = accountd.RoleAdmin
	a := newSearchAccount(t0.Add(time.Second), "Zoë", "Brontë")
	a.OwnerID = admin.ID
	a.Profile.Bio.Title = "Compiler Writer"
	bare := newSearchAccount(t0.Add(2*time.Second), "Ann", "Lee")
	bare.Achievements = nil
	err := db.Write(ctx, func(tx accountd.Tx) error {
		if err := errors.Join(tx.CreateAccount(ctx, admin), tx.CreateAccount(ctx, a), tx.CreateAccount(ctx, bare)); err != nil {
			return err
		}
		_, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(t0, "Go"), accountd.NewTag(t0, "COBOL")}, t0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res := searchAll(t, db, accountd.SearchQuery{})
	if res.Total != 3 || len(res.Hits) != 3 {
		t.Fatalf("total %d, %d hits; want 3", res.Total, len(res.Hits))
	}
	for _, h := range res.Hits {
		if want := accountByID(t, db, h.Account.ID); !reflect.DeepEqual(h.Account, want) {
			t.Errorf("hit %s:\n%+v\nwant what AccountByID reads:\n%+v", h.Account.ID, h.Account, want)
		}
	}
	if got := accountByID(t, db, a.ID); got.OwnerID != admin.ID {
		t.Errorf("OwnerID read back %q, want %q", got.OwnerID, admin.ID)
	}
	if ids := hitIDs(searchAll(t, db, accountd.SearchQuery{OwnerID: admin.ID, Text: "bronte"})); !slices.Equal(ids, []string{a.ID}) {
		t.Errorf("owner and folded text: %v, want [%s]", ids, a.ID)
	}

	// Deleting erases the owner and the search text with the rest.
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, a.ID, t0) }); err != nil {
		t.Fatal(err)
	}
	var owner *string
	var text string
	if err := db.pool.QueryRow(ctx, "SELECT owner_id, search_text FROM accounts WHERE id = $1", a.ID).Scan(&owner, &text); err != nil {
		t.Fatal(err)
	}
	if owner != nil || text != "" {
		t.Errorf("deleted account: owner_id %v, search_text %q; want NULL and empty", owner, text)
	}
}

// TestSearchTextIsLiteral: LIKE's wildcards and escape in a search are
// characters to find.
func TestSearchTextIsLiteral(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	names := []string{`50%_off`, `50xyoff`, `back\slash`, `backxslash`, `a_b`, `axb`}
	ids := map[string]string{}
	err := db.Write(ctx, func(tx accountd.Tx) error {
		for i, name := range names {
			a := newSearchAccount(t0.Add(time.Duration(i)*time.Second), name, "")
			ids[name] = a.ID
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ text, want string }{
		{"50%_o", `50%_off`}, {`k\s`, `back\slash`}, {`ck\sl`, `back\slash`}, {"a_b", "a_b"}, {"_b", "a_b"}, {"%", `50%_off`},
	} {
		got := hitIDs(searchAll(t, db, accountd.SearchQuery{Text: c.text}))
		if !slices.Equal(got, []string{ids[c.want]}) {
			t.Errorf("search %q found %v; want only %s (%s)", c.text, got, ids[c.want], c.want)
		}
	}
}

// TestPutBookmarkConcurrently: PutBookmarks of one pair at once all
// succeed, and all return the one bookmark that exactly one of them created.
func TestPutBookmarkConcurrently(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	owner := createAccount(t, db, "owner@example.com")
	const pairs, racers = 10, 4
	for range pairs {
		user := createAccount(t, db, accountd.NewID(t0)+"@example.com")
		var wg sync.WaitGroup
		start := make(chan struct{})
		stored := make([]*accountd.Bookmark, racers)
		created := make([]bool, racers)
		errs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				<-start
				errs[i] = db.Write(ctx, func(tx accountd.Tx) (err error) {
					b := &accountd.Bookmark{ID: accountd.NewID(t0), Owner: owner.ID, User: user.ID, CreatedAt: t0.Add(time.Duration(i) * time.Second)}
					stored[i], created[i], err = tx.PutBookmark(ctx, b)
					return err
				})
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		n := 0
		for i := range racers {
			if created[i] {
				n++
			}
			if *stored[i] != *stored[0] {
				t.Errorf("racer %d got %+v, racer 0 %+v", i, stored[i], stored[0])
			}
		}
		if n != 1 {
			t.Errorf("%d of %d racers created the bookmark; want 1", n, racers)
		}
	}
}

// TestPutBookmarkOfDeletedAccount: no bookmark is stored for an account
// that is gone, either way.
func TestPutBookmarkOfDeletedAccount(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	a, b := createAccount(t, db, "a@example.com"), createAccount(t, db, "b@example.com")
	if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, b.ID, t0) }); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{a.ID, b.ID}, {b.ID, a.ID}} {
		err := db.Write(ctx, func(tx accountd.Tx) error {
			_, _, err := tx.PutBookmark(ctx, &accountd.Bookmark{ID: accountd.NewID(t0), Owner: pair[0], User: pair[1], CreatedAt: t0})
			return err
		})
		if !errors.Is(err, accountd.ErrNotFound) {
			t.Errorf("PutBookmark %s → %s: %v, want ErrNotFound", pair[0], pair[1], err)
		}
	}
}

// TestMigrateBackfillsSearchText: accounts stored before migration 2 get
// their search text from Go's folding, accents removed; deleted ones none.
func TestMigrateBackfillsSearchText(t *testing.T) {
	ctx := t.Context()
	db := openURL(t, newDatabase(t))
	if _, err := db.migrate(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Version 1's columns: accountArgs less the later owner_id,
	// profile_image and background_image, and search_text.
	v1Fields := append(slices.Clone(accountFields[:len(accountFields)-3]), "profile_completeness")
	insert := "INSERT INTO accounts (id, " + strings.Join(v1Fields, ", ") + ") VALUES (" + params(1, 1+len(v1Fields)) + ")"
	var accounts []*accountd.Account
	for i, name := range []string{"Zoë", "Björn", "Chloé", "Ömer", "Ann"} {
		a := newSearchAccount(t0.Add(time.Duration(i)*time.Second), name, "Brontë")
		a.Profile.Bio.Title = "Café Owner"
		all := accountArgs(a)
		args := append(all[:len(all)-5:len(all)-5], all[len(all)-2])
		if _, err := db.pool.Exec(ctx, insert, args...); err != nil {
			t.Fatal(err)
		}
		accounts = append(accounts, a)
	}
	if _, err := db.pool.Exec(ctx, "UPDATE accounts SET deleted_at = $2 WHERE id = $1", accounts[4].ID, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != len(migrations)-1 {
		t.Fatalf("Migrate = %d, %v; want %d", n, err, len(migrations)-1)
	}
	for i, a := range accounts {
		var text string
		if err := db.pool.QueryRow(ctx, "SELECT search_text FROM accounts WHERE id = $1", a.ID).Scan(&text); err != nil {
			t.Fatal(err)
		}
		want := a.SearchText()
		if i == 4 {
			want = ""
		}
		if text != want {
			t.Errorf("search_text of %s = %q, want %q", a.FirstName, text, want)
		}
	}
	if ids := hitIDs(searchAll(t, db, accountd.SearchQuery{Text: "zoe"})); !slices.Equal(ids, []string{accounts[0].ID}) {
		t.Errorf("search zoe after the backfill: %v, want [%s]", ids, accounts[0].ID)
	}
}

// TestPruneFoldsListingCounts: every statement that lists or unlists
// accounts adds its own rows of listing counts; Prune folds them into one
// per role and completeness, and the totals stay as they were.
func TestPruneFoldsListingCounts(t *testing.T) {
	ctx := t.Context()
	db := openMigrated(t)
	var accounts []*accountd.Account
	for i := range 30 {
		a := newSearchAccount(t0.Add(time.Duration(i)*time.Second), "Ada", "Lovelace")
		if i%3 == 0 {
			a.Role = accountd.RolePartner
		}
		accounts = append(accounts, a)
		if err := db.Write(ctx, func(tx accountd.Tx) error { return tx.CreateAccount(ctx, a) }); err != nil {
			t.Fatal(err)
		}
	}
	err := db.Write(ctx, func(tx accountd.Tx) error {
		for _, a := range accounts[:5] {
			a.IsPrivate = true
			if err := tx.UpdateAccount(ctx, a); err != nil {
				return err
			}
		}
		for _, a := range accounts[5:8] {
			if err := tx.DeleteAccount(ctx, a.ID, t0.Add(time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	totals := func() (all, partners int) {
		return searchAll(t, db, accountd.SearchQuery{}).Total, searchAll(t, db, accountd.SearchQuery{Role: accountd.RolePartner}).Total
	}
	changes := func() int {
		var n int
		if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM listing_count_changes").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Listed: 22, of which partners are 3, 9, 12, …, 27 less the private 0
	// and 3 and the deleted 6: 7.
	if all, partners := totals(); all != 22 || partners != 7 {
		t.Fatalf("before Prune: %d listed, %d partners; want 22, 7", all, partners)
	}
	if n := changes(); n < 30 {
		t.Fatalf("%d rows of changes before Prune; want one at least for each of the 30 statements", n)
	}
	if err := db.Prune(ctx, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := changes(); n != 2 {
		t.Errorf("%d rows of changes after Prune; want 2, one for each role at completeness 0", n)
	}
	if all, partners := totals(); all != 22 || partners != 7 {
		t.Errorf("after Prune: %d listed, %d partners; want 22, 7", all, partners)
	}
}

// TestConcurrentPrunesKeepListingCounts: Prunes of two instances fold the
// listing counts while accounts come and change, and the counted total
// stays what a count of the accounts says.
func TestConcurrentPrunesKeepListingCounts(t *testing.T) {
	ctx := t.Context()
	url := newDatabase(t)
	db, other := openURL(t, url), openURL(t, url)
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 8)
	for _, s := range []*DB{db, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Prune(ctx, t0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 40 {
				a := newSearchAccount(t0.Add(time.Duration(w*100+i)*time.Second), "Ada", "Lovelace")
				err := db.Write(ctx, func(tx accountd.Tx) error {
					if err := tx.CreateAccount(ctx, a); err != nil {
						return err
					}
					if i%4 == 0 {
						a.IsPrivate = true
						return tx.UpdateAccount(ctx, a)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FROM accounts AS a WHERE "+listed).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if got := searchAll(t, db, accountd.SearchQuery{}).Total; got != n || n != 120 {
		t.Errorf("counted total %d, accounts listed %d; want 120", got, n)
	}
}
