package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"accountd"
	"accountd/internal/accountrow"
)

// Facets put a listing's tags, role and completeness into the trigram
// full-text index beside its search text, so that FTS5 intersects them with
// the text and with each other as it walks its entries in seq order, and
// counts the matches without reading a listing. Each facet is one trigram:
// a kind letter and two characters from Unicode's Private Use Area that
// spell a number in base 6400. Facets are joined by spaces, which no facet
// holds, so the trigrams that straddle two facets never equal one; and
// queries name the facets column, so a name cannot match a facet either.
//
// Completeness moves in steps of ten, and a listing holds a completeness
// facet for every step it reaches, 0 included: "at least 70" is one term,
// and any range is at most one term and one NOT, however wide. A search
// with text names the text columns of the steps instead (see textSteps).
//
// A change to what listings hold needs a migration that runs
// backfillListings, which rewrites every listing that differs.
const (
	facetTag          = 't'
	facetRole         = 'r'
	facetCompleteness = 'c'

	completenessStep = 10

	facetDigit0 = 0xE000
	facetRadix  = 6400
	// maxFacetValue is the largest number a facet can spell: tags.code
	// beyond it cannot be indexed.
	maxFacetValue = facetRadix*facetRadix - 1
)

func facet(kind rune, n int) string {
	return string([]rune{kind, rune(facetDigit0 + n/facetRadix), rune(facetDigit0 + n%facetRadix)})
}

// roleFacet numbers the known roles from 1; any other role is 0.
func roleFacet(role string) string {
	return facet(facetRole, slices.Index(accountd.Roles, role)+1)
}

// listing is what searches see of one listed account.
type listing struct {
	seq, slot           int64
	accountID, role     string
	completeness, score int
	ownerID             string
	searchText, facets  string
}

func newListing(seq, slot int64, a *accountd.Account, tagCodes []int) (*listing, error) {
	facets := make([]string, 0, len(tagCodes)+2)
	for _, code := range tagCodes {
		if code > maxFacetValue {
			return nil, fmt.Errorf("tag code %d is beyond the %d the search index can hold", code, maxFacetValue)
		}
		facets = append(facets, facet(facetTag, code))
	}
	completeness := a.Completeness()
	facets = append(facets, roleFacet(a.Role))
	for step := 0; step <= completeness; step += completenessStep {
		facets = append(facets, facet(facetCompleteness, step))
	}
	return &listing{seq: seq, slot: slot, accountID: a.ID, role: a.Role, completeness: completeness, score: a.Score,
		ownerID: a.OwnerID, searchText: a.SearchText(), facets: strings.Join(facets, " ")}, nil
}

var (
	qListingInsert = newQuery(`INSERT INTO listings
		(seq, account_id, role, profile_completeness, score, owner_id, search_text, facets)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`)
	qListingUpdate = newQuery(`UPDATE listings SET role = ?3, profile_completeness = ?4, score = ?5,
		owner_id = ?6, search_text = ?7, facets = ?8 WHERE seq = ?1 AND account_id = ?2`)
	qListingDelete = newQuery("DELETE FROM listings WHERE seq = ?")
	// The index's entries come and go in one statement each per
	// transaction: FTS5 writes its pending terms out as a new segment
	// whenever a later statement of the transaction may need rolling back
	// on its own, so an entry written per listing would cost a segment
	// per listing.
	qIndexDelete = newQuery("INSERT INTO listing_search (listing_search, " + indexColumns + ") SELECT 'delete', " + indexValues + " FROM json_each(?)")
	qIndexInsert = newQuery("INSERT INTO listing_search (" + indexColumns + ") SELECT " + indexValues + " FROM json_each(?)")
	qSeqBucket   = newQuery("SELECT seq, id FROM accounts WHERE seq BETWEEN ? AND ? ORDER BY seq")
	qSeqMove     = newQuery("UPDATE accounts SET seq = ?2 WHERE seq = ?1")
)

// args are l as qListingInsert and qListingUpdate take it.
func (l *listing) args() []any {
	return []any{l.seq, l.accountID, l.role, l.completeness, l.score, textOrNull(l.ownerID), l.searchText, l.facets}
}

// indexEntry is l as qIndexDelete and qIndexInsert read it from JSON.
func (l *listing) indexEntry() []any {
	return []any{l.seq, textStep(l.completeness), l.searchText, l.facets}
}

// A listing's search text is in the index column of its completeness step,
// text_0 to text_100, and in no other: a search with text then finds a
// completeness range by naming the columns of its steps, where a facet of
// completeness would have the index intersect the text with an entry that
// most listings hold. listing_text is the listings as these columns.
var textSteps = func() []int {
	var steps []int
	for step := 0; step <= 100; step += completenessStep {
		steps = append(steps, step)
	}
	return steps
}()

func textStep(completeness int) int { return completeness / completenessStep * completenessStep }

func textColumn(step int) string { return "text_" + strconv.Itoa(step) }

// textColumnsFrom is the FTS5 column filter of the completeness steps from
// from up to, and without, beyond.
func textColumnsFrom(from, beyond int) string {
	var columns []string
	for _, step := range textSteps {
		if step >= from && step < beyond {
			columns = append(columns, textColumn(step))
		}
	}
	return "{" + strings.Join(columns, " ") + "}"
}

// indexColumns are the index's columns, and indexValues an entry's
// values for them, from the JSON of indexEntry.
var indexColumns, indexValues = func() (string, string) {
	columns, values := []string{"rowid"}, []string{"value ->> 0"}
	for _, step := range textSteps {
		columns = append(columns, textColumn(step))
		values = append(values, fmt.Sprintf("iif(value ->> 1 = %d, value ->> 2, NULL)", step))
	}
	return strings.Join(append(columns, "facets"), ", "), strings.Join(append(values, "value ->> 3"), ", ")
}()

// seqBucket is how many places one millisecond of seq holds.
const seqBucket = 1 << 12

// newSeq returns the seq of a new account: between those of the accounts
// created in the same millisecond with a smaller and a greater id. When
// no place is left between them, it spreads that millisecond's accounts out
// again; their listings follow when the transaction's listings are written.
func (t *tx) newSeq(ctx context.Context, createdAt time.Time, id string) (int64, error) {
	base := createdAt.UnixMilli() * seqBucket
	type entry struct {
		seq int64
		id  string
	}
	rows, err := t.stmt(ctx, qSeqBucket).QueryContext(ctx, base, base+seqBucket-1)
	if err != nil {
		return 0, err
	}
	var bucket []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.id); err != nil {
			rows.Close()
			return 0, err
		}
		bucket = append(bucket, e)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	// The bucket is in seq order, which is id order.
	i, _ := slices.BinarySearchFunc(bucket, id, func(e entry, id string) int { return strings.Compare(e.id, id) })
	lo, hi := base-1, base+seqBucket
	if i > 0 {
		lo = bucket[i-1].seq
	}
	if i < len(bucket) {
		hi = bucket[i].seq
	}
	if hi-lo >= 2 {
		return lo + (hi-lo)/2, nil
	}
	if len(bucket)+1 >= seqBucket {
		return 0, fmt.Errorf("more than %d accounts created in the millisecond %s", seqBucket-1, createdAt.Format(time.RFC3339Nano))
	}
	// Spread out: the new account takes place i among n+1. Seqs move
	// through their negatives, so that no two rows ever hold the same one.
	bucket = slices.Insert(bucket, i, entry{id: id})
	step := int64(seqBucket / (len(bucket) + 1))
	for pass := range 2 {
		for j, e := range bucket {
			if e.seq == 0 {
				continue
			}
			from, to := e.seq, -e.seq
			if pass == 1 {
				from, to = -e.seq, base+step*int64(j+1)
			}
			if _, err := t.stmt(ctx, qSeqMove).ExecContext(ctx, from, to); err != nil {
				return 0, err
			}
			t.relist(e.id)
		}
	}
	return base + step*int64(i+1), nil
}

// listingSourceColumns are the account columns a listing is made of: every
// field SearchText, Completeness and Listed look at, and what a listing
// keeps beside.
var listingSourceColumns = accountrow.Named("id", "first_name", "last_name", "user_name", "bio_title", "role",
	"score", "owner_id", "is_private", "contact_country", "contact_state", "contact_city", "contact_address",
	"contact_phone", "bio_description", "talent_about",
	"social_github", "social_twitter", "social_linkedin", "social_website")

// qListingSources reads, for each account of a JSON array of ids, what its
// listing is made of and the listing it has now, if any.
var qListingSources = newQuery(`SELECT a.seq, a.slot, a.deleted_at IS NOT NULL, ` +
	accountrow.List("a.", listingSourceColumns) + `,
		(SELECT json_group_array(tags.code) FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
			WHERE account_tags.account_id = a.id),
		l.seq, l.role, l.profile_completeness, l.score, ifnull(l.owner_id, ''), l.search_text, l.facets
	FROM accounts AS a LEFT JOIN listings AS l ON l.account_id = a.id
	WHERE a.id IN (SELECT value FROM json_each(?))`)

// relist notes that the account or its tags changed: its listing is
// rewritten as the account stands when the transaction's changes are done,
// or removed when it is no longer listed. So a search inside a Write does
// not see that Write's changes.
func (t *tx) relist(accountID string) {
	if t.relisted == nil {
		t.relisted = map[string]bool{}
	}
	t.relisted[accountID] = true
}

// flushListings brings the listings relist noted up to date.
func (t *tx) flushListings(ctx context.Context) error {
	if len(t.relisted) == 0 {
		return nil
	}
	ids := make([]string, 0, len(t.relisted))
	for id := range t.relisted {
		ids = append(ids, id)
	}
	t.relisted = nil
	return writeListings(ctx, ids, func(q query) (*sql.Stmt, error) { return t.stmt(ctx, q), nil })
}

// writeListings writes, changes or removes the listings of the accounts
// ids, their index entries and their bitmaps, through the statements
// stmt gives.
func writeListings(ctx context.Context, ids []string, stmt func(query) (*sql.Stmt, error)) error {
	exec := func(q query, args ...any) error { return execStmt(ctx, stmt, q, args...) }
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	sources, err := stmt(qListingSources)
	if err != nil {
		return err
	}
	rows, err := sources.QueryContext(ctx, string(idsJSON))
	if err != nil {
		return wrap("list accounts", err)
	}
	type change struct{ was, is *listing }
	var changes []change
	for rows.Next() {
		was, is, err := scanListings(rows)
		if err != nil {
			rows.Close()
			return wrap("list accounts", err)
		}
		if was == nil && is == nil || was != nil && is != nil && *was == *is {
			continue
		}
		changes = append(changes, change{was, is})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return wrap("list accounts", err)
	}

	// Listings that go or move first, so that a seq a respread handed
	// from one account to another is free when the other's listing comes.
	var unindexed, indexed [][]any
	bits := bitChanges{}
	for _, c := range changes {
		if c.was != nil && (c.is == nil || c.was.seq != c.is.seq) {
			if err := exec(qListingDelete, c.was.seq); err != nil {
				return wrap("unlist account", err)
			}
		}
	}
	for _, c := range changes {
		switch {
		case c.is == nil:
		case c.was == nil || c.was.seq != c.is.seq:
			err = exec(qListingInsert, c.is.args()...)
		default:
			err = exec(qListingUpdate, c.is.args()...)
		}
		if err != nil {
			return wrap("list account", err)
		}
		if c.was == nil || c.is == nil || c.was.seq != c.is.seq ||
			c.was.searchText != c.is.searchText || c.was.facets != c.is.facets {
			if c.was != nil {
				unindexed = append(unindexed, c.was.indexEntry())
			}
			if c.is != nil {
				indexed = append(indexed, c.is.indexEntry())
			}
			// The bitmaps hold the same terms, at a slot that never moves.
			bits.note(c.was, c.is)
		}
	}
	for _, batch := range []struct {
		q       query
		entries [][]any
	}{{qIndexDelete, unindexed}, {qIndexInsert, indexed}} {
		if len(batch.entries) == 0 {
			continue
		}
		entries, err := json.Marshal(batch.entries)
		if err == nil {
			err = exec(batch.q, string(entries))
		}
		if err != nil {
			return wrap("index listings", err)
		}
	}
	if err := bits.write(ctx, stmt); err != nil {
		return wrap("write bitmaps", err)
	}
	return nil
}

// scanListings reads a row of qListingSources: the listing the account
// has and the one it should have, each nil when there is none.
func scanListings(rows *sql.Rows) (was, is *listing, err error) {
	var seq, slot int64
	var deleted bool
	var codes []int
	a := &accountd.Account{}
	var old struct {
		seq                 sql.NullInt64
		role                sql.NullString
		completeness, score sql.NullInt64
		ownerID, text       sql.NullString
		facets              sql.NullString
	}
	// A constant capacity, room for every column, keeps dest off the heap.
	dest := append(make([]any, 0, 32), &seq, &slot, &deleted)
	for i := range listingSourceColumns {
		dest = append(dest, accountDest(&listingSourceColumns[i], a))
	}
	dest = append(dest, jsonInts{&codes},
		&old.seq, &old.role, &old.completeness, &old.score, &old.ownerID, &old.text, &old.facets)
	if err := rows.Scan(dest...); err != nil {
		return nil, nil, err
	}
	if old.seq.Valid {
		was = &listing{seq: old.seq.Int64, slot: slot, accountID: a.ID, role: old.role.String,
			completeness: int(old.completeness.Int64), score: int(old.score.Int64), ownerID: old.ownerID.String,
			searchText: old.text.String, facets: old.facets.String}
	}
	if deleted || !a.Listed() {
		return was, nil, nil
	}
	slices.Sort(codes)
	// Completeness looks only at whether there are tags.
	a.Profile.Talent.Tags = make([]string, len(codes))
	is, err = newListing(seq, slot, a, codes)
	return was, is, err
}

// backfillListings lists every account once the store writes the index
// itself, which leaves the listings of a store that had them as they are.
// It runs inside a migration's transaction, before the store's statements
// are prepared, so it prepares its own.
func backfillListings(ctx context.Context, tx *sql.Tx) error {
	var ids []string
	rows, err := tx.QueryContext(ctx, "SELECT id FROM accounts")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	stmt, done := prepareIn(ctx, tx)
	defer done()
	const batch = 1000
	for first := 0; first < len(ids); first += batch {
		if err := writeListings(ctx, ids[first:min(first+batch, len(ids))], stmt); err != nil {
			return err
		}
	}
	// Rewriting every entry leaves the index a deletion marker for each
	// old one, which every search would step over until merges drop them.
	_, err = tx.ExecContext(ctx, "INSERT INTO listing_search (listing_search) VALUES ('optimize')")
	return err
}

// execStmt runs q with args through the statement stmt gives for it.
func execStmt(ctx context.Context, stmt func(query) (*sql.Stmt, error), q query, args ...any) error {
	s, err := stmt(q)
	if err == nil {
		_, err = s.ExecContext(ctx, args...)
	}
	return err
}

// prepareIn returns a statement source like tx.stmt for a migration's
// transaction, which runs before the store's statements are prepared, and
// a func that closes what it prepared.
func prepareIn(ctx context.Context, tx *sql.Tx) (func(query) (*sql.Stmt, error), func()) {
	prepared := map[query]*sql.Stmt{}
	stmt := func(q query) (*sql.Stmt, error) {
		if s := prepared[q]; s != nil {
			return s, nil
		}
		s, err := tx.PrepareContext(ctx, queries[q])
		prepared[q] = s
		return s, err
	}
	return stmt, func() {
		for _, s := range prepared {
			s.Close()
		}
	}
}
