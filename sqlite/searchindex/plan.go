package searchindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode"

	"accountd"
)

const (
	qTagCode         = "SELECT code FROM tags WHERE key = ?"
	qMatchCount      = "SELECT count(*) FROM listing_search WHERE listing_search MATCH ? AND rowid < ?"
	qMatchCountSince = "SELECT count(*) FROM listing_search WHERE listing_search MATCH ? AND rowid >= ?"
	qListedSince     = "SELECT EXISTS (SELECT 1 FROM listings WHERE seq >= ?)"
	// The listings with a role and completeness, less those from ?4 on,
	// which are few: the ones created since a search's first page.
	qListingCount = `SELECT
		(SELECT ifnull(sum(n), 0) FROM listing_counts
			WHERE (?1 = '' OR role = ?1) AND profile_completeness BETWEEN ?2 AND ?3) -
		(SELECT count(*) FROM listings
			WHERE seq >= ?4 AND (?1 = '' OR +role = ?1) AND +profile_completeness BETWEEN ?2 AND ?3)`
)

// Plan is a search as SQL: its total and its page are read from the same
// plan, in the same transaction. Filters that the full-text index holds
// go into match; the others, which select few accounts or none can index,
// are conditions on the listings row.
type Plan struct {
	q         *accountd.SearchQuery
	match     string   // the FTS5 query, "" when nothing goes through the index
	where     []string // conditions on listings, as l
	whereArgs []any
	before    int64 // the seq listings must be under: q.AsOf's first
	none      bool  // some filter can match no account
	// counted is set when only role and completeness filter, whose
	// totals listing_counts keeps.
	counted bool
	// terms is set when every filter is one term of the bitmaps, and
	// tags or text are among them: the bitmaps count the total.
	terms *termFilter
}

// NewPlan plans the search q, which must be valid (see
// accountd.SearchQuery.Validate).
func NewPlan(ctx context.Context, c Conn, q *accountd.SearchQuery) (*Plan, error) {
	p := &Plan{q: q, before: math.MaxInt64}
	if !q.AsOf.IsZero() {
		p.before = seqAt(q.AsOf)
	}
	// The completeness steps a listing must reach, from, and not reach,
	// beyond.
	from := (q.CompletenessMin + completenessStep - 1) / completenessStep * completenessStep
	beyond := q.CompletenessMax/completenessStep*completenessStep + completenessStep
	if from >= beyond {
		p.none = true
		return p, nil
	}
	completeness := from > 0 || beyond <= 100
	var match []string
	terms := &termFilter{}
	// Whether each filter is one term of the bitmaps.
	oneTerms := q.OwnerID == "" && q.BookmarkedBy == ""
	if n := len([]rune(q.Text)); n >= minTrigram {
		// The text columns of the steps in range are the completeness
		// filter. Without one, the text needs no column filter, which costs
		// FTS5 a look at the columns of every entry, unless it could match
		// the facets: each of their trigrams holds a character of Unicode's
		// Private Use Area (see facet).
		text := ftsString(q.Text)
		if completeness || strings.ContainsFunc(q.Text, func(r rune) bool { return unicode.Is(unicode.Co, r) }) {
			text = textColumnsFrom(from, beyond) + " : " + text
		}
		match = append(match, text)
		completeness = false
		terms.all = append(terms.all, textTerm(q.Text))
		oneTerms = oneTerms && n == minTrigram
	} else if q.Text != "" {
		p.where = append(p.where, "instr(l.search_text, ?) > 0")
		p.whereArgs = append(p.whereArgs, q.Text)
		oneTerms = false
	}
	if len(q.TagKeys) > 0 {
		tagCode, err := c.Stmt(ctx, qTagCode)
		if err != nil {
			return nil, err
		}
		var tags []string
		for _, key := range q.TagKeys {
			var code int
			err := tagCode.QueryRowContext(ctx, key).Scan(&code)
			if errors.Is(err, sql.ErrNoRows) {
				continue // no account has a tag no one ever used
			} else if err != nil {
				return nil, err
			}
			tags = append(tags, facet(facetTag, code))
		}
		if len(tags) == 0 || (!q.AnyTag && len(tags) < len(q.TagKeys)) {
			p.none = true
			return p, nil
		}
		op := " AND "
		if q.AnyTag {
			op = " OR "
			terms.any = tags
		} else {
			terms.all = append(terms.all, tags...)
		}
		quoted := make([]string, len(tags))
		for i, tag := range tags {
			quoted[i] = ftsString(tag)
		}
		match = append(match, "facets : ("+strings.Join(quoted, op)+")")
	}
	// Without text or tags, a role is found faster through its own
	// index, and the total comes from listing_counts.
	p.counted = len(match) == 0 && len(p.where) == 0 && q.OwnerID == "" && q.BookmarkedBy == ""
	if q.Role != "" && p.counted {
		p.where = append(p.where, "l.role = ?", "+l.profile_completeness BETWEEN ? AND ?")
		p.whereArgs = append(p.whereArgs, q.Role, q.CompletenessMin, q.CompletenessMax)
		completeness = false
	} else if q.Role != "" {
		match = append(match, "facets : "+ftsString(roleFacet(q.Role)))
		terms.all = append(terms.all, roleFacet(q.Role))
	}
	if completeness && (from > 0 || len(match) == 0) {
		match = append(match, "facets : "+ftsString(facet(facetCompleteness, from)))
	}
	p.match = strings.Join(match, " AND ")
	if completeness && beyond <= 100 {
		p.match = "(" + p.match + ") NOT facets : " + ftsString(facet(facetCompleteness, beyond))
	}
	if oneTerms && !p.counted && len(terms.all)+len(terms.any) > 0 {
		if from > 0 {
			terms.all = append(terms.all, facet(facetCompleteness, from))
		}
		if beyond <= 100 {
			terms.without = facet(facetCompleteness, beyond)
		}
		p.terms = terms
	}
	if q.OwnerID != "" {
		p.where = append(p.where, "l.owner_id = ?")
		p.whereArgs = append(p.whereArgs, q.OwnerID)
	}
	if q.BookmarkedBy != "" {
		p.where = append(p.where, "l.account_id IN (SELECT account_id FROM bookmarks WHERE owner = ?)")
		p.whereArgs = append(p.whereArgs, q.BookmarkedBy)
	}
	return p, nil
}

// orderBy is each sort's ORDER BY on listings l, in the order of an index.
var orderBy = map[accountd.SearchSort]string{
	accountd.SortNewest:       "l.seq DESC",
	accountd.SortOldest:       "l.seq",
	accountd.SortCompleteness: "l.profile_completeness DESC, l.account_id DESC",
	accountd.SortScore:        "l.score DESC, l.account_id DESC",
}

// Count is the number of listings p selects. Totals come from the bitmaps
// when every filter is one of their terms, from listing_counts when only
// role and completeness filter, and from the index's match count
// otherwise.
func (p *Plan) Count(ctx context.Context, c Conn) (int, error) {
	if p.none {
		return 0, nil
	}
	var total int
	if p.terms != nil {
		var err error
		if total, err = countTerms(ctx, c, p.terms); err != nil {
			return 0, err
		}
		listedSince, err := c.Stmt(ctx, qListedSince)
		if err != nil {
			return 0, err
		}
		var since bool
		if err := listedSince.QueryRowContext(ctx, p.before).Scan(&since); err != nil || !since {
			return total, err
		}
	}
	query, args := p.countQuery()
	stmt, err := c.Stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	var n int
	if err := stmt.QueryRowContext(ctx, args...).Scan(&n); err != nil {
		return 0, err
	}
	if p.terms != nil {
		return total - n, nil
	}
	return n, nil
}

// countQuery is the SQL that counts what p selects, and its arguments.
// When the bitmaps count it, it counts what of that the bitmaps hold
// beyond p.before instead: the listings created since a search's first
// page, which are few, and which the full-text index finds from their seq.
func (p *Plan) countQuery() (string, []any) {
	switch {
	case p.terms != nil:
		return qMatchCountSince, []any{p.match, p.before}
	case p.counted:
		return qListingCount, []any{p.q.Role, p.q.CompletenessMin, p.q.CompletenessMax, p.before}
	case p.match != "" && len(p.where) == 0:
		return qMatchCount, []any{p.match, p.before}
	default:
		from, args := p.from()
		return "SELECT count(*) " + from, args
	}
}

// from is the FROM and WHERE clauses of p over listings l, and their arguments.
func (p *Plan) from() (string, []any) {
	var b strings.Builder
	var args []any
	if p.match != "" {
		b.WriteString("FROM listing_search JOIN listings AS l ON l.seq = listing_search.rowid" +
			" WHERE listing_search MATCH ? AND listing_search.rowid < ?")
		args = append(args, p.match, p.before)
	} else {
		b.WriteString("FROM listings AS l WHERE l.seq < ?")
		args = append(args, p.before)
	}
	for _, w := range p.where {
		b.WriteString(" AND ")
		b.WriteString(w)
	}
	return b.String(), append(args, p.whereArgs...)
}

// Page is the account ids of the search's page, in its order.
//
// With the default sorts, an indexed filter walks the full-text index's
// matches in seq order and stops at the page. The other sorts walk their
// own index and keep the rows the index matched.
func (p *Plan) Page(ctx context.Context, c Conn) ([]string, error) {
	if p.none {
		return nil, nil
	}
	query, args, err := p.pageQuery()
	if err != nil {
		return nil, err
	}
	stmt, err := c.Stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// pageQuery is the SQL that reads the ids of the page of what p selects,
// and its arguments.
func (p *Plan) pageQuery() (string, []any, error) {
	q := p.q
	order, ok := orderBy[q.Sort]
	if !ok {
		return "", nil, fmt.Errorf("unknown sort %q", q.Sort)
	}
	var query string
	var args []any
	if p.match != "" && (q.Sort == accountd.SortNewest || q.Sort == accountd.SortOldest) {
		// The index yields its matches in rowid order, which is seq's.
		from, fromArgs := p.from()
		query, args = "SELECT l.account_id "+from+" ORDER BY listing_search.rowid"+strings.TrimPrefix(order, "l.seq"), fromArgs
	} else {
		// Walk the sort's index; an indexed filter becomes a set of seqs,
		// built once, that each row is checked against.
		where := append([]string{"l.seq < ?"}, p.where...)
		args = append([]any{p.before}, p.whereArgs...)
		if p.match != "" {
			where = append(where, "l.seq IN (SELECT rowid FROM listing_search WHERE listing_search MATCH ?)")
			args = append(args, p.match)
		}
		query = "SELECT l.account_id FROM listings AS l WHERE " + strings.Join(where, " AND ") + " ORDER BY " + order
	}
	return query + " LIMIT ? OFFSET ?", append(args, q.Limit, q.Offset()), nil
}
