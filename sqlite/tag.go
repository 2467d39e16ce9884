package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"accountd"
)

var (
	// An account's tags, with the name it gave each, in its order.
	qAccountTags = newQuery(`SELECT account_tags.name, tags.id, tags.name, tags.key, tags.color, tags.categories,
			tags.is_parent, tags.type, tags.entry_count, tags.created_at, tags.updated_at
		FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
		WHERE account_tags.account_id = ? ORDER BY account_tags.position`)

	qAccountLive = newQuery("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ? AND deleted_at IS NULL)")
	qTagIDs      = newQuery("SELECT tag_id FROM account_tags WHERE account_id = ?")
	qTagByKey    = newQuery("SELECT id FROM tags WHERE key = ?")
	// A tag starts unused; SetTags counts the account that brought it.
	qTagInsert = newQuery(`INSERT INTO tags
		(id, key, name, color, categories, is_parent, type, entry_count, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`)
	qTagCount = newQuery("UPDATE tags SET entry_count = entry_count + ?, updated_at = ? WHERE id = ?")
	// One statement adds a gained tag and moves or renames a kept one.
	qAccountTagPut = newQuery(`INSERT INTO account_tags (account_id, tag_id, position, name) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, tag_id) DO UPDATE SET position = excluded.position, name = excluded.name`)
	qAccountTagDelete = newQuery("DELETE FROM account_tags WHERE account_id = ? AND tag_id = ?")
)

// tags returns the account's tag names and documents; both lists are empty,
// not nil, when it has none, so that they show as JSON arrays.
func (t *tx) tags(ctx context.Context, accountID string) ([]string, []accountd.Tag, error) {
	rows, err := t.stmt(ctx, qAccountTags).QueryContext(ctx, accountID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	names, tags := []string{}, []accountd.Tag{}
	for rows.Next() {
		var name string
		var tag accountd.Tag
		if err := rows.Scan(&name, &tag.ID, &tag.Name, &tag.Key, &tag.Color, jsonList{&tag.Categories},
			&tag.IsParent, &tag.Type, number{&tag.EntryCount}, millis{&tag.CreatedAt}, millis{&tag.UpdatedAt}); err != nil {
			return nil, nil, err
		}
		names, tags = append(names, name), append(tags, tag)
	}
	return names, tags, rows.Err()
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
	keys := make(map[string]bool, len(tags))
	for _, tag := range tags {
		// A second tag of the same Key would count the account twice.
		if keys[tag.Key] {
			continue
		}
		position := len(keys)
		keys[tag.Key] = true
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
	_, docs, err := t.tags(ctx, accountID)
	if err != nil {
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
