package sqlite

import (
	"context"

	"accountd"
	"accountd/sqlite/searchindex"
)

var qBookmarksOf = newQuery("SELECT account_id, id FROM bookmarks WHERE owner = ? AND account_id IN (SELECT value FROM json_each(?))")

// SearchAccounts reads the total and the page through the search index,
// both from the same plan in the same snapshot, then the accounts of the
// page and the viewer's bookmarks of them.
func (t *tx) SearchAccounts(ctx context.Context, q *accountd.SearchQuery) (*accountd.SearchResult, error) {
	p, err := searchindex.NewPlan(ctx, t, q)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	res := &accountd.SearchResult{Hits: []accountd.SearchHit{}}
	if res.Total, err = p.Count(ctx, t); err != nil {
		return nil, wrap("search accounts", err)
	}
	if q.Offset() >= res.Total {
		return res, nil
	}
	ids, err := p.Page(ctx, t)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	accounts, err := t.accounts(ctx, ids)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	marks, err := t.bookmarksOf(ctx, q.ViewerID, ids)
	if err != nil {
		return nil, wrap("search accounts", err)
	}
	for _, id := range ids {
		res.Hits = append(res.Hits, accountd.SearchHit{Account: accounts[id], BookmarkID: marks[id]})
	}
	return res, nil
}

// bookmarksOf returns owner's bookmarks of the accounts, by account.
func (t *tx) bookmarksOf(ctx context.Context, owner string, accountIDs []string) (map[string]string, error) {
	rows, err := t.stmt(ctx, qBookmarksOf).QueryContext(ctx, owner, jsonText(accountIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	marks := map[string]string{}
	for rows.Next() {
		var accountID, id string
		if err := rows.Scan(&accountID, &id); err != nil {
			return nil, err
		}
		marks[accountID] = id
	}
	return marks, rows.Err()
}
