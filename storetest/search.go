package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"accountd"
)

// population is a few thousand accounts with varied names, tags, roles,
// completeness, owners and privacy, some deleted, and what a search of
// them should find, worked out here from the same data.
type population struct {
	accounts []*accountd.Account // every account created, deleted ones included
	deleted  map[string]bool
	tags     map[string][]string // account id → tag keys
	// bookmarks are owner → bookmarked account ids, with the bookmark ids.
	bookmarks map[string]map[string]string
}

var (
	firstNames = []string{"Ann", "Anna", "Joanna", "Hannah", "Jeremy", "Jerome", "Zoë", "Zoe", "José", "Renée",
		"Björn", "Chloé", "Li", "Jo", "Ömer", "Noa", "Jerry", "Max", "Sam", "Ann-Marie"}
	lastNames = []string{"Smith", "Jerez", "Annan", "Müller", "García", "O'Neil", "Lee", "Nguyen", "Brontë",
		"Ng", "", "Kowalski", "Ōtsuka", "Ferreira", "Rossi"}
	titles = []string{"", "Software Engineer", "Product Designer", "Data Scientist", "DevOps engineer",
		"Growth marketer", "Café owner", "Technical writer"}
	tagPool = []string{"Go", "product", "devops", "engineering", "UI design", "writing", "web3", "crypto",
		"data science", "figma", "rust", "marketing", "seo", "kubernetes", "python", "solidity", "a/b testing",
		"c++", "Ümlaut tag", "sales"}
)

// seedPopulation stores n accounts and returns them. Creation times come
// in runs that share a millisecond, and ids within a millisecond are not in
// creation order, so that ties are broken by id, not by insertion.
func seedPopulation(t *testing.T, s accountd.Store, n int, seed uint64) *population {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	p := &population{deleted: map[string]bool{}, tags: map[string][]string{}, bookmarks: map[string]map[string]string{}}
	at := t0
	var owners []string
	for i := range n {
		if rng.IntN(3) > 0 {
			at = at.Add(time.Duration(1+rng.IntN(5000)) * time.Millisecond)
		}
		a := accountd.NewAccount(at, fmt.Sprintf("user%d@example.com", i),
			firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))])
		// NewID numbers ids in order; a random id makes ties meaningful.
		a.ID = fmt.Sprintf("%024x", rng.Uint64()&0xffffffffffff<<48|uint64(i))
		for j := range a.Achievements {
			a.Achievements[j].Owner = a.ID
			a.Achievements[j].ID = fmt.Sprintf("%024x", uint64(i)<<8|uint64(j))
		}
		a.UserName = fmt.Sprintf("%s-%d", accountd.UserNameBase(a.FirstName, a.LastName), i)
		a.ReferralCode = fmt.Sprintf("R%d", i)
		a.Role = []string{accountd.RoleUser, accountd.RoleUser, accountd.RoleUser, accountd.RolePartner, accountd.RoleAdmin}[rng.IntN(5)]
		a.Score = rng.IntN(50)
		a.IsPrivate = rng.IntN(10) == 0
		fillProfile(rng, a)
		if len(owners) > 0 && rng.IntN(8) == 0 {
			a.OwnerID = owners[rng.IntN(len(owners))]
		}
		if a.Role != accountd.RoleUser && len(owners) < 5 {
			owners = append(owners, a.ID)
		}
		var names []string
		for _, k := range rng.Perm(len(tagPool))[:rng.IntN(6)] {
			names = append(names, tagPool[k])
		}
		p.accounts = append(p.accounts, a)
		p.tags[a.ID] = keysOf(names)
		a.Profile.Talent.Tags = names
	}
	// One transaction per hundred keeps the seeding fast on every store.
	for chunk := range slices.Chunk(p.accounts, 100) {
		write(t, s, func(tx accountd.Tx) error {
			for _, a := range chunk {
				names := a.Profile.Talent.Tags
				a.Profile.Talent.Tags = []string{}
				if err := tx.CreateAccount(t.Context(), a); err != nil {
					return err
				}
				if _, err := tx.SetTags(t.Context(), a.ID, newTags(a.CreatedAt, names...), a.CreatedAt); err != nil {
					return err
				}
				a.Profile.Talent.Tags = names
				if err := tx.UpdateAccount(t.Context(), a); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, a := range p.accounts {
		if rng.IntN(25) == 0 {
			write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(t.Context(), a.ID, at) })
			p.deleted[a.ID] = true
		}
	}
	return p
}

func keysOf(names []string) []string {
	keys := make([]string, len(names))
	for i, name := range names {
		keys[i] = accountd.TagKey(name)
	}
	return keys
}

// fillProfile sets a random part of the fields completeness counts.
func fillProfile(rng *rand.Rand, a *accountd.Account) {
	set := func(field *string, value string) {
		if rng.IntN(2) == 0 {
			*field = value
		}
	}
	p := &a.Profile
	p.Bio.Title = titles[rng.IntN(len(titles))]
	if rng.IntN(2) == 0 {
		p.Contact.Country, p.Contact.State, p.Contact.City = "England", "Greater Manchester", "Manchester"
	}
	set(&p.Contact.Address, "30 Alice Bob Blvd")
	set(&p.Contact.Phone, "+447911123456")
	set(&p.Bio.Description, "Builds software products")
	set(&p.Talent.About, "About me")
	set(&a.Socials.GitHub, "https://github.com/someone")
	set(&a.Socials.Website, "https://example.com")
}

// want is the reference search: every listed account q selects, in q's
// order, computed without the store.
func (p *population) want(q *accountd.SearchQuery) []*accountd.Account {
	if q.CompletenessMax == 0 {
		q.CompletenessMax = 100
	}
	var out []*accountd.Account
	for _, a := range p.accounts {
		if p.deleted[a.ID] || !a.Listed() || !p.matches(a, q) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *accountd.Account) int {
		switch q.Sort {
		case accountd.SortOldest:
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
		case accountd.SortCompleteness:
			return cmp.Or(cmp.Compare(b.Completeness(), a.Completeness()), strings.Compare(b.ID, a.ID))
		case accountd.SortScore:
			return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(b.ID, a.ID))
		default:
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), strings.Compare(b.ID, a.ID))
		}
	})
	return out
}

func (p *population) matches(a *accountd.Account, q *accountd.SearchQuery) bool {
	if q.Text != "" && !strings.Contains(a.SearchText(), q.Text) {
		return false
	}
	if len(q.TagKeys) > 0 {
		has := 0
		for _, key := range q.TagKeys {
			if slices.Contains(p.tags[a.ID], key) {
				has++
			}
		}
		if (q.AnyTag && has == 0) || (!q.AnyTag && has < len(q.TagKeys)) {
			return false
		}
	}
	if !q.AsOf.IsZero() && !a.CreatedAt.Before(q.AsOf) {
		return false
	}
	c := a.Completeness()
	if (q.Role != "" && a.Role != q.Role) || c < q.CompletenessMin || c > q.CompletenessMax {
		return false
	}
	if q.OwnerID != "" && a.OwnerID != q.OwnerID {
		return false
	}
	if q.BookmarkedBy != "" {
		if _, ok := p.bookmarks[q.BookmarkedBy][a.ID]; !ok {
			return false
		}
	}
	return true
}

// search runs q, with CompletenessMax 100 when q leaves it 0, as a query
// that does not bound completeness has it.
func search(t *testing.T, s accountd.Store, q *accountd.SearchQuery) *accountd.SearchResult {
	t.Helper()
	if q.CompletenessMax == 0 {
		q.CompletenessMax = 100
	}
	var res *accountd.SearchResult
	read(t, s, func(tx accountd.Tx) (err error) {
		res, err = tx.SearchAccounts(t.Context(), q)
		return err
	})
	return res
}

// checkPage compares the store's page of q with the reference.
func (p *population) checkPage(t *testing.T, s accountd.Store, q *accountd.SearchQuery) {
	t.Helper()
	all := p.want(q)
	res := search(t, s, q)
	var want, got []string
	for _, a := range all[min(q.Offset(), len(all)):min(q.Offset()+q.Limit, len(all))] {
		want = append(want, a.ID)
	}
	for _, h := range res.Hits {
		got = append(got, h.Account.ID)
		if b := p.bookmarks[q.ViewerID][h.Account.ID]; h.BookmarkID != b {
			t.Errorf("%s: hit %s has bookmark %q, want %q", describe(q), h.Account.ID, h.BookmarkID, b)
		}
	}
	if res.Total != len(all) || !slices.Equal(got, want) {
		t.Errorf("%s: total %d, page %v;\nwant total %d, page %v", describe(q), res.Total, got, len(all), want)
	}
	if res.Hits == nil {
		t.Errorf("%s: Hits is nil, want an empty list", describe(q))
	}
}

func describe(q *accountd.SearchQuery) string {
	return fmt.Sprintf("search %+v", *q)
}

// searchQueries are the filter combinations the suite checks, each with
// every sort and a few pages.
func searchQueries(owner string) []accountd.SearchQuery {
	fold := accountd.FoldText
	return []accountd.SearchQuery{
		{},
		{Text: "ann"},
		{Text: fold("ZOË")}, // accents folded: finds Zoë and Zoe
		{Text: "jer"},
		{Text: "o"}, // shorter than a trigram
		{Text: "jo"},
		{Text: "engineer"},   // bio title
		{Text: "eer"},        // the end of a search text
		{Text: "smith-"},     // user name
		{Text: "n\ns"},       // never spans two fields
		{Text: fold("Müll")}, // non-ASCII inside the trigram
		{Text: `o'n`},        // punctuation
		{Text: "zzz"},        // nothing
		// Spells how the SQLite store indexes the first tag, and matches nothing.
		{Text: "t\ue000\ue001"},
		{TagKeys: []string{"product"}},
		{TagKeys: []string{"product", "devops"}},
		{TagKeys: []string{"product", "devops"}, AnyTag: true},
		{TagKeys: []string{"ümlaut tag", "a/b testing"}, AnyTag: true},
		{TagKeys: []string{"product", "never used"}},
		{TagKeys: []string{"product", "never used"}, AnyTag: true},
		{TagKeys: []string{"never used"}, AnyTag: true},
		{Role: accountd.RolePartner},
		{Role: accountd.RoleAdmin, CompletenessMin: 50},
		{CompletenessMin: 70},
		{CompletenessMax: 30},
		{CompletenessMin: 41, CompletenessMax: 49}, // no step of ten in between
		{CompletenessMin: 100, CompletenessMax: 100},
		{CompletenessMin: 0, CompletenessMax: 0},
		{Text: "ann", CompletenessMax: 60},
		{TagKeys: []string{"product"}, CompletenessMin: 15, CompletenessMax: 85},
		{TagKeys: []string{"devops"}, Role: accountd.RolePartner, CompletenessMax: 50},
		{TagKeys: []string{"product", "figma"}, AnyTag: true, CompletenessMin: 60},
		{Text: "jer", CompletenessMin: 30, CompletenessMax: 70},
		{Text: "ann", TagKeys: []string{"engineering"}, CompletenessMin: 70},
		{Text: "an", TagKeys: []string{"go"}, Role: accountd.RoleUser},
		{OwnerID: owner},
		{OwnerID: owner, Text: "ann"},
		{OwnerID: owner, Role: accountd.RoleUser, CompletenessMin: 20},
	}
}

func testSearch(t *testing.T, s accountd.Store) {
	p := seedPopulation(t, s, 2000, 1)
	owner := ""
	for _, a := range p.accounts {
		if a.OwnerID != "" && !p.deleted[a.OwnerID] {
			owner = a.OwnerID
			break
		}
	}
	if owner == "" {
		t.Fatal("the population has no owner")
	}
	sorts := []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest, accountd.SortCompleteness, accountd.SortScore}
	for _, base := range searchQueries(owner) {
		for _, sort := range sorts {
			q := base
			q.Sort, q.Limit = sort, 25
			total := len(p.want(&q))
			for _, page := range []int{1, 2, (total + q.Limit - 1) / q.Limit, total/q.Limit + 2} {
				q.Page = max(page, 1)
				p.checkPage(t, s, &q)
			}
		}
	}
	// A filter that selects something in this population, so the checks
	// above are not all of empty pages.
	if n := len(p.want(&accountd.SearchQuery{Text: "ann", TagKeys: []string{"engineering"}, CompletenessMin: 70})); n == 0 {
		t.Error("the combined filter selects nothing; the population does not exercise it")
	}
}

// testSearchPageWalk walks every page of the default sort, as of the time
// of its first page, while accounts are created between pages: newer
// accounts sort first, and AsOf keeps them from pushing the ones the walk
// started with onto the next page, so together the pages are the whole
// result once, in order.
func testSearchPageWalk(t *testing.T, s accountd.Store) {
	p := seedPopulation(t, s, 600, 2)
	asOf := p.accounts[len(p.accounts)-1].CreatedAt.Add(time.Millisecond)
	start := p.want(&accountd.SearchQuery{Sort: accountd.SortNewest})
	var walked []string
	last := asOf
	for page := 1; ; page++ {
		res := search(t, s, &accountd.SearchQuery{Sort: accountd.SortNewest, Page: page, Limit: 17, AsOf: asOf})
		if res.Total != len(start) {
			t.Fatalf("page %d: total %d, want %d", page, res.Total, len(start))
		}
		if len(res.Hits) == 0 {
			break
		}
		for _, h := range res.Hits {
			walked = append(walked, h.Account.ID)
		}
		write(t, s, func(tx accountd.Tx) error {
			for i := range 7 {
				// Some in the same millisecond as AsOf, which they are not before.
				if i%3 == 2 {
					last = last.Add(time.Millisecond)
				}
				a := newAccount(last, fmt.Sprintf("walk%d-%d@example.com", page, i))
				if err := tx.CreateAccount(t.Context(), a); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var want []string
	for _, a := range start {
		want = append(want, a.ID)
	}
	if !slices.Equal(walked, want) {
		t.Errorf("the walk found %d accounts, want the %d it started with, once each, in order", len(walked), len(want))
	}
}

// testSearchSameMillisecond creates many accounts in one millisecond, ids
// in an order that keeps landing between two earlier ones, and checks that
// the default sorts still break the tie by id.
func testSearchSameMillisecond(t *testing.T, s accountd.Store) {
	p := &population{deleted: map[string]bool{}, tags: map[string][]string{}}
	rng := rand.New(rand.NewPCG(5, 5))
	ids := []uint64{1 << 40, 2 << 40}
	for len(ids) < 120 {
		// Alternately just above the lowest and just below the highest,
		// and now and then anywhere.
		switch n := len(ids); {
		case n%7 == 0:
			ids = append(ids, rng.Uint64N(3<<40))
		case n%2 == 0:
			ids = append(ids, ids[0]+uint64(n))
		default:
			ids = append(ids, ids[1]-uint64(n))
		}
	}
	for i, id := range ids {
		a := newAccount(t0, fmt.Sprintf("same%d@example.com", i))
		a.ID = fmt.Sprintf("%024x", id)
		a.UserName, a.ReferralCode = "same-"+a.ID, "S"+a.ID
		write(t, s, func(tx accountd.Tx) error { return tx.CreateAccount(t.Context(), a) })
		p.accounts = append(p.accounts, a)
	}
	for _, sort := range []accountd.SearchSort{accountd.SortNewest, accountd.SortOldest} {
		for _, text := range []string{"", "ada"} {
			p.checkPage(t, s, &accountd.SearchQuery{Text: text, Sort: sort, Page: 1, Limit: 100})
			p.checkPage(t, s, &accountd.SearchQuery{Text: text, Sort: sort, Page: 2, Limit: 100})
		}
	}
}
