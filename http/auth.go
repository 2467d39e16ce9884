package http

import (
	"net/http"

	"accountd"
)

// authData is the answer of every call that opens a session.
type authData struct {
	Token     string      `json:"token"`
	ExpiresAt jsonTime    `json:"expiresAt"`
	Account   accountJSON `json:"account"`
}

func newAuthData(a *accountd.Auth) authData {
	return authData{Token: a.Token, ExpiresAt: jsonTime(a.ExpiresAt), Account: accountDocument(a.Account)}
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email        string `json:"email"`
		Password     string `json:"password"`
		FirstName    string `json:"firstName"`
		LastName     string `json:"lastName"`
		ReferralCode string `json:"referralCode"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	auth, err := s.svc.Register(r.Context(), s.client(r), accountd.RegisterInput(body))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "Account created; we mailed you a code to verify your email", newAuthData(auth))
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	res, err := s.svc.Login(r.Context(), s.client(r), body.Email, body.Password)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", loginData(res))
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
	writeOK(w, http.StatusOK, "Password reset; sign in with the new password", empty)
	return nil
}
