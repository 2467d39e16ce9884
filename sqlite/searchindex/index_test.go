package searchindex

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"accountd"
)

// TestPlansAgreeWithTheListings writes accounts, changes and deletes some,
// and checks every plan's count and page against an answer worked out from
// the accounts themselves, for each filter and their combinations, each
// sort, and as of a time between two writes; then that the index agrees
// with the accounts (Check).
func TestPlansAgreeWithTheListings(t *testing.T) {
	f := newFixture(t)
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	names := []string{"Jeremy", "Anna", "Jerome", "Li", "Annabel"}
	tagSets := [][]string{nil, {"go"}, {"go", "rust"}, {"rust", "sql"}, {"web"}}
	var owner string
	build := func(i int, at time.Time) *fixtureAccount {
		a := accountd.NewAccount(at, fmt.Sprintf("p%d@example.com", i), names[i%len(names)], "Smith")
		a.UserName = fmt.Sprintf("%s-%d", strings.ToLower(a.FirstName), i)
		a.Score = i % 7
		a.IsPrivate = i%11 == 0
		if i%3 == 0 {
			a.Profile.Bio.Title = "Rust developer"
		}
		if i%4 == 0 {
			a.Profile.Contact = accountd.Contact{Country: "England", State: "Kent", City: "Dover", Address: "1 Street"}
		}
		if i%5 == 0 {
			a.Profile.Bio.Description, a.Profile.Talent.About = "Builds things", "About"
		}
		switch {
		case i == 0:
			a.Role, owner = accountd.RolePartner, a.ID
		case i%6 == 0:
			a.Role, a.OwnerID = accountd.RoleAdmin, owner
		}
		return &fixtureAccount{Account: a, tags: tagSets[i%len(tagSets)]}
	}
	var all []*fixtureAccount
	f.write(func(ctx context.Context, c Conn, ch *Changes) error {
		for i := range 120 {
			a := build(i, t0.Add(time.Duration(i)*time.Second))
			if err := f.put(ctx, c, ch, a); err != nil {
				return err
			}
			all = append(all, a)
		}
		return nil
	})
	// Twenty accounts in one millisecond, each id above the last and each
	// in a transaction of its own: each halves the room after the last,
	// until NewSeq spreads out the listings already written.
	crowded := t0.Add(time.Hour)
	for i := range 20 {
		a := build(200+i, crowded)
		a.ID = fmt.Sprintf("%08x%016x", crowded.Unix(), i)
		f.write(func(ctx context.Context, c Conn, ch *Changes) error { return f.put(ctx, c, ch, a) })
		all = append(all, a)
	}
	// Changes after asOf: new text, tags, privacy, and deletions.
	asOf := t0.Add(30 * time.Minute)
	f.write(func(ctx context.Context, c Conn, ch *Changes) error {
		for i, a := range all {
			switch i % 9 {
			case 1:
				a.FirstName, a.tags = "Jeremiah", []string{"sql"}
			case 2:
				a.IsPrivate = !a.IsPrivate
			case 4:
				a.deleted = true
			default:
				continue
			}
			if err := f.put(ctx, c, ch, a); err != nil {
				return err
			}
		}
		return exec(ctx, c, `INSERT INTO bookmarks (id, owner, account_id, created_at)
			SELECT 'b' || seq, ?, id, 0 FROM accounts WHERE seq % 3 = 0`, owner)
	})
	if err := Check(t.Context(), f.db); err != nil {
		t.Fatal(err)
	}
	// The seqs as they ended, after respreads.
	for _, a := range all {
		if err := f.db.QueryRow("SELECT seq FROM accounts WHERE id = ?", a.ID).Scan(&a.seq); err != nil {
			t.Fatal(err)
		}
	}
	bookmarked := map[string]bool{}
	for _, a := range all {
		bookmarked[a.ID] = a.seq%3 == 0
	}

	texts := []string{"", "je", "jer", "smith", "rust dev", "jeremiah"}
	tags := []struct {
		keys []string
		any  bool
	}{{}, {keys: []string{"go"}}, {keys: []string{"go", "rust"}}, {keys: []string{"go", "sql"}, any: true}, {keys: []string{"nope"}}}
	ranges := [][2]int{{0, 100}, {30, 100}, {0, 40}, {15, 25}}
	strategies := map[string]bool{}
	for _, text := range texts {
		for _, tag := range tags {
			for _, role := range []string{"", accountd.RoleAdmin} {
				for _, r := range ranges {
					for _, others := range []accountd.SearchQuery{{}, {OwnerID: owner}, {BookmarkedBy: owner}, {AsOf: asOf}} {
						for _, sort := range []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest, accountd.SortCompleteness, accountd.SortScore} {
							q := others
							q.Text, q.TagKeys, q.AnyTag, q.Role = text, tag.keys, tag.any, role
							q.CompletenessMin, q.CompletenessMax, q.Sort, q.Page, q.Limit = r[0], r[1], sort, 2, 5
							checkPlan(t, f, &q, all, bookmarked, strategies)
						}
					}
				}
			}
		}
	}
	for _, s := range []string{"bitmaps", "listing counts", "match count", "listings"} {
		if !strategies[s] {
			t.Errorf("no query counted through %s", s)
		}
	}
}

// checkPlan compares q's count and page with the answer from the accounts.
func checkPlan(t *testing.T, f *fixture, q *accountd.SearchQuery, all []*fixtureAccount, bookmarked map[string]bool, strategies map[string]bool) {
	t.Helper()
	var want []*fixtureAccount
	for _, a := range all {
		completeness := a.Completeness()
		switch {
		case a.deleted || !a.Listed(),
			!strings.Contains(a.SearchText(), q.Text),
			q.Role != "" && a.Role != q.Role,
			completeness < q.CompletenessMin || completeness > q.CompletenessMax,
			q.OwnerID != "" && a.OwnerID != q.OwnerID,
			q.BookmarkedBy != "" && !bookmarked[a.ID],
			!q.AsOf.IsZero() && !a.CreatedAt.Before(q.AsOf),
			len(q.TagKeys) > 0 && q.AnyTag && !slices.ContainsFunc(q.TagKeys, func(k string) bool { return slices.Contains(a.tags, k) }),
			len(q.TagKeys) > 0 && !q.AnyTag && slices.ContainsFunc(q.TagKeys, func(k string) bool { return !slices.Contains(a.tags, k) }):
			continue
		}
		want = append(want, a)
	}
	slices.SortFunc(want, func(a, b *fixtureAccount) int {
		switch q.Sort {
		case accountd.SortOldest:
			return cmp.Compare(a.seq, b.seq)
		case accountd.SortCompleteness:
			return cmp.Or(cmp.Compare(b.Completeness(), a.Completeness()), strings.Compare(b.ID, a.ID))
		case accountd.SortScore:
			return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(b.ID, a.ID))
		}
		return cmp.Compare(b.seq, a.seq)
	})
	var wantPage []string
	for _, a := range want[min(q.Offset(), len(want)):min(q.Offset()+q.Limit, len(want))] {
		wantPage = append(wantPage, a.ID)
	}
	f.read(func(ctx context.Context, c Conn) error {
		p, err := NewPlan(ctx, c, q)
		if err != nil {
			return err
		}
		switch query, _ := p.countQuery(); {
		case p.none:
		case p.terms != nil:
			strategies["bitmaps"] = true
		case query == qListingCount:
			strategies["listing counts"] = true
		case query == qMatchCount:
			strategies["match count"] = true
		default:
			strategies["listings"] = true
		}
		total, err := p.Count(ctx, c)
		if err != nil {
			return err
		}
		page, err := p.Page(ctx, c)
		if err != nil {
			return err
		}
		if total != len(want) || !slices.Equal(page, wantPage) {
			t.Errorf("%+v: total %d, page %v; want %d, %v", *q, total, page, len(want), wantPage)
		}
		return nil
	})
}

// TestCheckFindsWhatDisagrees breaks each part of the index in turn and
// shows that Check names it.
func TestCheckFindsWhatDisagrees(t *testing.T) {
	for _, c := range []struct{ breaks, want string }{
		{"DELETE FROM listing_bits WHERE term = (SELECT min(term) FROM listing_bits)", "bitmaps"},
		{"UPDATE listing_counts SET n = n + 1", "listing counts"},
		{"DELETE FROM listings", "accounts listed"},
	} {
		f := newFixture(t)
		f.write(func(ctx context.Context, conn Conn, ch *Changes) error {
			a := accountd.NewAccount(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), "p@example.com", "Ada", "Lovelace")
			a.UserName = "ada"
			return f.put(ctx, conn, ch, &fixtureAccount{Account: a, tags: []string{"go"}})
		})
		if err := Check(t.Context(), f.db); err != nil {
			t.Fatalf("before %s: %v", c.breaks, err)
		}
		if _, err := f.db.Exec(c.breaks); err != nil {
			t.Fatal(err)
		}
		if err := Check(t.Context(), f.db); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("after %s: Check = %v; want it to name %s", c.breaks, err, c.want)
		}
	}
}
