package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"accountd"
)

// Facets put a listing's tags, role and completeness into the trigram
// full-text index beside its search text, so that FTS5 intersects them with
// the text and with each other as it walks its entries in seq order, and
// counts the matches without reading a listing. Each facet is one trigram:
// a kind letter and two characters from Unicode's Private Use Area that
// spell a number in base 6400. Facets are joined by spaces, which no facet
// holds, so the trigrams that straddle two facets never equal one; and
// queries name the facets column, so a name cannot match a facet either.
const (
	facetTag          = 't'
	facetRole         = 'r'
	facetCompleteness = 'c'

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
	seq                 int64
	accountID, role     string
	completeness, score int
	ownerID             string
	searchText, facets  string
}

func newListing(seq int64, a *accountd.Account, tagCodes []int) (*listing, error) {
	facets := make([]string, 0, len(tagCodes)+2)
	for _, code := range tagCodes {
		if code > maxFacetValue {
			return nil, fmt.Errorf("tag code %d is beyond the %d the search index can hold", code, maxFacetValue)
		}
		facets = append(facets, facet(facetTag, code))
	}
	completeness := a.Completeness()
	facets = append(facets, roleFacet(a.Role), facet(facetCompleteness, completeness))
	return &listing{seq: seq, accountID: a.ID, role: a.Role, completeness: completeness, score: a.Score,
		ownerID: a.OwnerID, searchText: a.SearchText(), facets: strings.Join(facets, " ")}, nil
}

var (
	// The update leaves an unchanged listing alone, so that its triggers
	// rewrite neither the index nor the counts.
	qListingPut = newQuery(`INSERT INTO listings
		(seq, account_id, role, profile_completeness, score, owner_id, search_text, facets)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
		ON CONFLICT (seq) DO UPDATE SET role = ?3, profile_completeness = ?4, score = ?5,
			owner_id = ?6, search_text = ?7, facets = ?8
		WHERE (role, profile_completeness, score, owner_id, search_text, facets) IS NOT (?3, ?4, ?5, ?6, ?7, ?8)`)
	qListingDelete = newQuery("DELETE FROM listings WHERE account_id = ?")
	qSeqBucket     = newQuery("SELECT seq, id FROM accounts WHERE seq BETWEEN ? AND ? ORDER BY seq")
	qSeqMove       = newQuery("UPDATE accounts SET seq = ?2 WHERE seq = ?1")
	qListingMove   = newQuery("UPDATE listings SET seq = ?2 WHERE seq = ?1")
)

// put writes l through qListingPut's statement.
func (l *listing) put(ctx context.Context, stmt *sql.Stmt) error {
	_, err := stmt.ExecContext(ctx, l.seq, l.accountID, l.role, l.completeness, l.score,
		textOrNull(l.ownerID), l.searchText, l.facets)
	return err
}

// seqBucket is how many places one millisecond of seq holds.
const seqBucket = 1 << 12

// newSeq returns the seq of a new account: between those of the accounts
// created in the same millisecond with a smaller and a greater id. When
// no place is left between them, it spreads that millisecond's accounts out
// again, moving their listings with them.
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
			for _, q := range []query{qSeqMove, qListingMove} {
				if _, err := t.stmt(ctx, q).ExecContext(ctx, from, to); err != nil {
					return 0, err
				}
			}
		}
	}
	return base + step*int64(i+1), nil
}

// listingSource reads what a listing is made of from an account's row and
// tags: every field SearchText and Completeness look at. Its parameter is
// the account id.
const listingSource = `SELECT seq, id, first_name, last_name, user_name, bio_title, role, score,
		ifnull(owner_id, ''), is_private, contact_country, contact_state, contact_city, contact_address,
		contact_phone, bio_description, talent_about, social_github, social_twitter, social_linkedin,
		social_website,
		(SELECT json_group_array(tags.code) FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
			WHERE account_tags.account_id = accounts.id)
	FROM accounts WHERE id = ? AND deleted_at IS NULL`

var qListingSource = newQuery(listingSource)

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

// flushListings rewrites the listings relist noted.
func (t *tx) flushListings(ctx context.Context) error {
	for id := range t.relisted {
		err := relist(ctx, t.stmt(ctx, qListingSource).QueryRowContext(ctx, id), t.stmt(ctx, qListingPut), t.stmt(ctx, qListingDelete))
		if errors.Is(err, sql.ErrNoRows) {
			// Deleted: DeleteAccount took its listing.
			continue
		} else if err != nil {
			return wrap("list account", err)
		}
	}
	t.relisted = nil
	return nil
}

// relist writes or removes the listing of the account row reads, through
// put and remove, which take qListingPut's and qListingDelete's parameters.
func relist(ctx context.Context, row *sql.Row, put, remove *sql.Stmt) error {
	var seq int64
	var codes []int
	a := &accountd.Account{}
	p := &a.Profile
	if err := row.Scan(&seq, &a.ID, &a.FirstName, &a.LastName, &a.UserName, &p.Bio.Title, &a.Role, number{&a.Score},
		&a.OwnerID, &a.IsPrivate, &p.Contact.Country, &p.Contact.State, &p.Contact.City, &p.Contact.Address,
		&p.Contact.Phone, &p.Bio.Description, &p.Talent.About, &a.Socials.GitHub, &a.Socials.Twitter,
		&a.Socials.LinkedIn, &a.Socials.Website, jsonInts{&codes}); err != nil {
		return err
	}
	if !a.Listed() {
		_, err := remove.ExecContext(ctx, a.ID)
		return err
	}
	slices.Sort(codes)
	// Completeness looks only at whether there are tags.
	p.Talent.Tags = make([]string, len(codes))
	l, err := newListing(seq, a, codes)
	if err != nil {
		return err
	}
	return l.put(ctx, put)
}

// backfillListings lists the accounts that existed before listings did. It
// runs inside migration 4's transaction, before the store's statements are
// prepared, so it prepares its own.
func backfillListings(ctx context.Context, tx *sql.Tx) error {
	var ids []string
	rows, err := tx.QueryContext(ctx, "SELECT id FROM accounts WHERE deleted_at IS NULL AND is_private = 0")
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
	var stmts [3]*sql.Stmt
	for i, q := range []query{qListingSource, qListingPut, qListingDelete} {
		if stmts[i], err = tx.PrepareContext(ctx, queries[q]); err != nil {
			return err
		}
		defer stmts[i].Close()
	}
	for _, id := range ids {
		if err := relist(ctx, stmts[0].QueryRowContext(ctx, id), stmts[1], stmts[2]); err != nil {
			return fmt.Errorf("list account %s: %w", id, err)
		}
	}
	return nil
}
