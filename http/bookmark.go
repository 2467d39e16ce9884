package http

import (
	"net/http"

	"accountd"
)

type bookmarkJSON struct {
	ID        string   `json:"_id"`
	Owner     string   `json:"owner"`
	User      string   `json:"user"`
	CreatedAt jsonTime `json:"createdAt"`
}

func (s *Server) addBookmark(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		UserID string `json:"userId"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	b, created, err := s.svc.AddBookmark(r.Context(), c.account, body.UserID)
	if err != nil {
		return err
	}
	status, message := http.StatusOK, "Already bookmarked"
	if created {
		status, message = http.StatusCreated, "Bookmarked"
	}
	writeOK(w, status, message, bookmarkJSON{ID: b.ID, Owner: b.Owner, User: b.User, CreatedAt: jsonTime(b.CreatedAt)})
	return nil
}

func (s *Server) removeBookmark(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.svc.RemoveBookmark(r.Context(), c.account, r.PathValue("id")); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Bookmark removed", empty)
	return nil
}

// listBookmarks is a search of the accounts the caller bookmarked: the
// same parameters and answer, bookmarks only.
func (s *Server) listBookmarks(w http.ResponseWriter, r *http.Request, c *caller) error {
	q, err := accountd.ParseSearch(r.URL.Query().Get, c.account.ID)
	if err != nil {
		return err
	}
	q.BookmarkedBy = c.account.ID
	res, err := s.svc.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", searchPage(q, res))
	return nil
}
