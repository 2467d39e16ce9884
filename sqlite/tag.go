package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"accountd"
)

var (
	// The tags of a JSON array of accounts, with the name each account
	// gave each, in its order.
	qAccountTags = newQuery(`SELECT account_tags.account_id, account_tags.name, ` + tagColumns + `
		FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
		WHERE account_tags.account_id IN (SELECT value FROM json_each(?))
		ORDER BY account_tags.account_id, account_tags.position`)

	qAccountLive = newQuery("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ? AND deleted_at IS NULL)")
	qTagIDs      = newQuery("SELECT tag_id FROM account_tags WHERE account_id = ?")
	qTagByKey    = newQuery("SELECT id FROM tags WHERE key = ?")
	// A tag starts unused; SetTags counts the account that brought it.
	// The code is the next free one: tags are never deleted, so codes are
	// dense and never reused.
	qTagInsert = newQuery(`INSERT INTO tags
		(id, key, name, color, categories, is_parent, type, entry_count, created_at, updated_at, code)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, (SELECT ifnull(max(code), 0) + 1 FROM tags))`)
	qTagCount = newQuery("UPDATE tags SET entry_count = entry_count + ?, updated_at = ? WHERE id = ?")
	// One statement adds a gained tag and moves or renames a kept one.
	qAccountTagPut = newQuery(`INSERT INTO account_tags (account_id, tag_id, position, name) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, tag_id) DO UPDATE SET position = excluded.position, name = excluded.name`)
	qAccountTagDelete = newQuery("DELETE FROM account_tags WHERE account_id = ? AND tag_id = ?")
	qTags             = newQuery(`SELECT ` + tagColumns + `
		FROM tags WHERE instr(key, ?1) > 0 ORDER BY entry_count DESC, name, key LIMIT ?2`)
)

// tagColumns are a tag's columns, in the order scanTag reads them.
const tagColumns = "tags.id, tags.name, tags.key, tags.color, tags.categories, tags.is_parent, tags.type, tags.entry_count, tags.created_at, tags.updated_at"

func scanTag(row interface{ Scan(...any) error }, before ...any) (accountd.Tag, error) {
	var tag accountd.Tag
	err := row.Scan(append(before, &tag.ID, &tag.Name, &tag.Key, &tag.Color, jsonList{&tag.Categories},
		&tag.IsParent, &tag.Type, number{&tag.EntryCount}, millis{&tag.CreatedAt}, millis{&tag.UpdatedAt})...)
	return tag, err
}

// tags calls add with each tag of the accounts, and the name the account
// gave it, account by account in each one's order.
func (t *tx) tags(ctx context.Context, accountIDs []string, add func(accountID, name string, tag accountd.Tag)) error {
	rows, err := t.stmt(ctx, qAccountTags).QueryContext(ctx, jsonText(accountIDs))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var accountID, name string
		tag, err := scanTag(rows, &accountID, &name)
		if err != nil {
			return err
		}
		add(accountID, name, tag)
	}
	return rows.Err()
}

// SetTags counts a tag in or out only when the account gains or loses it, so
// that setting the same tags again changes no count.
func (t *tx) SetTags(ctx context.Context, accountID string, tags []accountd.Tag, at time.Time) ([]accountd.Tag, error) {
	var live bool
	if err := t.stmt(ctx, qAccountLive).QueryRowContext(ctx, accountID).Scan(&live); err != nil {
		return nil, wrap("set tags", err)
	}
	if !live {
		return nil, accountd.ErrNotFound
	}
	lost, err := t.tagIDs(ctx, accountID) // what is not kept below is lost
	if err != nil {
		return nil, wrap("set tags", err)
	}
	for position, tag := range accountd.DistinctTags(tags) {
		id, err := t.tagID(ctx, &tag)
		if err != nil {
			return nil, wrap("set tags", err)
		}
		if _, err := t.stmt(ctx, qAccountTagPut).ExecContext(ctx, accountID, id, position, tag.Name); err != nil {
			return nil, wrap("set tags", err)
		}
		if lost[id] {
			delete(lost, id)
		} else if err := t.countTag(ctx, id, +1, at); err != nil {
			return nil, wrap("set tags", err)
		}
	}
	for id := range lost {
		if _, err := t.stmt(ctx, qAccountTagDelete).ExecContext(ctx, accountID, id); err != nil {
			return nil, wrap("set tags", err)
		}
		if err := t.countTag(ctx, id, -1, at); err != nil {
			return nil, wrap("set tags", err)
		}
	}
	t.listings.Note(accountID)
	docs := []accountd.Tag{}
	if err := t.tags(ctx, []string{accountID}, func(_, _ string, tag accountd.Tag) { docs = append(docs, tag) }); err != nil {
		return nil, wrap("set tags", err)
	}
	return docs, nil
}

// tagIDs returns the ids of the account's tags.
func (t *tx) tagIDs(ctx context.Context, accountID string) (map[string]bool, error) {
	rows, err := t.stmt(ctx, qTagIDs).QueryContext(ctx, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// tagID returns the id of the stored tag with tag's Key, storing tag first
// when there is none.
func (t *tx) tagID(ctx context.Context, tag *accountd.Tag) (string, error) {
	var id string
	err := t.stmt(ctx, qTagByKey).QueryRowContext(ctx, tag.Key).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	_, err = t.stmt(ctx, qTagInsert).ExecContext(ctx, tag.ID, tag.Key, tag.Name, tag.Color,
		jsonText(tag.Categories), tag.IsParent, tag.Type, tag.CreatedAt.UnixMilli(), tag.UpdatedAt.UnixMilli())
	return tag.ID, err
}

// countTag adds delta to the tag's EntryCount.
func (t *tx) countTag(ctx context.Context, id string, delta int, at time.Time) error {
	_, err := t.stmt(ctx, qTagCount).ExecContext(ctx, delta, at.UnixMilli(), id)
	return err
}

// ImportAccounts creates each account and adds its tags as SetTags would to
// an account that has none, keeping the batch's tag ids and counts so that
// each tag is looked up and counted once.
func (t *tx) ImportAccounts(ctx context.Context, accounts []*accountd.Account) error {
	ids := map[string]string{}
	// What each tag gains, and when it was last counted.
	gained, counted := map[string]int{}, map[string]time.Time{}
	for _, a := range accounts {
		if err := t.CreateAccount(ctx, a); err != nil {
			return err
		}
		for position, tag := range accountd.DistinctTags(a.Tags) {
			id, ok := ids[tag.Key]
			if !ok {
				var err error
				if id, err = t.tagID(ctx, &tag); err != nil {
					return wrap("import tags", err)
				}
				ids[tag.Key] = id
			}
			if _, err := t.stmt(ctx, qAccountTagPut).ExecContext(ctx, a.ID, id, position, tag.Name); err != nil {
				return wrap("import tags", err)
			}
			gained[id]++
			counted[id] = a.CreatedAt
		}
	}
	for id, n := range gained {
		if err := t.countTag(ctx, id, n, counted[id]); err != nil {
			return wrap("import tags", err)
		}
	}
	return nil
}

func (t *tx) Tags(ctx context.Context, q *accountd.TagQuery) ([]accountd.Tag, error) {
	rows, err := t.stmt(ctx, qTags).QueryContext(ctx, q.Text, q.Limit)
	if err != nil {
		return nil, wrap("tags", err)
	}
	defer rows.Close()
	tags := []accountd.Tag{}
	for rows.Next() {
		tag, err := scanTag(rows)
		if err != nil {
			return nil, wrap("tags", err)
		}
		tags = append(tags, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("tags", err)
	}
	return tags, nil
}
