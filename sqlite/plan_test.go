package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountd"
)

// TestSearchUsesIndexes explains the SQL SearchAccounts runs for each
// filter and sort and checks that no plan reads every account: accounts is
// never read at all, listings only through an index or in the order of
// its key, the full-text index only through MATCH (FTS5 marks a MATCH
// with an M in the plan), and the bitmaps only by term.
func TestSearchUsesIndexes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var owner string
	err = db.Write(ctx, func(tx accountd.Tx) error {
		for i := range 200 {
			a := accountd.NewAccount(now.Add(time.Duration(i)*time.Second), fmt.Sprintf("p%d@example.com", i), "Jeremy", "Annan")
			a.UserName, a.ReferralCode = fmt.Sprintf("jeremy-%d", i), fmt.Sprintf("R%d", i)
			if i == 0 {
				a.Role, owner = accountd.RolePartner, a.ID
			} else {
				a.OwnerID = owner
			}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
			if _, err := tx.SetTags(ctx, a.ID, []accountd.Tag{accountd.NewTag(now, "product"), accountd.NewTag(now, "devops")}, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	filters := []struct {
		name string
		q    accountd.SearchQuery
	}{
		{name: "none"},
		{name: "search", q: accountd.SearchQuery{Text: "jer"}},
		{name: "tags", q: accountd.SearchQuery{TagKeys: []string{"product", "devops"}}},
		{name: "any tag", q: accountd.SearchQuery{TagKeys: []string{"product", "devops"}, AnyTag: true}},
		{name: "role", q: accountd.SearchQuery{Role: accountd.RolePartner}},
		{name: "completeness", q: accountd.SearchQuery{CompletenessMin: 70}},
		{name: "search, tags and completeness", q: accountd.SearchQuery{Text: "ann", TagKeys: []string{"product"}, CompletenessMin: 70}},
		{name: "owner", q: accountd.SearchQuery{OwnerID: owner}},
		{name: "owner and search", q: accountd.SearchQuery{OwnerID: owner, Text: "jer"}},
		{name: "bookmarks", q: accountd.SearchQuery{BookmarkedBy: owner}},
		// Two characters are no trigram, so on its own such a search reads
		// every listing, in seq order; with another filter it does not.
		{name: "short search and tag", q: accountd.SearchQuery{Text: "je", TagKeys: []string{"product"}}},
	}
	sorts := []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest, accountd.SortCompleteness, accountd.SortScore}
	// Every query is bounded by AsOf's seq, so a walk of the whole key
	// shows as a range of it.
	fullScan := regexp.MustCompile(`^SCAN (accounts|l)$|SCAN accounts|VIRTUAL TABLE INDEX \d+:[^M]*$|^SEARCH l USING INTEGER PRIMARY KEY \(rowid<\?\)$`)
	err = db.Read(ctx, func(atx accountd.Tx) error {
		plan, err := explain(ctx, atx.(*tx), queries[qBitsOf], []any{facet(facetTag, 1)})
		if err == nil && (len(plan) != 1 || plan[0] != "SEARCH listing_bits USING PRIMARY KEY (term=?)") {
			t.Errorf("bitmaps: %s:\n  %s", queries[qBitsOf], strings.Join(plan, "\n  "))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range filters {
		for _, sort := range sorts {
			q := f.q
			q.Sort, q.Page, q.Limit, q.AsOf = sort, 3, 12, now.Add(time.Hour)
			if q.CompletenessMax == 0 {
				q.CompletenessMax = 100
			}
			err := db.Read(ctx, func(atx accountd.Tx) error {
				tx := atx.(*tx)
				p, err := tx.planSearch(ctx, &q)
				if err != nil {
					return err
				}
				count, countArgs := p.countQuery(&q)
				page, pageArgs, err := p.pageQuery(&q)
				if err != nil {
					return err
				}
				for _, c := range []struct {
					what, query string
					args        []any
				}{{"count", count, countArgs}, {"page", page, pageArgs}} {
					if f.name == "none" && c.what == "page" {
						continue // walks the key in order, up to the page
					}
					plan, err := explain(ctx, tx, c.query, c.args)
					if err != nil {
						return fmt.Errorf("%s: %w", c.query, err)
					}
					scan := false
					for _, line := range plan {
						scan = scan || fullScan.MatchString(line)
					}
					if scan {
						t.Errorf("%s, %s, %s: a full scan:\n  %s\n  %s", f.name, sort, c.what, c.query, strings.Join(plan, "\n  "))
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func explain(ctx context.Context, t *tx, query string, args []any) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		plan = append(plan, detail)
	}
	return plan, rows.Err()
}
