package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
)

const (
	// SetTags locks the account first, so that the SetTags and
	// DeleteAccount of one account take turns: each then reads the tags the
	// one before it left, and counts against them. $1 is the account's id.
	qAccountLockForTags = "SELECT 1 FROM accounts WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE"
	qTagIDs             = "SELECT tag_id FROM account_tags WHERE account_id = $1"
	qTagsByKey          = "SELECT key, id FROM tags WHERE key = ANY($1)"
	qTagByKey           = "SELECT id FROM tags WHERE key = $1"
	// A tag starts unused; SetTags counts the account that brought it.
	// ON CONFLICT DO NOTHING leaves a tag another transaction stored first
	// as it is, and returns no id.
	qTagInsert = `INSERT INTO tags (id, key, name, color, categories, is_parent, type, entry_count, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)
		ON CONFLICT (key) DO NOTHING RETURNING id`
	// Locks the tags whose counts change, in id order, before they change:
	// two transactions that take their locks in one order cannot deadlock,
	// while the UPDATE below would take them in whatever order its plan
	// visits the rows. NO KEY UPDATE is the lock the UPDATE takes anyway.
	qTagLock = "SELECT id FROM tags WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE"
	// Counts gained tags ($2) in and the other changed ones ($1) out. The
	// increment is atomic: it adds to the latest committed count.
	qTagCount = `UPDATE tags SET entry_count = entry_count + CASE WHEN id = ANY($2) THEN 1 ELSE -1 END, updated_at = $3
		WHERE id = ANY($1)`
	// One statement adds a gained tag and moves or renames a kept one.
	qAccountTagPut = `INSERT INTO account_tags (account_id, tag_id, position, name) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, tag_id) DO UPDATE SET position = excluded.position, name = excluded.name`
	qAccountTagsDelete = "DELETE FROM account_tags WHERE account_id = $1 AND tag_id = ANY($2)"
)

// scanTags reads an account's tag names and documents; both lists are
// empty, not nil, when it has none, so that they show as JSON arrays.
func scanTags(rows pgx.Rows) ([]string, []accountd.Tag, error) {
	names, tags := []string{}, []accountd.Tag{}
	for rows.Next() {
		var name string
		var tag accountd.Tag
		if err := rows.Scan(&name, &tag.ID, &tag.Name, &tag.Key, &tag.Color, &tag.Categories,
			&tag.IsParent, &tag.Type, &tag.EntryCount, &tag.CreatedAt, &tag.UpdatedAt); err != nil {
			return nil, nil, err
		}
		names, tags = append(names, name), append(tags, tag)
	}
	return names, tags, rows.Err()
}

// SetTags counts a tag in or out only when the account gains or loses it, so
// that setting the same tags again changes no count.
func (t *tx) SetTags(ctx context.Context, accountID string, tags []accountd.Tag, at time.Time) ([]accountd.Tag, error) {
	held, err := t.lockTags(ctx, accountID)
	if err != nil {
		return nil, wrap("set tags", err)
	}
	// A second tag of the same Key would count the account twice.
	var wanted []accountd.Tag
	keys := make(map[string]bool, len(tags))
	for _, tag := range tags {
		if !keys[tag.Key] {
			keys[tag.Key] = true
			wanted = append(wanted, tag)
		}
	}
	ids, err := t.tagIDs(ctx, wanted)
	if err != nil {
		return nil, wrap("set tags", err)
	}

	gained := []string{}
	for _, tag := range wanted {
		if id := ids[tag.Key]; held[id] {
			delete(held, id) // kept; what is left in held is lost
		} else {
			gained = append(gained, id)
		}
	}
	var lost []string
	for id := range held {
		lost = append(lost, id)
	}

	// One round trip: the counts, the account's own rows, then the
	// documents as they now stand.
	b := &pgx.Batch{}
	if changed := append(slices.Clone(gained), lost...); len(changed) > 0 {
		b.Queue(qTagLock, changed)
		b.Queue(qTagCount, changed, gained, ms(at))
	}
	if len(lost) > 0 {
		b.Queue(qAccountTagsDelete, accountID, lost)
	}
	for position, tag := range wanted {
		b.Queue(qAccountTagPut, accountID, ids[tag.Key], position, tag.Name)
	}
	var docs []accountd.Tag
	b.Queue(byID.tags, accountID).Query(func(rows pgx.Rows) (err error) {
		_, docs, err = scanTags(rows)
		return err
	})
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap("set tags", err)
	}
	return docs, nil
}

// lockTags locks the live account and returns the ids of its tags, which
// no other transaction can change until this one ends; pgx.ErrNoRows when
// there is no such account.
func (t *tx) lockTags(ctx context.Context, accountID string) (map[string]bool, error) {
	held := make(map[string]bool)
	b := &pgx.Batch{}
	b.Queue(qAccountLockForTags, accountID).QueryRow(func(row pgx.Row) error {
		var one int
		return row.Scan(&one)
	})
	// Runs once the lock is held and, at READ COMMITTED, sees every commit
	// made before it.
	b.Queue(qTagIDs, accountID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			held[id] = true
		}
		return rows.Err()
	})
	return held, t.tx.SendBatch(ctx, b).Close()
}

// tagIDs returns the ids of the stored tags with the Keys of tags, by Key,
// storing from tags those there are none of yet.
func (t *tx) tagIDs(ctx context.Context, tags []accountd.Tag) (map[string]string, error) {
	ids := make(map[string]string, len(tags))
	if len(tags) == 0 {
		return ids, nil
	}
	keys := make([]string, len(tags))
	for i, tag := range tags {
		keys[i] = tag.Key
	}
	rows, err := t.tx.Query(ctx, qTagsByKey, keys)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var key, id string
		if err := rows.Scan(&key, &id); err != nil {
			rows.Close()
			return nil, err
		}
		ids[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []accountd.Tag
	for _, tag := range tags {
		if ids[tag.Key] == "" {
			missing = append(missing, tag)
		}
	}
	// New tags go in in Key order: a transaction storing a tag waits for
	// one storing the same Key, and in one order no two wait for each other.
	slices.SortFunc(missing, func(a, b accountd.Tag) int { return strings.Compare(a.Key, b.Key) })
	for i := range missing {
		id, err := t.storeTag(ctx, &missing[i])
		if err != nil {
			return nil, err
		}
		ids[missing[i].Key] = id
	}
	return ids, nil
}

// storeTag stores tag and returns its id or, when another transaction has
// just stored one of its Key, that one's id.
func (t *tx) storeTag(ctx context.Context, tag *accountd.Tag) (string, error) {
	categories := tag.Categories
	if categories == nil {
		categories = []string{} // NOT NULL: a tag without categories has an empty list
	}
	var id string
	err := t.tx.QueryRow(ctx, qTagInsert, tag.ID, tag.Key, tag.Name, tag.Color, categories, tag.IsParent, tag.Type,
		ms(tag.CreatedAt), ms(tag.UpdatedAt)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		// DO NOTHING waited for the other transaction to commit, so this
		// statement, with a snapshot taken after, sees its tag.
		err = t.tx.QueryRow(ctx, qTagByKey, tag.Key).Scan(&id)
	}
	return id, err
}
