package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"accountd"
	"accountd/internal/accountrow"
)

// writtenFields are what accountArgs writes after the id: the account's
// columns, then what is kept only for searching.
var writtenFields = append(accountrow.Names(accountrow.Columns[1:]), "profile_completeness")

var (
	accountSelect = "SELECT " + accountrow.List("", accountrow.Columns) + " FROM accounts "

	qAccountByID       = newQuery(accountSelect + "WHERE id = ? AND deleted_at IS NULL")
	qAccountByEmail    = newQuery(accountSelect + "WHERE email_key = ? AND deleted_at IS NULL")
	qAccountByReferral = newQuery(accountSelect + "WHERE referral_code = ? AND deleted_at IS NULL")
	qAccountByUserName = newQuery(accountSelect + "WHERE user_name = ? AND deleted_at IS NULL")
	// A deleted account's user name is a placeholder (see
	// accountd.ErasedAccount), so the old name is free although the unique
	// index covers every row.
	qUserNameTaken = newQuery("SELECT EXISTS (SELECT 1 FROM accounts WHERE user_name = ?)")
	qEmailTaken    = newQuery("SELECT EXISTS (SELECT 1 FROM accounts WHERE email_key = ? AND deleted_at IS NULL AND id <> ?)")

	// Both take accountArgs: ?1 is the id, the fields follow from ?2. The
	// insert takes the seq last, and gives the account the next slot.
	qAccountInsert = newQuery("INSERT INTO accounts (id, " + strings.Join(writtenFields, ", ") +
		", seq, slot) VALUES (" + params(1, 2+len(writtenFields)) + ", (SELECT ifnull(max(slot), 0) + 1 FROM accounts))")
	qAccountUpdate = newQuery("UPDATE accounts SET (" + strings.Join(writtenFields, ", ") +
		") = (" + params(2, len(writtenFields)) + ") WHERE id = ?1 AND deleted_at IS NULL")
	// Like qAccountUpdate, with deleted_at last.
	qAccountErase = newQuery("UPDATE accounts SET (" + strings.Join(writtenFields, ", ") +
		", deleted_at) = (" + params(2, len(writtenFields)+1) + ") WHERE id = ?1 AND deleted_at IS NULL")
	// What deleting an account needs to know: its email, for its unsent
	// mail, and its pictures' keys.
	qAccountEmail = newQuery("SELECT email, ifnull(profile_image, ''), ifnull(background_image, '') FROM accounts WHERE id = ? AND deleted_at IS NULL")
	// What an account owns goes with it: ?1 is its id, ?2 its email.
	qAccountOwned = []query{
		newQuery("DELETE FROM achievements WHERE owner = ?1"),
		newQuery("DELETE FROM sessions WHERE account_id = ?1"),
		newQuery("DELETE FROM codes WHERE account_id = ?1"),
		newQuery("DELETE FROM outbox WHERE recipient = ?2 AND sent_at IS NULL"),
		newQuery("DELETE FROM bookmarks WHERE owner = ?1"),
		newQuery("DELETE FROM bookmarks WHERE account_id = ?1"),
	}

	// The accounts and achievements of a JSON array of ids. Achievements
	// come back in the order NewAccount creates them, which is the
	// API's order: five-star, referral, review, squad.
	qAccountsByIDs = newQuery(accountSelect + "WHERE id IN (SELECT value FROM json_each(?)) AND deleted_at IS NULL")
	qAchievements  = newQuery(`SELECT id, owner, type, total, value, created_at, updated_at
		FROM achievements WHERE owner IN (SELECT value FROM json_each(?)) ORDER BY owner, created_at, id`)
	qAchievementInsert = newQuery(`INSERT INTO achievements (id, owner, type, total, value, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qAchievementAdd = newQuery("UPDATE achievements SET value = value + ?, updated_at = ? WHERE owner = ? AND type = ?")
)

// params returns n numbered parameters starting at ?first.
func params(first, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("?%d", first+i)
	}
	return strings.Join(p, ", ")
}

// accountArgs are a's columns, as the accounts table stores them, then its
// completeness.
func accountArgs(a *accountd.Account) []any {
	args := make([]any, len(accountrow.Columns), len(accountrow.Columns)+1)
	for i := range accountrow.Columns {
		args[i] = accountArg(&accountrow.Columns[i], a)
	}
	return append(args, a.Completeness())
}

// accountArg is what column c stores of a: SQLite keeps times as Unix
// milliseconds and the recovery codes' hashes packed in one BLOB.
func accountArg(c *accountrow.Column, a *accountd.Account) any {
	field := c.Field(a)
	switch f := field.(type) {
	case *time.Time:
		return f.UnixMilli()
	case **time.Time:
		return msOrNull(*f)
	case *[][]byte:
		return joinHashes(*f)
	case *string:
		if c.Nullable {
			return textOrNull(*f)
		}
	}
	return c.Value(field)
}

// accountDest is where Scan puts column c of a, through the scanners that
// take the driver's values directly.
func accountDest(c *accountrow.Column, a *accountd.Account) any {
	field := c.Field(a)
	switch f := field.(type) {
	case *time.Time:
		return millis{f}
	case **time.Time:
		return optMillis{f}
	case *int:
		return number{f}
	case *[][]byte:
		return hashList{f}
	case *string:
		if c.Nullable {
			return optText{f}
		}
	}
	return field
}

// scanAccount reads a row of accountSelect.
func scanAccount(row interface{ Scan(...any) error }) (*accountd.Account, error) {
	a := &accountd.Account{}
	dest := make([]any, len(accountrow.Columns))
	for i := range accountrow.Columns {
		dest[i] = accountDest(&accountrow.Columns[i], a)
	}
	return a, row.Scan(dest...)
}

func (t *tx) AccountByID(ctx context.Context, id string) (*accountd.Account, error) {
	return t.account(ctx, "account by id", qAccountByID, id)
}

func (t *tx) AccountByEmail(ctx context.Context, emailKey string) (*accountd.Account, error) {
	return t.account(ctx, "account by email", qAccountByEmail, emailKey)
}

func (t *tx) AccountByReferralCode(ctx context.Context, code string) (*accountd.Account, error) {
	return t.account(ctx, "account by referral code", qAccountByReferral, code)
}

func (t *tx) AccountByUserName(ctx context.Context, userName string) (*accountd.Account, error) {
	return t.account(ctx, "account by user name", qAccountByUserName, userName)
}

func (t *tx) account(ctx context.Context, op string, q query, arg string) (*accountd.Account, error) {
	a, err := scanAccount(t.stmt(ctx, q).QueryRowContext(ctx, arg))
	if err != nil {
		return nil, wrap(op, err)
	}
	if err := t.completeAccounts(ctx, []*accountd.Account{a}); err != nil {
		return nil, wrap(op, err)
	}
	return a, nil
}

// accounts returns the live accounts of ids, by id, in three queries
// however many there are.
func (t *tx) accounts(ctx context.Context, ids []string) (map[string]*accountd.Account, error) {
	rows, err := t.stmt(ctx, qAccountsByIDs).QueryContext(ctx, jsonText(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*accountd.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := t.completeAccounts(ctx, list); err != nil {
		return nil, err
	}
	byID := make(map[string]*accountd.Account, len(list))
	for _, a := range list {
		byID[a.ID] = a
	}
	return byID, nil
}

// completeAccounts reads the achievements and tags of the accounts.
func (t *tx) completeAccounts(ctx context.Context, list []*accountd.Account) error {
	ids := make([]string, len(list))
	byID := make(map[string]*accountd.Account, len(list))
	for i, a := range list {
		ids[i], byID[a.ID] = a.ID, a
		a.Profile.Talent.Tags, a.Tags = []string{}, []accountd.Tag{}
	}
	rows, err := t.stmt(ctx, qAchievements).QueryContext(ctx, jsonText(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a accountd.Achievement
		if err := rows.Scan(&a.ID, &a.Owner, &a.Type, number{&a.Total}, number{&a.Value},
			millis{&a.CreatedAt}, millis{&a.UpdatedAt}); err != nil {
			return err
		}
		byID[a.Owner].Achievements = append(byID[a.Owner].Achievements, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return t.tags(ctx, ids, func(accountID, name string, tag accountd.Tag) {
		a := byID[accountID]
		a.Profile.Talent.Tags, a.Tags = append(a.Profile.Talent.Tags, name), append(a.Tags, tag)
	})
}

func (t *tx) UserNameTaken(ctx context.Context, userName string) (bool, error) {
	var taken bool
	if err := t.stmt(ctx, qUserNameTaken).QueryRowContext(ctx, userName).Scan(&taken); err != nil {
		return false, wrap("user name taken", err)
	}
	return taken, nil
}

func (t *tx) CreateAccount(ctx context.Context, a *accountd.Account) error {
	seq, err := t.listings.NewSeq(ctx, t, a.CreatedAt, a.ID)
	if err != nil {
		return wrap("create account", err)
	}
	if _, err := t.stmt(ctx, qAccountInsert).ExecContext(ctx, append(accountArgs(a), seq)...); err != nil {
		return t.accountWriteError(ctx, "create account", a, err)
	}
	insert := t.stmt(ctx, qAchievementInsert)
	for _, ach := range a.Achievements {
		if _, err := insert.ExecContext(ctx, ach.ID, a.ID, ach.Type, ach.Total, ach.Value,
			ach.CreatedAt.UnixMilli(), ach.UpdatedAt.UnixMilli()); err != nil {
			return wrap("create achievement", err)
		}
	}
	t.listings.Note(a.ID)
	return nil
}

// UpdateAccount returns ErrNotFound when there is no live account with a.ID.
func (t *tx) UpdateAccount(ctx context.Context, a *accountd.Account) error {
	res, err := t.stmt(ctx, qAccountUpdate).ExecContext(ctx, accountArgs(a)...)
	if err != nil {
		return t.accountWriteError(ctx, "update account", a, err)
	}
	if err := mustAffect("update account", res, nil); err != nil {
		return err
	}
	t.listings.Note(a.ID)
	return nil
}

// DeleteAccount keeps the account's row, so that its id is never handed out
// again, but overwrites it with what accountd.ErasedAccount leaves.
func (t *tx) DeleteAccount(ctx context.Context, id string, at time.Time) error {
	var email, profileImage, backgroundImage string
	if err := t.stmt(ctx, qAccountEmail).QueryRowContext(ctx, id).Scan(&email, &profileImage, &backgroundImage); err != nil {
		return wrap("delete account", err)
	}
	if _, err := t.SetTags(ctx, id, nil, at); err != nil {
		return err
	}
	for _, q := range qAccountOwned {
		if _, err := t.stmt(ctx, q).ExecContext(ctx, id, email); err != nil {
			return wrap("delete account", err)
		}
	}
	args := append(accountArgs(accountd.ErasedAccount(id, at)), at.UnixMilli())
	if _, err := t.stmt(ctx, qAccountErase).ExecContext(ctx, args...); err != nil {
		return wrap("delete account", err)
	}
	t.listings.Note(id)
	for _, k := range []string{profileImage, backgroundImage} {
		if k == "" {
			continue
		}
		if err := t.DropUnusedMedia(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// AddAchievementValue returns ErrNotFound when the account has no
// achievement of that type.
func (t *tx) AddAchievementValue(ctx context.Context, accountID, achievementType string, delta int, at time.Time) error {
	res, err := t.stmt(ctx, qAchievementAdd).ExecContext(ctx, delta, at.UnixMilli(), accountID, achievementType)
	return mustAffect("add achievement value", res, err)
}

// accountWriteError returns ErrEmailTaken when writing a failed because
// another live account has its email, and ErrUserNameTaken when another has
// its user name. It asks the table rather than read the error: when a row
// breaks several unique indexes, SQLite names only the first it checks,
// which need not be the email's.
func (t *tx) accountWriteError(ctx context.Context, op string, a *accountd.Account, err error) error {
	if !isUniqueViolation(err) {
		return wrap(op, err)
	}
	var taken bool
	if qerr := t.stmt(ctx, qEmailTaken).QueryRowContext(ctx, a.EmailKey, a.ID).Scan(&taken); qerr != nil {
		return wrap(op, errors.Join(err, qerr))
	}
	if taken {
		return accountd.ErrEmailTaken
	}
	if qerr := t.stmt(ctx, qUserNameTaken).QueryRowContext(ctx, a.UserName).Scan(&taken); qerr != nil {
		return wrap(op, errors.Join(err, qerr))
	}
	if taken {
		return accountd.ErrUserNameTaken
	}
	return wrap(op, err)
}
