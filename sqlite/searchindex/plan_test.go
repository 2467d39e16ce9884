package searchindex

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"accountd"
)

// TestSearchUsesIndexes explains the SQL of each filter and sort's count
// and page and checks that no plan reads every account: accounts is never
// read at all, listings only through an index or in the order of its key,
// the full-text index only through MATCH (FTS5 marks a MATCH with an M in
// the plan), and the bitmaps only by term.
func TestSearchUsesIndexes(t *testing.T) {
	f := newFixture(t)
	now := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var owner string
	f.write(func(ctx context.Context, c Conn, ch *Changes) error {
		for i := range 200 {
			a := accountd.NewAccount(now.Add(time.Duration(i)*time.Second), fmt.Sprintf("p%d@example.com", i), "Jeremy", "Annan")
			a.UserName = fmt.Sprintf("jeremy-%d", i)
			if i == 0 {
				a.Role, owner = accountd.RolePartner, a.ID
			} else {
				a.OwnerID = owner
			}
			if err := f.put(ctx, c, ch, &fixtureAccount{Account: a, tags: []string{"product", "devops"}}); err != nil {
				return err
			}
		}
		return nil
	})

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
	f.read(func(ctx context.Context, c Conn) error {
		plan, err := explain(ctx, c, qBitsOf, []any{facet(facetTag, 1)})
		if err == nil && (len(plan) != 1 || plan[0] != "SEARCH listing_bits USING PRIMARY KEY (term=?)") {
			t.Errorf("bitmaps: %s:\n  %s", qBitsOf, strings.Join(plan, "\n  "))
		}
		return err
	})
	for _, filter := range filters {
		for _, sort := range sorts {
			q := filter.q
			q.Sort, q.Page, q.Limit, q.AsOf = sort, 3, 12, now.Add(time.Hour)
			if q.CompletenessMax == 0 {
				q.CompletenessMax = 100
			}
			f.read(func(ctx context.Context, c Conn) error {
				p, err := NewPlan(ctx, c, &q)
				if err != nil {
					return err
				}
				count, countArgs := p.countQuery()
				page, pageArgs, err := p.pageQuery()
				if err != nil {
					return err
				}
				for _, run := range []struct {
					what, query string
					args        []any
				}{{"count", count, countArgs}, {"page", page, pageArgs}} {
					if filter.name == "none" && run.what == "page" {
						continue // walks the key in order, up to the page
					}
					plan, err := explain(ctx, c, run.query, run.args)
					if err != nil {
						return fmt.Errorf("%s: %w", run.query, err)
					}
					scan := false
					for _, line := range plan {
						scan = scan || fullScan.MatchString(line)
					}
					if scan {
						t.Errorf("%s, %s, %s: a full scan:\n  %s\n  %s", filter.name, sort, run.what, run.query, strings.Join(plan, "\n  "))
					}
				}
				return nil
			})
		}
	}
}

func explain(ctx context.Context, c Conn, query string, args []any) ([]string, error) {
	s, err := c.Stmt(ctx, "EXPLAIN QUERY PLAN "+query)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, args...)
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
