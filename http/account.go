package http

import "net/http"

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	writeOK(w, http.StatusOK, "OK", accountDocument(c.account, s.media))
	return nil
}

func (s *Server) getPublicAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := s.svc.PublicAccount(r.Context(), c.account, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", publicDocument(a, s.media))
	return nil
}

func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Password string `json:"password"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.DeleteAccount(r.Context(), c.session, body.Password); err != nil {
		return err
	}
	s.endCookie(w, c)
	writeOK(w, http.StatusOK, "success", empty)
	return nil
}
