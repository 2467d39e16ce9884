package http

import "net/http"

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
