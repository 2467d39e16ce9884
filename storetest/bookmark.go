package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"accountd"
)

func testBookmarks(t *testing.T, s accountd.Store) {
	p := seedPopulation(t, s, 300, 3)
	var listed []*accountd.Account
	var private *accountd.Account
	for _, a := range p.accounts {
		switch {
		case p.deleted[a.ID]:
		case a.Listed():
			listed = append(listed, a)
		default:
			private = a
		}
	}
	owner, other := listed[0], listed[1]
	put := func(owner, user string, at time.Time) (*accountd.Bookmark, bool) {
		var b *accountd.Bookmark
		var created bool
		write(t, s, func(tx accountd.Tx) (err error) {
			b, created, err = tx.PutBookmark(t.Context(), &accountd.Bookmark{ID: accountd.NewID(at), Owner: owner, User: user, CreatedAt: at})
			return err
		})
		return b, created
	}
	p.bookmarks[owner.ID] = map[string]string{}
	for i, a := range listed[2:40] {
		b, created := put(owner.ID, a.ID, t0.Add(time.Duration(i)*time.Second))
		if !created || b.Owner != owner.ID || b.User != a.ID {
			t.Fatalf("PutBookmark = %+v, created %v", b, created)
		}
		p.bookmarks[owner.ID][a.ID] = b.ID
	}
	again, created := put(owner.ID, listed[2].ID, t0.Add(time.Hour))
	if created || again.ID != p.bookmarks[owner.ID][listed[2].ID] || !again.CreatedAt.Equal(t0) {
		t.Errorf("bookmarking again = %+v, created %v; want the first bookmark", again, created)
	}
	privateMark, _ := put(owner.ID, private.ID, t0)
	p.bookmarks[other.ID] = map[string]string{}
	b, _ := put(other.ID, listed[3].ID, t0)
	p.bookmarks[other.ID][listed[3].ID] = b.ID

	for _, viewer := range []string{owner.ID, other.ID} {
		for _, page := range []int{1, 2} {
			p.checkPage(t, s, &accountd.SearchQuery{BookmarkedBy: viewer, ViewerID: viewer, Sort: accountd.SortNewest, Page: page, Limit: 20})
		}
		p.checkPage(t, s, &accountd.SearchQuery{ViewerID: viewer, Sort: accountd.SortNewest, Page: 1, Limit: 100})
		p.checkPage(t, s, &accountd.SearchQuery{ViewerID: viewer, Text: "ann", Sort: accountd.SortScore, Page: 1, Limit: 100})
	}

	// Only the owner deletes a bookmark.
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.DeleteBookmark(t.Context(), other.ID, p.bookmarks[owner.ID][listed[4].ID]); !errors.Is(err, accountd.ErrNotFound) {
			return fmt.Errorf("deleting another's bookmark: %v, want ErrNotFound", err)
		}
		if err := tx.DeleteBookmark(t.Context(), owner.ID, p.bookmarks[owner.ID][listed[4].ID]); err != nil {
			return err
		}
		if err := tx.DeleteBookmark(t.Context(), owner.ID, p.bookmarks[owner.ID][listed[4].ID]); !errors.Is(err, accountd.ErrNotFound) {
			return fmt.Errorf("deleting a bookmark twice: %v, want ErrNotFound", err)
		}
		return nil
	})
	delete(p.bookmarks[owner.ID], listed[4].ID)
	// By the bookmarked account's id: the caller's own bookmark of it, and
	// no one else's.
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.DeleteBookmark(t.Context(), other.ID, listed[5].ID); !errors.Is(err, accountd.ErrNotFound) {
			return fmt.Errorf("deleting by an account only another bookmarked: %v, want ErrNotFound", err)
		}
		if err := tx.DeleteBookmark(t.Context(), other.ID, listed[3].ID); err != nil {
			return fmt.Errorf("deleting by the bookmarked account's id: %v", err)
		}
		return nil
	})
	delete(p.bookmarks[other.ID], listed[3].ID)
	for _, viewer := range []string{owner.ID, other.ID} {
		p.checkPage(t, s, &accountd.SearchQuery{BookmarkedBy: viewer, ViewerID: viewer, Sort: accountd.SortNewest, Page: 1, Limit: 100})
	}

	// Deleting an account takes its bookmarks both ways.
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(t.Context(), listed[5].ID, t0) })
	p.deleted[listed[5].ID] = true
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(t.Context(), owner.ID, t0) })
	p.deleted[owner.ID] = true
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.DeleteBookmark(t.Context(), owner.ID, privateMark.ID); !errors.Is(err, accountd.ErrNotFound) {
			return fmt.Errorf("a deleted account's bookmark of a private one: %v, want ErrNotFound", err)
		}
		return nil
	})
	// A new account may bookmark what the deleted one had.
	if _, created := put(other.ID, listed[5+1].ID, t0); !created {
		t.Error("bookmarking a fresh pair did not create it")
	}
}
