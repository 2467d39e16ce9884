package accountd

import (
	"context"
	"errors"
	"time"
)

// Bookmark is an account one account keeps for later: Owner bookmarked User.
type Bookmark struct {
	ID        string
	Owner     string
	User      string
	CreatedAt time.Time
}

var errNoBookmarkable = &Error{Kind: KindInvalid, Code: "validation_failed",
	Message: "The request has invalid fields: userId",
	Fields:  []FieldError{{Field: "userId", Message: "is not the id of an account you can bookmark"}}}

// AddBookmark bookmarks the listed account userID for owner. Bookmarking it
// again returns the bookmark it already has, and created false.
func (s *Service) AddBookmark(ctx context.Context, owner *Account, userID string) (b *Bookmark, created bool, err error) {
	switch {
	case userID == "":
		return nil, false, fieldError("userId", "is required")
	case userID == owner.ID:
		return nil, false, fieldError("userId", "is your own account; bookmark someone else")
	case !ValidID(userID):
		return nil, false, errNoBookmarkable
	}
	now := s.now()
	err = s.store.Write(ctx, func(tx Tx) error {
		// A private or deleted account answers like an unknown one, so that
		// bookmarking cannot tell them apart.
		user, err := tx.AccountByID(ctx, userID)
		if errors.Is(err, ErrNotFound) || (err == nil && !user.Listed()) {
			return errNoBookmarkable
		} else if err != nil {
			return err
		}
		b, created, err = tx.PutBookmark(ctx, &Bookmark{ID: NewID(now), Owner: owner.ID, User: userID, CreatedAt: now})
		return err
	})
	return b, created, err
}

var errBookmarkNotFound = Errorf(KindNotFound, "bookmark_not_found",
	"You have no bookmark with this id: give a bookmark's id (bookmarkId in listings) or the bookmarked account's _id")

// RemoveBookmark deletes one of owner's bookmarks, named by its own id or by
// the bookmarked account's, which is what listings show as _id.
func (s *Service) RemoveBookmark(ctx context.Context, owner *Account, id string) error {
	if !ValidID(id) {
		return errBookmarkNotFound
	}
	err := s.store.Write(ctx, func(tx Tx) error { return tx.DeleteBookmark(ctx, owner.ID, id) })
	if errors.Is(err, ErrNotFound) {
		return errBookmarkNotFound
	}
	return err
}
