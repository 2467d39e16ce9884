package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"accountd"
	"accountd/internal/accountrow"

	"github.com/jackc/pgx/v5"
)

// accountFields are the names of the account's columns after the id.
var accountFields = accountrow.Names(accountrow.Columns[1:])

// writtenFields are what accountArgs writes after the id: accountFields,
// then what is kept only for searching.
var writtenFields = append(slices.Clone(accountFields), "profile_completeness", "search_text")

const (
	achievementColumns = "id, owner, type, total, value, created_at, updated_at"
	// An account's tags, with the name it gave each.
	accountTagColumns = `account_tags.name, tags.id, tags.name, tags.key, tags.color, tags.categories,
		tags.is_parent, tags.type, tags.entry_count, tags.created_at, tags.updated_at`
)

var (
	accountSelect = "SELECT " + accountColumns("") + " FROM accounts "

	// A deleted account's user name is a placeholder (see
	// accountd.ErasedAccount), so the old name is free although the unique
	// index covers every row.
	qUserNameTaken = "SELECT EXISTS (SELECT 1 FROM accounts WHERE user_name = $1)"

	// Both take accountArgs: $1 is the id, the fields follow from $2.
	qAccountInsert = "INSERT INTO accounts (id, " + strings.Join(writtenFields, ", ") +
		") VALUES (" + params(1, 1+len(writtenFields)) + ")"
	qAccountUpdate = "UPDATE accounts SET (" + strings.Join(writtenFields, ", ") +
		") = (" + params(2, len(writtenFields)) + ") WHERE id = $1 AND deleted_at IS NULL"
	// Like qAccountUpdate, with deleted_at last.
	qAccountErase = "UPDATE accounts SET (" + strings.Join(writtenFields, ", ") +
		", deleted_at) = (" + params(2, len(writtenFields)+1) + ") WHERE id = $1 AND deleted_at IS NULL"
	// DeleteAccount changes the user name and referral code, unique columns
	// a foreign key could refer to, and that takes the FOR UPDATE lock. It
	// takes it at once: upgrading to it from a weaker lock would wait for,
	// and could deadlock with, a transaction adding a session or a code for
	// the account.
	// It reads the email, for the unsent mail, and the pictures' keys.
	qAccountEmailLocked = "SELECT email, coalesce(profile_image, ''), coalesce(background_image, '') FROM accounts WHERE id = $1 AND deleted_at IS NULL FOR UPDATE"
	// What an account owns goes with it: $1 is its id.
	qAccountOwned = []string{
		"DELETE FROM achievements WHERE owner = $1",
		"DELETE FROM sessions WHERE account_id = $1",
		"DELETE FROM codes WHERE account_id = $1",
		"DELETE FROM bookmarks WHERE owner = $1",
		"DELETE FROM bookmarks WHERE account_id = $1",
	}
	// Its unsent mail too: $1 is its email.
	qAccountUnsentMail = "DELETE FROM outbox WHERE recipient = $1 AND sent_at IS NULL"

	qAchievementInsert = "INSERT INTO achievements (" + achievementColumns + ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
	qAchievementAdd    = "UPDATE achievements SET value = value + $1, updated_at = $2 WHERE owner = $3 AND type = $4"
)

// accountColumns is what scanAccount reads, each column name after prefix,
// a table alias and its dot or "".
func accountColumns(prefix string) string {
	return accountrow.List(prefix, accountrow.Columns)
}

// params returns n numbered parameters starting at $first.
func params(first, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", first+i)
	}
	return strings.Join(p, ", ")
}

// lookup is one way to find a live account, as the SQL of the three queries
// that read it whole. Each takes the key as $1.
type lookup struct {
	account, locked, achievements, tags string
}

// newLookup returns the lookup of the account that where, a condition on
// accounts, selects.
func newLookup(where string) lookup {
	where += " AND deleted_at IS NULL"
	id := "(SELECT id FROM accounts WHERE " + where + ")"
	return lookup{
		account: accountSelect + "WHERE " + where,
		// A Write's look-up locks the row until the transaction ends: see
		// the package comment. NO KEY UPDATE is the weakest lock that
		// excludes every other writer of the row; unlike FOR UPDATE it
		// lets rows that refer to the account (a new session, a code) be
		// added meanwhile.
		locked: accountSelect + "WHERE " + where + " FOR NO KEY UPDATE",
		// Achievements come back in the order NewAccount creates them,
		// which is the API's order: five-star, referral, review, squad.
		achievements: "SELECT " + achievementColumns + " FROM achievements WHERE owner = " + id + " ORDER BY created_at, id",
		tags: "SELECT " + accountTagColumns + ` FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
			WHERE account_tags.account_id = ` + id + " ORDER BY account_tags.position",
	}
}

var (
	byID           = newLookup("id = $1")
	byEmail        = newLookup("email_key = $1")
	byReferralCode = newLookup("referral_code = $1")
	byUserName     = newLookup("user_name = $1")
)

// accountArgs are a's columns, as the accounts table stores them, then its
// completeness and search text.
func accountArgs(a *accountd.Account) []any {
	args := make([]any, len(accountrow.Columns), len(accountrow.Columns)+2)
	for i := range accountrow.Columns {
		args[i] = accountArg(&accountrow.Columns[i], a)
	}
	return append(args, a.Completeness(), a.SearchText())
}

// accountArg is what column c stores of a: times to the millisecond, and
// no recovery codes and nullable "" as NULL.
func accountArg(c *accountrow.Column, a *accountd.Account) any {
	field := c.Field(a)
	switch f := field.(type) {
	case *string:
		if c.Nullable {
			return textOrNull(*f)
		}
	case *time.Time:
		return ms(*f)
	case **time.Time:
		return optMs(*f)
	case *[][]byte:
		return hashesOrNull(*f)
	}
	return c.Value(field)
}

// achievementArgs are a's achievement ach as achievementColumns take it.
func achievementArgs(a *accountd.Account, ach accountd.Achievement) []any {
	return []any{ach.ID, a.ID, ach.Type, ach.Total, ach.Value, ms(ach.CreatedAt), ms(ach.UpdatedAt)}
}

func scanAccount(row pgx.Row) (*accountd.Account, error) {
	a := &accountd.Account{}
	err := row.Scan(accountDest(a)...)
	return a, err
}

// accountDest is where scanAccount puts each of the columns it reads: pgx
// scans each SQL type into its field but for nullable text.
func accountDest(a *accountd.Account) []any {
	dest := make([]any, len(accountrow.Columns))
	for i, c := range accountrow.Columns {
		field := c.Field(a)
		if c.Nullable {
			field = optText{field.(*string)}
		}
		dest[i] = field
	}
	return dest
}

func scanAchievements(rows pgx.Rows) ([]accountd.Achievement, error) {
	var out []accountd.Achievement
	for rows.Next() {
		var a accountd.Achievement
		if err := rows.Scan(&a.ID, &a.Owner, &a.Type, &a.Total, &a.Value, &a.CreatedAt, &a.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// queueAccount adds to b the queries that read the account l finds by key,
// whole, into *a. A Write's look-up locks the row. Sent together, the three
// cost one round trip.
func (t *tx) queueAccount(b *pgx.Batch, l *lookup, key any, a **accountd.Account) {
	q := l.account
	if t.write {
		q = l.locked
	}
	b.Queue(q, key).QueryRow(func(row pgx.Row) (err error) {
		*a, err = scanAccount(row)
		return err
	})
	// Not called when the account is missing: Close stops at the first error.
	b.Queue(l.achievements, key).Query(func(rows pgx.Rows) (err error) {
		(*a).Achievements, err = scanAchievements(rows)
		return err
	})
	b.Queue(l.tags, key).Query(func(rows pgx.Rows) (err error) {
		(*a).Profile.Talent.Tags, (*a).Tags, err = scanTags(rows)
		return err
	})
}

func (t *tx) AccountByID(ctx context.Context, id string) (*accountd.Account, error) {
	return t.account(ctx, "account by id", &byID, id)
}

func (t *tx) AccountByEmail(ctx context.Context, emailKey string) (*accountd.Account, error) {
	return t.account(ctx, "account by email", &byEmail, emailKey)
}

func (t *tx) AccountByReferralCode(ctx context.Context, code string) (*accountd.Account, error) {
	return t.account(ctx, "account by referral code", &byReferralCode, code)
}

func (t *tx) AccountByUserName(ctx context.Context, userName string) (*accountd.Account, error) {
	return t.account(ctx, "account by user name", &byUserName, userName)
}

func (t *tx) account(ctx context.Context, op string, l *lookup, key string) (*accountd.Account, error) {
	var a *accountd.Account
	b := &pgx.Batch{}
	t.queueAccount(b, l, key, &a)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap(op, err)
	}
	return a, nil
}

func (t *tx) UserNameTaken(ctx context.Context, userName string) (bool, error) {
	var taken bool
	if err := t.tx.QueryRow(ctx, qUserNameTaken, userName).Scan(&taken); err != nil {
		return false, wrap("user name taken", err)
	}
	return taken, nil
}

func (t *tx) CreateAccount(ctx context.Context, a *accountd.Account) error {
	b := &pgx.Batch{}
	b.Queue(qAccountInsert, accountArgs(a)...)
	for _, ach := range a.Achievements {
		b.Queue(qAchievementInsert, achievementArgs(a, ach)...)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return accountWriteError("create account", err)
	}
	return nil
}

// UpdateAccount returns ErrNotFound when there is no live account with a.ID.
func (t *tx) UpdateAccount(ctx context.Context, a *accountd.Account) error {
	tag, err := t.tx.Exec(ctx, qAccountUpdate, accountArgs(a)...)
	if err != nil {
		return accountWriteError("update account", err)
	}
	return mustAffect("update account", tag, nil)
}

// accountWriteError returns ErrEmailTaken when writing an account failed
// because another live account has its email, and ErrUserNameTaken when
// another has its user name. A row that clashes on more than its email is
// reported by the email's index: see 0001_init.sql.
func accountWriteError(op string, err error) error {
	if isUniqueViolation(err, "accounts_email_key") {
		return accountd.ErrEmailTaken
	}
	if isUniqueViolation(err, "accounts_user_name") {
		return accountd.ErrUserNameTaken
	}
	return wrap(op, err)
}

// DeleteAccount keeps the account's row, so that its id is never handed out
// again, but overwrites it with what accountd.ErasedAccount leaves.
func (t *tx) DeleteAccount(ctx context.Context, id string, at time.Time) error {
	var email, profileImage, backgroundImage string
	if err := t.tx.QueryRow(ctx, qAccountEmailLocked, id).Scan(&email, &profileImage, &backgroundImage); err != nil {
		return wrap("delete account", err)
	}
	if _, err := t.SetTags(ctx, id, nil, at); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for _, q := range qAccountOwned {
		b.Queue(q, id)
	}
	b.Queue(qAccountUnsentMail, email)
	args := accountArgs(accountd.ErasedAccount(id, at))
	args[len(args)-1] = "" // search_text: not even the placeholders
	b.Queue(qAccountErase, append(args, ms(at))...)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return wrap("delete account", err)
	}
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
	tag, err := t.tx.Exec(ctx, qAchievementAdd, delta, ms(at), accountID, achievementType)
	return mustAffect("add achievement value", tag, err)
}
