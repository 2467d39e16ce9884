package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"accountd"

	"github.com/jackc/pgx/v5"
)

// listed is the condition on accounts a that keeps the listed ones: live and
// not private. It is the predicate of the partial indexes searches use
// (0002_search.sql), word for word, so that the planner can use them.
const listed = "a.deleted_at IS NULL AND NOT a.is_private"

// minTrigram is the shortest text pg_trgm's index can look up: shorter
// text yields no trigram, and the index would have to be read whole.
const minTrigram = 3

// orderBy is each sort's ORDER BY on accounts a, the order of its index.
var orderBy = map[accountd.SearchSort]string{
	accountd.SortNewest:       "a.created_at DESC, a.id DESC",
	accountd.SortOldest:       "a.created_at, a.id",
	accountd.SortCompleteness: "a.profile_completeness DESC, a.id DESC",
	accountd.SortScore:        "a.score DESC, a.id DESC",
}

// searchSQL is what SearchAccounts runs for one query: the count of every
// account it selects and the page, each with its arguments. The page's
// columns are scanAccount's, then the viewer's bookmark id or "".
type searchSQL struct {
	count     string
	countArgs []any
	page      string
	pageArgs  []any
}

// args collects the arguments of one statement and names each as the
// parameter it becomes.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// buildSearch turns q into SQL. Every filter is a condition on the
// accounts row, or a semi-join through an index, that the planner may
// drive the search from or check row by row, whichever is cheaper:
//
//   - text: search_text LIKE '%text%', through the trigram index, for three
//     characters or more; strpos for fewer, which no index can serve;
//   - tags: the ids of the keys' tags, which the caller looks up (see
//     searchTagIDs), contained in or overlapping the account's tag_ids,
//     through their GIN index;
//   - role and owner: equality, served by indexes that continue in the
//     default sort's order;
//   - completeness: a range on its sort's index, left out when it is the
//     whole of 0 to 100;
//   - bookmarked by: a semi-join on the owner's bookmarks;
//   - AsOf: created_at before it, in milliseconds as stored.
func buildSearch(q *accountd.SearchQuery, tagIDs []string) (*searchSQL, error) {
	order, ok := orderBy[q.Sort]
	if !ok {
		return nil, fmt.Errorf("unknown sort %q", q.Sort)
	}
	var a args
	where := []string{listed}
	if !q.AsOf.IsZero() {
		where = append(where, "a.created_at < "+a.add(ms(q.AsOf)))
	}
	switch {
	case utf8.RuneCountInString(q.Text) >= minTrigram:
		where = append(where, "a.search_text LIKE "+a.add("%"+escapeLike(q.Text)+"%"))
	case q.Text != "":
		where = append(where, "strpos(a.search_text, "+a.add(q.Text)+") > 0")
	}
	switch {
	case len(q.TagKeys) == 0:
	case q.AnyTag:
		where = append(where, "a.tag_ids && "+a.add(tagIDs))
	default:
		where = append(where, "a.tag_ids @> "+a.add(tagIDs))
	}
	where = append(where, roleAndCompleteness(q, &a, "a.")...)
	if q.OwnerID != "" {
		where = append(where, "a.owner_id = "+a.add(q.OwnerID))
	}
	if q.BookmarkedBy != "" {
		where = append(where, "a.id IN (SELECT bookmarks.account_id FROM bookmarks WHERE bookmarks.owner = "+a.add(q.BookmarkedBy)+")")
	}
	cond := strings.Join(where, " AND ")
	s := &searchSQL{count: "SELECT count(*) FROM accounts AS a WHERE " + cond, countArgs: a}
	if q.Text == "" && len(q.TagKeys) == 0 && q.OwnerID == "" && q.BookmarkedBy == "" {
		s.count, s.countArgs = countedSearch(q)
	}

	page := append(args(nil), a...)
	bookmark, from := "''", "accounts AS a"
	if q.ViewerID != "" {
		bookmark = "coalesce(bm.id, '')"
		from += " LEFT JOIN bookmarks AS bm ON bm.owner = " + page.add(q.ViewerID) + " AND bm.account_id = a.id"
	}
	s.page = "SELECT " + accountColumns("a.") + ", " + bookmark + " FROM " + from + " WHERE " + cond +
		" ORDER BY " + order + " LIMIT " + page.add(q.Limit) + " OFFSET " + page.add(q.Offset())
	s.pageArgs = page
	return s, nil
}

// roleAndCompleteness are q's conditions on role and completeness, on the
// columns behind prefix: "a." or none.
func roleAndCompleteness(q *accountd.SearchQuery, a *args, prefix string) []string {
	var conds []string
	if q.Role != "" {
		conds = append(conds, prefix+"role = "+a.add(q.Role))
	}
	if q.CompletenessMin > 0 {
		conds = append(conds, prefix+"profile_completeness >= "+a.add(q.CompletenessMin))
	}
	if q.CompletenessMax < 100 {
		conds = append(conds, prefix+"profile_completeness <= "+a.add(q.CompletenessMax))
	}
	return conds
}

// countedSearch is the count of a search that filters on role and
// completeness alone, or on nothing: the sum of listing_count_changes (see
// 0004_listing_counts.sql) for them, less the listed accounts created from
// q.AsOf on, which are few: those registered since the search's first page.
func countedSearch(q *accountd.SearchQuery) (string, []any) {
	var a args
	cond := strings.Join(append(roleAndCompleteness(q, &a, ""), "TRUE"), " AND ")
	count := "SELECT (SELECT coalesce(sum(n), 0)::bigint FROM listing_count_changes WHERE " + cond + ")"
	if !q.AsOf.IsZero() {
		count += " - (SELECT count(*) FROM accounts AS a WHERE " + listed + " AND " + cond +
			" AND a.created_at >= " + a.add(ms(q.AsOf)) + ")"
	}
	return count, a
}

// qTagIDsByKey looks up the tags a search names, so that the planner sees
// their ids: it plans a tag filter from how many accounts each id has.
const qTagIDsByKey = "SELECT id FROM tags WHERE key = ANY ($1)"

// searchTagIDs returns the ids of the tags q names, and false when q can
// select no account: all of several keys when one has no tag, since no
// account has a tag no one ever used, and any of them when none has one.
func (t *tx) searchTagIDs(ctx context.Context, q *accountd.SearchQuery) ([]string, bool, error) {
	if len(q.TagKeys) == 0 {
		return nil, true, nil
	}
	keys := distinct(q.TagKeys)
	rows, err := t.tx.Query(ctx, qTagIDsByKey, keys)
	if err != nil {
		return nil, false, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, false, err
	}
	return ids, len(ids) > 0 && (q.AnyTag || len(ids) == len(keys)), nil
}

// escapeLike makes s a LIKE pattern that matches s only: its wildcards and
// the escape character, backslash (LIKE's default), become literal.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// distinct is keys without repeats, in order.
func distinct(keys []string) []string {
	var out []string
	for _, k := range keys {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

const (
	// qSearchSettings set, for the rest of the transaction, how the server
	// plans a search.
	//
	// Each search is planned for its values: a prepared statement is
	// otherwise planned once for any values, after five executions whose
	// custom plans cost about as much, and a search's best plan depends on
	// how many accounts its values select: the plan for a rare tag is a poor
	// one for a common tag. Planning costs less than a millisecond.
	//
	// No search starts parallel workers: searches are many and short, and
	// run side by side already; starting workers adds more to a search's
	// time than they save, and takes them from the other searches.
	qSearchSettings = `SELECT set_config('plan_cache_mode', 'force_custom_plan', true),
		set_config('max_parallel_workers_per_gather', '0', true)`
	// The achievements and tags of the accounts of a page, grouped by
	// account, each group in AccountByID's order. $1 is the ids.
	qPageAchievements = "SELECT " + achievementColumns + " FROM achievements WHERE owner = ANY($1) ORDER BY owner, created_at, id"
	qPageTags         = "SELECT account_tags.account_id, " + accountTagColumns + ` FROM account_tags
		JOIN tags ON tags.id = account_tags.tag_id
		WHERE account_tags.account_id = ANY($1) ORDER BY account_tags.account_id, account_tags.position`
)

// SearchAccounts counts and reads the page in one round trip, then the
// page's achievements and tags in another. In a Read both see its one
// snapshot.
func (t *tx) SearchAccounts(ctx context.Context, q *accountd.SearchQuery) (*accountd.SearchResult, error) {
	res := &accountd.SearchResult{Hits: []accountd.SearchHit{}}
	tagIDs, some, err := t.searchTagIDs(ctx, q)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	if !some {
		return res, nil
	}
	s, err := buildSearch(q, tagIDs)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	byID := map[string]*accountd.Account{}
	var ids []string
	b := &pgx.Batch{}
	b.Queue(qSearchSettings)
	b.Queue(s.count, s.countArgs...).QueryRow(func(row pgx.Row) error { return row.Scan(&res.Total) })
	b.Queue(s.page, s.pageArgs...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			hit := accountd.SearchHit{Account: &accountd.Account{}}
			if err := rows.Scan(append(accountDest(hit.Account), &hit.BookmarkID)...); err != nil {
				return err
			}
			// As AccountByID has them when there are none.
			hit.Account.Profile.Talent.Tags, hit.Account.Tags = []string{}, []accountd.Tag{}
			res.Hits = append(res.Hits, hit)
			ids = append(ids, hit.Account.ID)
			byID[hit.Account.ID] = hit.Account
		}
		return rows.Err()
	})
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap("search accounts", err)
	}
	if len(ids) == 0 {
		return res, nil
	}

	b = &pgx.Batch{}
	b.Queue(qPageAchievements, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var ach accountd.Achievement
			if err := rows.Scan(&ach.ID, &ach.Owner, &ach.Type, &ach.Total, &ach.Value, &ach.CreatedAt, &ach.UpdatedAt); err != nil {
				return err
			}
			a := byID[ach.Owner]
			a.Achievements = append(a.Achievements, ach)
		}
		return rows.Err()
	})
	b.Queue(qPageTags, ids).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id, name string
			var tag accountd.Tag
			if err := rows.Scan(&id, &name, &tag.ID, &tag.Name, &tag.Key, &tag.Color, &tag.Categories,
				&tag.IsParent, &tag.Type, &tag.EntryCount, &tag.CreatedAt, &tag.UpdatedAt); err != nil {
				return err
			}
			a := byID[id]
			a.Profile.Talent.Tags, a.Tags = append(a.Profile.Talent.Tags, name), append(a.Tags, tag)
		}
		return rows.Err()
	})
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, wrap("search accounts", err)
	}
	return res, nil
}

const (
	// backfillBatch is how many accounts backfillSearchText reads and
	// writes at a time.
	backfillBatch = 5000
	qBackfillRead = `SELECT id, first_name, last_name, user_name, bio_title FROM accounts
		WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2`
	qBackfillWrite = `UPDATE accounts SET search_text = v.search_text
		FROM unnest($1::text[], $2::text[]) AS v (id, search_text) WHERE accounts.id = v.id`
)

// backfillSearchText is migration 2's Go step: it writes the search text
// of the live accounts that existed before the column did, in batches in
// id order, so that it holds no more than a batch in memory.
func backfillSearchText(ctx context.Context, tx pgx.Tx) error {
	after := ""
	for {
		rows, err := tx.Query(ctx, qBackfillRead, after, backfillBatch)
		if err != nil {
			return fmt.Errorf("backfill search text: %w", err)
		}
		var ids, texts []string
		for rows.Next() {
			a := &accountd.Account{}
			if err := rows.Scan(&a.ID, &a.FirstName, &a.LastName, &a.UserName, &a.Profile.Bio.Title); err != nil {
				rows.Close()
				return fmt.Errorf("backfill search text: %w", err)
			}
			ids, texts = append(ids, a.ID), append(texts, a.SearchText())
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("backfill search text: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, qBackfillWrite, ids, texts); err != nil {
			return fmt.Errorf("backfill search text: %w", err)
		}
		after = ids[len(ids)-1]
	}
}
