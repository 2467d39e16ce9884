package http

import (
	"net/http"

	"accountd"
)

func (s *Server) createManagedAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Email     string `json:"email"`
		Password  string `json:"password"`
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	a, err := s.svc.CreateManaged(r.Context(), c.account, accountd.ManagedAccountInput(body))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusCreated, "Account created; we mailed its owner an invitation", accountDocument(a, s.media))
	return nil
}

func (s *Server) adminUpdateAccount(w http.ResponseWriter, r *http.Request, c *caller) error {
	var body struct {
		Role       *string `json:"role"`
		KYCStatus  *string `json:"kycStatus"`
		KYC        *bool   `json:"kyc"`
		IsVerified *bool   `json:"isVerified"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	a, err := s.svc.AdminUpdate(r.Context(), c.account, r.PathValue("id"), accountd.AdminPatch(body))
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "Account updated", accountDocument(a, s.media))
	return nil
}
