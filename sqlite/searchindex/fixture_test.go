package searchindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"accountd"
	"accountd/internal/accountrow"
	"accountd/internal/migration"

	_ "modernc.org/sqlite"
)

// fixture is a database with the store's schema, built from the store's
// migrations, with accounts written as the index reads them.
type fixture struct {
	t  *testing.T
	db *sql.DB
	// accounts are what was written, by id, for the tests' own answers.
	accounts map[string]*fixtureAccount
}

type fixtureAccount struct {
	*accountd.Account
	tags    []string // keys
	deleted bool
	seq     int64 // read back when the writes are done
}

func newFixture(t *testing.T) *fixture {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "index.db")+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for i, step := range migration.Load(os.DirFS("..")) {
		if _, err := db.Exec(step); err != nil {
			t.Fatalf("migration %d: %v", i+1, err)
		}
	}
	return &fixture{t: t, db: db, accounts: map[string]*fixtureAccount{}}
}

// write runs fn in one transaction, as the store runs a Write: the
// changes fn notes are written to the index before commit.
func (f *fixture) write(fn func(ctx context.Context, c Conn, ch *Changes) error) {
	f.t.Helper()
	ctx := f.t.Context()
	tx, err := f.db.BeginTx(ctx, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	defer tx.Rollback()
	err = withTx(tx, func(c Conn) error {
		var ch Changes
		if err := fn(ctx, c, &ch); err != nil {
			return err
		}
		return ch.Write(ctx, c)
	})
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		f.t.Fatal(err)
	}
}

// read calls fn with a Conn in a transaction that sees one snapshot.
func (f *fixture) read(fn func(ctx context.Context, c Conn) error) {
	f.t.Helper()
	ctx := f.t.Context()
	tx, err := f.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		f.t.Fatal(err)
	}
	defer tx.Rollback()
	if err := withTx(tx, func(c Conn) error { return fn(ctx, c) }); err != nil {
		f.t.Fatal(err)
	}
}

// put stores a, new or changed, with its tags, and notes it in ch.
func (f *fixture) put(ctx context.Context, c Conn, ch *Changes, a *fixtureAccount) error {
	if f.accounts[a.ID] == nil {
		seq, err := ch.NewSeq(ctx, c, a.CreatedAt, a.ID)
		if err != nil {
			return err
		}
		if err := f.insertAccount(ctx, c, a.Account, seq); err != nil {
			return err
		}
		f.accounts[a.ID] = a
	} else {
		var set []string
		var args []any
		for _, col := range listingSourceColumns[1:] {
			set = append(set, col.Name+" = ?")
			args = append(args, columnValue(&col, a.Account))
		}
		deletedAt := sql.NullInt64{Int64: 1, Valid: a.deleted}
		if err := exec(ctx, c, "UPDATE accounts SET "+strings.Join(set, ", ")+", deleted_at = ? WHERE id = ?",
			append(args, deletedAt, a.ID)...); err != nil {
			return err
		}
	}
	if err := exec(ctx, c, "DELETE FROM account_tags WHERE account_id = ?", a.ID); err != nil {
		return err
	}
	for i, key := range a.tags {
		if err := exec(ctx, c, `INSERT INTO tags (id, key, name, color, categories, is_parent, type, created_at, updated_at, code)
			VALUES (?1, ?1, ?1, '', '[]', 0, '', 0, 0, (SELECT ifnull(max(code), 0) + 1 FROM tags)) ON CONFLICT DO NOTHING`, key); err != nil {
			return err
		}
		if err := exec(ctx, c, "INSERT INTO account_tags (account_id, tag_id, position, name) VALUES (?, ?, ?, ?)", a.ID, key, i, key); err != nil {
			return err
		}
	}
	a.Profile.Talent.Tags = a.tags
	ch.Note(a.ID)
	return nil
}

// insertAccount writes the columns of a that listings are made of, seq
// and the next slot; every other NOT NULL column gets its type's zero,
// or for text, which unique indexes cover, the account's id.
func (f *fixture) insertAccount(ctx context.Context, c Conn, a *accountd.Account, seq int64) error {
	names := []string{"seq"}
	args := []any{seq}
	for _, col := range listingSourceColumns {
		names, args = append(names, col.Name), append(args, columnValue(&col, a))
	}
	zero := map[string]any{"TEXT": a.ID, "INTEGER": 0, "BLOB": []byte{}}
	columns, err := c.Stmt(ctx, `SELECT name, type FROM pragma_table_info('accounts') WHERE "notnull" AND dflt_value IS NULL`)
	if err != nil {
		return err
	}
	rows, err := columns.QueryContext(ctx)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		if !slices.Contains(names, name) {
			names, args = append(names, name), append(args, zero[typ])
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	return exec(ctx, c, fmt.Sprintf("INSERT INTO accounts (%s, slot) VALUES (%s, (SELECT ifnull(max(slot), 0) + 1 FROM accounts))",
		strings.Join(names, ", "), strings.Repeat("?, ", len(names)-1)+"?"), args...)
}

// columnValue is what col holds of a, NULL for "" in a nullable column.
func columnValue(col *accountrow.Column, a *accountd.Account) any {
	v := col.Value(col.Field(a))
	if col.Nullable && v == "" {
		return nil
	}
	return v
}
