package http

import (
	"errors"
	"net/http"

	"accountd"
)

// authData is the answer of every call that opens a session: its token,
// or for a cookie session, the CSRF token of the cookie it sets.
type authData struct {
	Token     string      `json:"token,omitempty"`
	CSRFToken string      `json:"csrfToken,omitempty"`
	ExpiresAt jsonTime    `json:"expiresAt"`
	Account   accountJSON `json:"account"`
}

// authAnswer is the data of an opened session, delivered as d says: for a
// cookie, the cookie is set on w and the token left out of the answer.
func (s *Server) authAnswer(w http.ResponseWriter, a *accountd.Auth, d accountd.SessionDelivery) authData {
	out := authData{Token: a.Token, ExpiresAt: jsonTime(a.ExpiresAt), Account: accountDocument(a.Account, s.media)}
	if d == accountd.DeliverCookie {
		s.cookies.set(w, a.Token, a.ExpiresAt)
		out.Token, out.CSRFToken = "", accountd.CSRFToken(a.Token)
	}
	return out
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email        string `json:"email"`
		Password     string `json:"password"`
		FirstName    string `json:"firstName"`
		LastName     string `json:"lastName"`
		ReferralCode string `json:"referralCode"`
		Session      string `json:"session"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	delivery, err := accountd.ParseSessionDelivery(body.Session)
	if err != nil {
		return err
	}
	auth, err := s.svc.Register(r.Context(), s.client(r), accountd.RegisterInput{Email: body.Email, Password: body.Password,
		FirstName: body.FirstName, LastName: body.LastName, ReferralCode: body.ReferralCode})
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "Account created; we mailed you a code to verify your email", s.authAnswer(w, auth, delivery))
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Session  string `json:"session"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	delivery, err := accountd.ParseSessionDelivery(body.Session)
	if err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), s.client(r), body.Email, body.Password)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", s.loginAnswer(w, res, delivery))
	return nil
}

func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.VerifyEmail(r.Context(), s.client(r), c.account.ID, body.Code); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Email verified", empty)
	return nil
}

func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.svc.ResendVerification(r.Context(), s.client(r), c.account.ID); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "We mailed you a new code", empty)
	return nil
}

func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email string `json:"email"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.ForgotPassword(r.Context(), s.client(r), body.Email); err != nil {
		return err
	}
	writeOK(w, http.StatusAccepted, "If an account has this address, we mailed it a reset code", empty)
	return nil
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email       string `json:"email"`
		Code        string `json:"code"`
		NewPassword string `json:"newPassword"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.ResetPassword(r.Context(), s.client(r), body.Email, body.Code, body.NewPassword); err != nil {
		return err
	}
	// The reset ended every session of the account; a browser signed in
	// to it drops its cookie, one signed in to another account keeps it.
	if cred, _ := requestCredential(r); cred.byCookie {
		var de *accountd.Error
		if _, _, err := s.svc.Authenticate(r.Context(), cred.token); errors.As(err, &de) && de.Kind == accountd.KindUnauthorized {
			s.cookies.clear(w)
		}
	}
	writeOK(w, http.StatusOK, "Password reset; sign in with the new password", empty)
	return nil
}
