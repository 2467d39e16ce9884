package http

import "net/http"

type sessionJSON struct {
	ID         string   `json:"_id"`
	Current    bool     `json:"current"`
	CreatedAt  jsonTime `json:"createdAt"`
	LastSeenAt jsonTime `json:"lastSeenAt"`
	ExpiresAt  jsonTime `json:"expiresAt"`
	UserAgent  string   `json:"userAgent"`
	IP         string   `json:"ip"`
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	list, err := s.svc.Sessions(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(list))
	for i, se := range list {
		out[i] = sessionJSON{ID: se.ID, Current: se.ID == c.session.ID, CreatedAt: jsonTime(se.CreatedAt),
			LastSeenAt: jsonTime(se.LastSeenAt), ExpiresAt: jsonTime(se.ExpiresAt), UserAgent: se.UserAgent, IP: se.IP}
	}
	writeOK(w, http.StatusOK, "OK", out)
	return nil
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request, c *caller) error {
	id := r.PathValue("id")
	if err := s.svc.EndSession(r.Context(), c.account.ID, id); err != nil {
		return err
	}
	if id == c.session.ID {
		s.endCookie(w, c)
	}
	writeOK(w, http.StatusOK, "Session ended", empty)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.svc.EndSession(r.Context(), c.account.ID, c.session.ID); err != nil {
		return err
	}
	s.endCookie(w, c)
	writeOK(w, http.StatusOK, "OK", empty)
	return nil
}

// endCookie clears the cookie of the caller's session, which the request
// has ended, when it came by cookie.
func (s *Server) endCookie(w http.ResponseWriter, c *caller) {
	if c.byCookie {
		s.cookies.clear(w)
	}
}

// changePassword keeps the caller's session (and its cookie) and ends
// every other.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		OldPassword string `json:"oldPassword"`
		NewPassword string `json:"newPassword"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.ChangePassword(r.Context(), c.session, body.OldPassword, body.NewPassword); err != nil {
		return err
	}
	writeOK(w, http.StatusAccepted, "Password successfully changed", empty)
	return nil
}
