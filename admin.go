package accountd

import (
	"context"
	"errors"
	"strings"
)

// KYC statuses an admin may set.
var KYCStatuses = []string{"pending", "approved", "rejected"}

// ManagedAccountInput is what an admin or partner gives to open an account
// for someone else. Password may be empty: the person then sets one through
// the password reset the invitation mail points to.
type ManagedAccountInput struct {
	Email, Password, FirstName, LastName string
}

var errForbidden = Errorf(KindForbidden, "forbidden", "Your role does not allow this")

// CreateManaged opens an account owned by caller, an admin or partner, and
// mails its owner-to-be an invitation. The new account is found by
// caller's searches with owner=true.
func (s *Service) CreateManaged(ctx context.Context, caller *Account, in ManagedAccountInput) (*Account, error) {
	if caller.Role != RoleAdmin && caller.Role != RolePartner {
		return nil, errForbidden
	}
	a, err := s.newAccount(ctx, in, RoleUser)
	if err != nil {
		return nil, err
	}
	a.OwnerID = caller.ID
	err = s.store.Write(ctx, func(tx Tx) error {
		if err := s.insertAccount(ctx, tx, a); err != nil {
			return err
		}
		subject, body := invitationMail(a.FirstName, caller, in.Password != "", s.cfg.PublicURL)
		return tx.EnqueueMail(ctx, NewMail(a.CreatedAt, a.Email, subject, body))
	})
	if err != nil {
		return nil, err
	}
	s.MailQueued()
	return a, nil
}

// CreateAdmin opens an admin account with a verified email: the first
// admin, made by the operator from the command line, who can then promote
// others.
func (s *Service) CreateAdmin(ctx context.Context, in ManagedAccountInput) (*Account, error) {
	if in.Password == "" {
		return nil, fieldError("password", "is required")
	}
	a, err := s.newAccount(ctx, in, RoleAdmin)
	if err != nil {
		return nil, err
	}
	a.EmailVerified, a.EmailVerifiedAt, a.IsVerified = true, &a.CreatedAt, true
	return a, s.store.Write(ctx, func(tx Tx) error { return s.insertAccount(ctx, tx, a) })
}

// newAccount validates in and returns the account it describes, not yet stored.
func (s *Service) newAccount(ctx context.Context, in ManagedAccountInput, role string) (*Account, error) {
	var v Validation
	email := NormalizeEmail(&v, "email", in.Email)
	if in.Password != "" {
		CheckPassword(&v, "password", in.Password)
	}
	first := cleanText(&v, "firstName", in.FirstName, 100, true, nameText)
	last := cleanText(&v, "lastName", in.LastName, 100, false, nameText)
	if err := v.Err(); err != nil {
		return nil, err
	}
	a := NewAccount(s.now(), email, first, last)
	a.Role = role
	if in.Password != "" {
		hash, err := s.hasher.Hash(ctx, in.Password)
		if err != nil {
			return nil, err
		}
		a.PasswordHash = hash
	}
	return a, nil
}

// insertAccount stores a new account with free unique codes, refusing a
// taken email.
func (s *Service) insertAccount(ctx context.Context, tx Tx, a *Account) error {
	switch _, err := tx.AccountByEmail(ctx, a.EmailKey); {
	case err == nil:
		return ErrEmailTaken
	case !errors.Is(err, ErrNotFound):
		return err
	}
	if err := s.assignUniqueCodes(ctx, tx, a); err != nil {
		return err
	}
	return tx.CreateAccount(ctx, a)
}

// AdminPatch is what an admin may change of any account; nil leaves a
// field as it is.
type AdminPatch struct {
	Role       *string
	KYCStatus  *string
	KYC        *bool
	IsVerified *bool
}

// AdminUpdate changes another account's standing. Only admins may, and an
// admin cannot change their own role, so that the last admin cannot lock
// everyone out by mistake.
func (s *Service) AdminUpdate(ctx context.Context, caller *Account, id string, p AdminPatch) (*Account, error) {
	if caller.Role != RoleAdmin {
		return nil, errForbidden
	}
	var v Validation
	if p.Role != nil {
		switch {
		case !isOneOf(*p.Role, Roles):
			v.Add("role", "must be one of %s", strings.Join(Roles, ", "))
		case id == caller.ID && *p.Role != caller.Role:
			v.Add("role", "cannot be changed on your own account; ask another admin")
		}
	}
	if p.KYCStatus != nil && !isOneOf(*p.KYCStatus, KYCStatuses) {
		v.Add("kycStatus", "must be one of %s", strings.Join(KYCStatuses, ", "))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !ValidID(id) {
		return nil, errAccountNotFound
	}
	now := s.now()
	var a *Account
	err := s.store.Write(ctx, func(tx Tx) (err error) {
		if a, err = tx.AccountByID(ctx, id); err != nil {
			return err
		}
		setIf(&a.Role, p.Role)
		setIf(&a.KYCStatus, p.KYCStatus)
		setIf(&a.KYC, p.KYC)
		setIf(&a.IsVerified, p.IsVerified)
		a.UpdatedAt = now
		return tx.UpdateAccount(ctx, a)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, errAccountNotFound
	}
	return a, err
}

// setIf sets *dst to *v when v is not nil: a patch's field that was given.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
