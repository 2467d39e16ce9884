package postgres

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"accountd"

	"github.com/jackc/pgx/v5"
)

// SetTags finds and changes the rows of tags one at a time, each by a
// unique key, rather than an account's all at once with = ANY($1). Its
// statements are prepared once per connection and, after five runs, the
// server may keep one plan for all values, made from what it knew of the
// table then. Made while the table was new and small, that plan reads it
// whole, and it is kept as the table grows; and tags grows with every count
// change, by a dead version of the row, until a vacuum. One row by a unique
// key is found through its index however small the table looks.
const (
	// SetTags locks the account first, so that the SetTags and
	// DeleteAccount of one account take turns: each then reads the tags the
	// one before it left, and counts against them. $1 is the account's id.
	// Whether the account is live is read from the row: see qBookmarkInsert
	// for why the WHERE does not ask.
	qAccountLockForTags = "SELECT deleted_at IS NULL FROM accounts WHERE id = $1 FOR NO KEY UPDATE"
	qTagIDs             = "SELECT tag_id FROM account_tags WHERE account_id = $1"
	qTagByKey           = "SELECT id FROM tags WHERE key = $1"
	qTagByID            = "SELECT " + tagColumns + " FROM tags WHERE id = $1"
	// A tag starts unused; SetTags counts the account that brought it.
	// ON CONFLICT DO NOTHING leaves a tag another transaction stored first
	// as it is, and returns no id.
	qTagInsert = `INSERT INTO tags (id, key, name, color, categories, is_parent, type, entry_count, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)
		ON CONFLICT (key) DO NOTHING RETURNING id`
	// Counts the account in ($2 = 1) or out ($2 = -1) of the tag $1, and
	// locks it. The increment is atomic: it adds to the latest committed
	// count.
	qTagCount = "UPDATE tags SET entry_count = entry_count + $2, updated_at = $3 WHERE id = $1"
	// One statement adds a gained tag and moves or renames a kept one.
	qAccountTagPut = `INSERT INTO account_tags (account_id, tag_id, position, name) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, tag_id) DO UPDATE SET position = excluded.position, name = excluded.name`
	qAccountTagsDelete = "DELETE FROM account_tags WHERE account_id = $1 AND tag_id = ANY($2)"
	// What searches look tags up by: see 0003_tag_ids.sql.
	qAccountTagIDs = "UPDATE accounts SET tag_ids = $2 WHERE id = $1"
)

// heldIDs are the ids of tags, by Key in ids, in the order accounts.tag_ids
// keeps them.
func heldIDs(tags []accountd.Tag, ids map[string]string) []string {
	held := make([]string, len(tags))
	for i, tag := range tags {
		held[i] = ids[tag.Key]
	}
	slices.Sort(held)
	return held
}

// tagColumns are what tagDest reads.
const tagColumns = "id, name, key, color, categories, is_parent, type, entry_count, created_at, updated_at"

// tagDest is where each of tagColumns goes.
func tagDest(tag *accountd.Tag) []any {
	return []any{&tag.ID, &tag.Name, &tag.Key, &tag.Color, &tag.Categories,
		&tag.IsParent, &tag.Type, &tag.EntryCount, &tag.CreatedAt, &tag.UpdatedAt}
}

// scanTags reads an account's tag names and documents; both lists are
// empty, not nil, when it has none, so that they show as JSON arrays.
func scanTags(rows pgx.Rows) ([]string, []accountd.Tag, error) {
	names, tags := []string{}, []accountd.Tag{}
	for rows.Next() {
		var name string
		var tag accountd.Tag
		if err := rows.Scan(append([]any{&name}, tagDest(&tag)...)...); err != nil {
			return nil, nil, err
		}
		names, tags = append(names, name), append(tags, tag)
	}
	return names, tags, rows.Err()
}

// SetTags counts a tag in or out only when the account gains or loses it, so
// that setting the same tags again changes no count.
func (t *tx) SetTags(ctx context.Context, accountID string, tags []accountd.Tag, at time.Time) ([]accountd.Tag, error) {
	wanted := accountd.DistinctTags(tags)
	held, ids, err := t.lockTags(ctx, accountID, wanted)
	if err != nil {
		return nil, wrap("set tags", err)
	}
	if err := t.storeTags(ctx, wanted, ids); err != nil {
		return nil, wrap("set tags", err)
	}

	// What each changed count gains: 1 for a tag gained, -1 for one lost.
	changes := make(map[string]int)
	for _, tag := range wanted {
		if id := ids[tag.Key]; held[id] {
			delete(held, id) // kept; what is left in held is lost
		} else {
			changes[id] = 1
		}
	}
	var lost []string
	for id := range held {
		lost = append(lost, id)
		changes[id] = -1
	}

	// One round trip: the counts, the account's own rows, then the
	// documents as they now stand. The counts change in id order, each
	// locking its tag: two transactions that take their locks in one order
	// cannot deadlock.
	b := &pgx.Batch{}
	for _, id := range slices.Sorted(maps.Keys(changes)) {
		b.Queue(qTagCount, id, changes[id], ms(at))
	}
	if len(lost) > 0 {
		b.Queue(qAccountTagsDelete, accountID, lost)
	}
	for position, tag := range wanted {
		b.Queue(qAccountTagPut, accountID, ids[tag.Key], position, tag.Name)
	}
	b.Queue(qAccountTagIDs, accountID, heldIDs(wanted, ids))
	docs := make([]accountd.Tag, len(wanted))
	for i, tag := range wanted {
		b.Queue(qTagByID, ids[tag.Key]).QueryRow(func(row pgx.Row) error {
			return row.Scan(tagDest(&docs[i])...)
		})
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap("set tags", err)
	}
	return docs, nil
}

// lockTags locks the live account and returns the ids of its tags, which
// no other transaction can change until this one ends, and the ids of the
// stored tags with the Keys of tags, by Key; pgx.ErrNoRows when there is no
// such account.
func (t *tx) lockTags(ctx context.Context, accountID string, tags []accountd.Tag) (map[string]bool, map[string]string, error) {
	held, ids := make(map[string]bool), make(map[string]string, len(tags))
	b := &pgx.Batch{}
	b.Queue(qAccountLockForTags, accountID).QueryRow(func(row pgx.Row) error {
		var live bool
		if err := row.Scan(&live); err != nil {
			return err
		}
		if !live {
			return pgx.ErrNoRows
		}
		return nil
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
	queueTagIDs(b, tags, ids)
	return held, ids, t.tx.SendBatch(ctx, b).Close()
}

// queueTagIDs adds to b the look-ups that put into ids the id of each
// stored tag with the Key of one of tags.
func queueTagIDs(b *pgx.Batch, tags []accountd.Tag, ids map[string]string) {
	for _, tag := range tags {
		b.Queue(qTagByKey, tag.Key).QueryRow(func(row pgx.Row) error {
			var id string
			switch err := row.Scan(&id); {
			case errors.Is(err, pgx.ErrNoRows):
				return nil // not stored yet
			case err != nil:
				return err
			}
			ids[tag.Key] = id
			return nil
		})
	}
}

// storeTags stores those of tags whose Keys ids lacks, and adds their ids.
func (t *tx) storeTags(ctx context.Context, tags []accountd.Tag, ids map[string]string) error {
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
			return err
		}
		ids[missing[i].Key] = id
	}
	return nil
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

// ImportAccounts copies the accounts, their achievements and their tags in
// with COPY, one statement per table, after storing the tags the batch
// brings; then each tag's count changes once, in id order as in SetTags.
func (t *tx) ImportAccounts(ctx context.Context, accounts []*accountd.Account) error {
	var brought []accountd.Tag
	for _, a := range accounts {
		brought = append(brought, a.Tags...)
	}
	brought = accountd.DistinctTags(brought)
	ids := map[string]string{}
	b := &pgx.Batch{}
	queueTagIDs(b, brought, ids)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return wrap("import tags", err)
	}
	if err := t.storeTags(ctx, brought, ids); err != nil {
		return wrap("import tags", err)
	}

	var accountRows, achievementRows, tagRows [][]any
	gained, counted := map[string]int{}, map[string]time.Time{}
	for _, a := range accounts {
		for _, ach := range a.Achievements {
			achievementRows = append(achievementRows, achievementArgs(a, ach))
		}
		held := accountd.DistinctTags(a.Tags)
		for position, tag := range held {
			id := ids[tag.Key]
			tagRows = append(tagRows, []any{a.ID, id, position, tag.Name})
			gained[id]++
			counted[id] = a.CreatedAt
		}
		accountRows = append(accountRows, append(accountArgs(a), heldIDs(held, ids)))
	}
	copies := []struct {
		table   string
		columns []string
		rows    [][]any
	}{
		{"accounts", append(append([]string{"id"}, writtenFields...), "tag_ids"), accountRows},
		{"achievements", strings.Split(achievementColumns, ", "), achievementRows},
		{"account_tags", []string{"account_id", "tag_id", "position", "name"}, tagRows},
	}
	for _, c := range copies {
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.columns, pgx.CopyFromRows(c.rows)); err != nil {
			return accountWriteError("import accounts", err)
		}
	}
	b = &pgx.Batch{}
	for _, id := range slices.Sorted(maps.Keys(gained)) {
		b.Queue(qTagCount, id, gained[id], ms(counted[id]))
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return wrap("import tags", err)
	}
	return nil
}

const qTagList = `SELECT id, name, key, color, categories, is_parent, type, entry_count, created_at, updated_at
		FROM tags WHERE strpos(key, $1) > 0
		ORDER BY entry_count DESC, name COLLATE "C", key COLLATE "C" LIMIT $2`

func (t *tx) Tags(ctx context.Context, q *accountd.TagQuery) ([]accountd.Tag, error) {
	rows, err := t.tx.Query(ctx, qTagList, q.Text, q.Limit)
	if err != nil {
		return nil, wrap("tags", err)
	}
	defer rows.Close()
	tags := []accountd.Tag{}
	for rows.Next() {
		var tag accountd.Tag
		if err := rows.Scan(&tag.ID, &tag.Name, &tag.Key, &tag.Color, &tag.Categories, &tag.IsParent, &tag.Type,
			&tag.EntryCount, &tag.CreatedAt, &tag.UpdatedAt); err != nil {
			return nil, wrap("tags", err)
		}
		tags = append(tags, tag)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("tags", err)
	}
	return tags, nil
}
