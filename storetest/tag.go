package storetest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"accountd"
)

// newTags returns the documents of names as the service makes them.
func newTags(at time.Time, names ...string) []accountd.Tag {
	tags := make([]accountd.Tag, len(names))
	for i, name := range names {
		tags[i] = accountd.NewTag(at, name)
	}
	return tags
}

func setTags(t *testing.T, s accountd.Store, accountID string, at time.Time, names ...string) {
	t.Helper()
	write(t, s, func(tx accountd.Tx) error {
		return errOnly(tx.SetTags(t.Context(), accountID, newTags(at, names...), at))
	})
}

func accountByID(t *testing.T, s accountd.Store, id string) *accountd.Account {
	t.Helper()
	var a *accountd.Account
	read(t, s, func(tx accountd.Tx) (err error) {
		a, err = tx.AccountByID(t.Context(), id)
		return err
	})
	return a
}

// wantTags checks the account's tag names, and that its documents come in
// the same order with the given EntryCount each.
func wantTags(t *testing.T, s accountd.Store, accountID string, names []string, counts []int) *accountd.Account {
	t.Helper()
	a := accountByID(t, s, accountID)
	var keys, wantKeys []string
	var gotCounts []int
	for _, tag := range a.Tags {
		keys, gotCounts = append(keys, tag.Key), append(gotCounts, tag.EntryCount)
	}
	for _, name := range names {
		wantKeys = append(wantKeys, accountd.TagKey(name))
	}
	if !slices.Equal(a.Profile.Talent.Tags, names) || !slices.Equal(keys, wantKeys) || !slices.Equal(gotCounts, counts) {
		t.Errorf("tags %q, keys %q, entry counts %v; want %q, %q, %v",
			a.Profile.Talent.Tags, keys, gotCounts, names, wantKeys, counts)
	}
	return a
}

// testSharedTags: one document per key, whatever the case of each
// account's name for it.
func testSharedTags(t *testing.T, s accountd.Store) {
	a := createAccount(t, s, t0, "ada@example.com")
	b := createAccount(t, s, t0, "grace@example.com")
	setTags(t, s, a.ID, t0, "Web3")
	setTags(t, s, b.ID, t0.Add(time.Minute), "web3")

	gotA := wantTags(t, s, a.ID, []string{"Web3"}, []int{2})
	gotB := wantTags(t, s, b.ID, []string{"web3"}, []int{2})
	if !reflect.DeepEqual(gotA.Tags, gotB.Tags) {
		t.Errorf("two accounts' documents of one key differ:\n%+v\n%+v", gotA.Tags, gotB.Tags)
	}
	if name := gotB.Tags[0].Name; name != "Web3" {
		t.Errorf("document name %q, want the first use's, %q", name, "Web3")
	}
}

// testSetTags replaces an account's tags; a witness holding every tag
// shows their counts.
func testSetTags(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	witness := createAccount(t, s, t0, "grace@example.com")
	setTags(t, s, witness.ID, t0, "go", "rust", "sql")
	counts := func(want ...int) {
		t.Helper()
		wantTags(t, s, witness.ID, []string{"go", "rust", "sql"}, want)
	}

	setTags(t, s, a.ID, t0, "Go", "rust")
	wantTags(t, s, a.ID, []string{"Go", "rust"}, []int{2, 2})
	counts(2, 2, 1)

	// Losing go, keeping rust under another spelling, gaining sql.
	setTags(t, s, a.ID, t0, "Rust", "sql")
	wantTags(t, s, a.ID, []string{"Rust", "sql"}, []int{2, 2})
	counts(1, 2, 2)

	// A new order, then the same tags again, count nothing, so they leave
	// the documents as they were.
	before := accountByID(t, s, witness.ID).Tags
	setTags(t, s, a.ID, t0.Add(time.Hour), "sql", "Rust")
	setTags(t, s, a.ID, t0.Add(2*time.Hour), "sql", "Rust")
	wantTags(t, s, a.ID, []string{"sql", "Rust"}, []int{2, 2})
	if after := accountByID(t, s, witness.ID).Tags; !reflect.DeepEqual(after, before) {
		t.Errorf("documents changed by setting the same tags:\n got %+v\nwant %+v", after, before)
	}

	// Losing every tag twice takes each off once.
	setTags(t, s, a.ID, t0)
	setTags(t, s, a.ID, t0)
	if got := wantTags(t, s, a.ID, nil, nil); got.Tags == nil || got.Profile.Talent.Tags == nil {
		t.Error("no tags: got nil lists, want empty ones")
	}
	counts(1, 1, 1)

	// Of two tags with one key, the first counts, once.
	setTags(t, s, a.ID, t0, "Go", "go", "sql")
	wantTags(t, s, a.ID, []string{"Go", "sql"}, []int{2, 2})
	counts(2, 1, 2)

	wantNotFound(t, "SetTags of a missing account", s.Write(ctx, func(tx accountd.Tx) error {
		return errOnly(tx.SetTags(ctx, accountd.NewID(t0), newTags(t0, "go"), t0))
	}))
	counts(2, 1, 2)
}

// testSetTagsRollsBack: a failed Write counts nothing and creates no tag.
func testSetTagsRollsBack(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "ada@example.com")
	b := createAccount(t, s, t0, "grace@example.com")
	setTags(t, s, a.ID, t0, "go", "rust")
	setTags(t, s, b.ID, t0, "go")

	err := s.Write(ctx, func(tx accountd.Tx) error {
		if _, err := tx.SetTags(ctx, a.ID, newTags(t0, "python"), t0); err != nil {
			return err
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("Write: got %v, want fn's own error", err)
	}
	wantTags(t, s, a.ID, []string{"go", "rust"}, []int{2, 1})

	python := newTags(t0.Add(time.Minute), "python")
	write(t, s, func(tx accountd.Tx) error { return errOnly(tx.SetTags(ctx, b.ID, python, t0)) })
	got := wantTags(t, s, b.ID, []string{"python"}, []int{1})
	if got.Tags[0].ID != python[0].ID {
		t.Errorf("python's id %s is the rolled-back document's, want %s", got.Tags[0].ID, python[0].ID)
	}
	wantTags(t, s, a.ID, []string{"go", "rust"}, []int{1, 1})
}

// testConcurrentTags has many accounts change their tags at once; every
// count must come out exact.
func testConcurrentTags(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	const workers, writes = 64, 20
	names := make([]string, 10)
	for i := range names {
		names[i] = fmt.Sprintf("skill %d", i)
	}
	accounts := make([]*accountd.Account, workers)
	for i := range accounts {
		accounts[i] = createAccount(t, s, t0, fmt.Sprintf("user%d@example.com", i))
	}

	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i, a := range accounts {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(i), 0))
			for range writes {
				var subset []string
				for _, j := range rnd.Perm(len(names)) {
					if rnd.IntN(2) == 0 {
						subset = append(subset, names[j])
					}
				}
				err := s.Write(ctx, func(tx accountd.Tx) error { return errOnly(tx.SetTags(ctx, a.ID, newTags(t0, subset...), t0)) })
				if err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("worker %d: %v", i, err)
		}
	}

	want := make([]int, len(names))
	for _, a := range accounts {
		for _, tag := range accountByID(t, s, a.ID).Tags {
			want[slices.Index(names, tag.Name)]++
		}
	}
	// An observer holding every tag shows each count, itself included.
	observer := createAccount(t, s, t0, "observer@example.com")
	setTags(t, s, observer.ID, t0, names...)
	for i := range want {
		want[i]++
	}
	wantTags(t, s, observer.ID, names, want)
}

// testSetTagsReturnsDocuments: what SetTags returns is what a look-up then
// shows, counts included.
func testSetTagsReturnsDocuments(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	a := createAccount(t, s, t0, "returns@example.com")
	b := createAccount(t, s, t0, "witness@example.com")
	setTags(t, s, b.ID, t0, "go")
	var got []accountd.Tag
	write(t, s, func(tx accountd.Tx) (err error) {
		got, err = tx.SetTags(ctx, a.ID, newTags(t0, "Go", "SQL"), t0)
		return err
	})
	var want *accountd.Account
	read(t, s, func(tx accountd.Tx) (err error) {
		want, err = tx.AccountByID(ctx, a.ID)
		return err
	})
	if !reflect.DeepEqual(got, want.Tags) {
		t.Fatalf("SetTags returned %+v, a look-up shows %+v", got, want.Tags)
	}
	if got[0].EntryCount != 2 || got[1].EntryCount != 1 {
		t.Fatalf("counts %d, %d; want 2, 1", got[0].EntryCount, got[1].EntryCount)
	}
}

// testImportAccounts imports a batch that shares tags with itself and with
// an account stored before, repeats a key within one account and has an
// account without tags: each account reads back as given, with the tags
// and counts SetTags would have left, and searches find them.
func testImportAccounts(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	before := createAccount(t, s, t0, "before@example.com")
	setTags(t, s, before.ID, t0, "Go")
	given := [][]string{{"Go", "SQL"}, {"sql", "Rust", "SQL"}, {}, {"Go"}}
	var batch []*accountd.Account
	for i, names := range given {
		a := newAccount(t0.Add(time.Duration(i+1)*time.Second), fmt.Sprintf("import%d@example.com", i))
		a.Profile.Talent.Tags, a.Tags = names, newTags(a.CreatedAt, names...)
		batch = append(batch, a)
	}
	write(t, s, func(tx accountd.Tx) error { return tx.ImportAccounts(ctx, batch) })

	// go: before and batch 0 and 3; sql: batch 0 and 1, named as each gave it.
	wantTags(t, s, before.ID, []string{"Go"}, []int{3})
	wantTags(t, s, batch[0].ID, []string{"Go", "SQL"}, []int{3, 2})
	wantTags(t, s, batch[1].ID, []string{"sql", "Rust"}, []int{2, 1})
	wantTags(t, s, batch[2].ID, []string{}, nil)
	wantTags(t, s, batch[3].ID, []string{"Go"}, []int{3})
	for _, want := range batch {
		got := accountByID(t, s, want.ID)
		// The tags were checked above; the rest is as given.
		got.Profile.Talent.Tags, got.Tags = want.Profile.Talent.Tags, want.Tags
		wantAccount(t, "imported account", got, want)
	}
	// The last account to count a tag in says when it changed.
	if rust := accountByID(t, s, batch[1].ID).Tags[1]; !rust.UpdatedAt.Equal(batch[1].CreatedAt) {
		t.Errorf("rust updated at %s, want %s", rust.UpdatedAt, batch[1].CreatedAt)
	}
	var found *accountd.SearchResult
	read(t, s, func(tx accountd.Tx) (err error) {
		found, err = tx.SearchAccounts(ctx, &accountd.SearchQuery{TagKeys: []string{"sql"}, Text: "lovelace",
			CompletenessMax: 100, AsOf: t0.Add(time.Hour), Sort: accountd.SortOldest, Page: 1, Limit: 10})
		return err
	})
	var ids []string
	for _, hit := range found.Hits {
		ids = append(ids, hit.Account.ID)
	}
	if want := []string{batch[0].ID, batch[1].ID}; found.Total != 2 || !slices.Equal(ids, want) {
		t.Errorf("search for sql: total %d, ids %v; want 2, %v", found.Total, ids, want)
	}
}

func testTagListing(t *testing.T, s accountd.Store) {
	p := seedPopulation(t, s, 400, 4)
	counts := map[string]int{}
	for _, a := range p.accounts {
		if !p.deleted[a.ID] {
			for _, key := range p.tags[a.ID] {
				counts[key]++
			}
		}
	}
	list := func(q accountd.TagQuery) []accountd.Tag {
		var tags []accountd.Tag
		read(t, s, func(tx accountd.Tx) (err error) {
			tags, err = tx.Tags(t.Context(), &q)
			return err
		})
		return tags
	}
	for _, q := range []accountd.TagQuery{{Limit: 100}, {Limit: 3}, {Text: "ing", Limit: 100}, {Text: "ü", Limit: 5}, {Text: "none such", Limit: 5}} {
		var names []string
		for _, name := range tagPool {
			if strings.Contains(accountd.TagKey(name), q.Text) {
				names = append(names, name)
			}
		}
		slices.SortFunc(names, func(a, b string) int {
			return cmp.Or(cmp.Compare(counts[accountd.TagKey(b)], counts[accountd.TagKey(a)]), strings.Compare(a, b))
		})
		want := keysOf(names[:min(q.Limit, len(names))])
		var got []string
		for _, tag := range list(q) {
			got = append(got, tag.Key)
			if tag.EntryCount != counts[tag.Key] {
				t.Errorf("tag %q has entryCount %d, want %d", tag.Key, tag.EntryCount, counts[tag.Key])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("Tags(%+v) = %q, want %q", q, got, want)
		}
	}
}
