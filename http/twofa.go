package http

import (
	"encoding/base64"
	"net/http"

	"accountd"
)

type twoFASetupJSON struct {
	Type       string `json:"type"`
	Secret     string `json:"secret,omitempty"`
	OTPAuthURL string `json:"otpauthUrl,omitempty"`
	QRCode     string `json:"qrCode,omitempty"`
}

func (s *Server) initiateTwoFA(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Type string `json:"type"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	setup, err := s.svc.InitiateTwoFA(r.Context(), c.account.ID, body.Type)
	if err != nil {
		return err
	}
	out := twoFASetupJSON{Type: setup.Type}
	if t := setup.TOTP; t != nil {
		out.Secret, out.OTPAuthURL = t.Secret, t.OTPAuthURL
		out.QRCode = "data:image/png;base64," + base64.StdEncoding.EncodeToString(t.QRCodePNG)
	}
	writeOK(w, http.StatusAccepted, "TwoFA security is initiated", out)
	return nil
}

func (s *Server) activateTwoFA(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	codes, err := s.svc.ActivateTwoFA(r.Context(), s.client(r), c.account.ID, body.Code)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", struct {
		RecoveryCodes []string `json:"recoveryCodes"`
	}{codes})
	return nil
}

func (s *Server) deactivateTwoFA(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Code string `json:"code"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if err := s.svc.DeactivateTwoFA(r.Context(), s.client(r), c.account.ID, body.Code); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", empty)
	return nil
}

func (s *Server) sendTwoFAEmail(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Password  string `json:"password"`
		EmailType string `json:"emailType"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	// The API documents emailType as a query parameter; clients that send
	// it in the body keep working.
	emailType := r.URL.Query().Get("emailType")
	if emailType == "" {
		emailType = body.EmailType
	}
	if err := s.svc.SendTwoFAEmail(r.Context(), s.client(r), c.session, body.Password, emailType); err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Success", empty)
	return nil
}

func (s *Server) completeLogin(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Challenge string `json:"challenge"`
		Code      string `json:"code"`
		Session   string `json:"session"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	delivery, err := accountd.ParseSessionDelivery(body.Session)
	if err != nil {
		return err
	}
	auth, err := s.svc.CompleteLogin(r.Context(), s.client(r), body.Challenge, body.Code)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", s.authAnswer(w, auth, delivery))
	return nil
}

// challengeData is login's answer when a second factor must follow.
type challengeData struct {
	TwoFaRequired bool   `json:"twoFaRequired"`
	Challenge     string `json:"challenge"`
	Type          string `json:"type"`
}

// verificationData is login's answer when the failed logins before call
// for a code mailed to the account: completed as a second factor is.
type verificationData struct {
	VerificationRequired bool   `json:"verificationRequired"`
	Challenge            string `json:"challenge"`
	Type                 string `json:"type"`
}

// loginAnswer is login's data: a challenge to complete, or the session.
func (s *Server) loginAnswer(w http.ResponseWriter, res *accountd.LoginResult, d accountd.SessionDelivery) any {
	if res.Verify {
		return verificationData{VerificationRequired: true, Challenge: res.Challenge, Type: res.TwoFAType}
	}
	if res.Challenge != "" {
		return challengeData{TwoFaRequired: true, Challenge: res.Challenge, Type: res.TwoFAType}
	}
	return s.authAnswer(w, res.Auth, d)
}
