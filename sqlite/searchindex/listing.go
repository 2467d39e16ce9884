package searchindex

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"accountd"
	"accountd/internal/accountrow"
)

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

const (
	qListingInsert = `INSERT INTO listings
		(seq, account_id, role, profile_completeness, score, owner_id, search_text, facets)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`
	qListingUpdate = `UPDATE listings SET role = ?3, profile_completeness = ?4, score = ?5,
		owner_id = ?6, search_text = ?7, facets = ?8 WHERE seq = ?1 AND account_id = ?2`
	qListingDelete = "DELETE FROM listings WHERE seq = ?"
)

var (
	// The index's entries come and go in one statement each per
	// transaction: FTS5 writes its pending terms out as a new segment
	// whenever a later statement of the transaction may need rolling back
	// on its own, so an entry written per listing would cost a segment
	// per listing.
	qIndexDelete = "INSERT INTO listing_search (listing_search, " + indexColumns + ") SELECT 'delete', " + indexValues + " FROM json_each(?)"
	qIndexInsert = "INSERT INTO listing_search (" + indexColumns + ") SELECT " + indexValues + " FROM json_each(?)"
)

// args are l as qListingInsert and qListingUpdate take it.
func (l *listing) args() []any {
	ownerID := sql.NullString{String: l.ownerID, Valid: l.ownerID != ""}
	return []any{l.seq, l.accountID, l.role, l.completeness, l.score, ownerID, l.searchText, l.facets}
}

// indexEntry is l as qIndexDelete and qIndexInsert read it from JSON.
func (l *listing) indexEntry() []any {
	return []any{l.seq, textStep(l.completeness), l.searchText, l.facets}
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

// listingSourceColumns are the account columns a listing is made of: every
// field SearchText, Completeness and Listed look at, and what a listing
// keeps beside.
var listingSourceColumns = accountrow.Named("id", "first_name", "last_name", "user_name", "bio_title", "role",
	"score", "owner_id", "is_private", "contact_country", "contact_state", "contact_city", "contact_address",
	"contact_phone", "bio_description", "talent_about",
	"social_github", "social_twitter", "social_linkedin", "social_website")

// qListingSources reads, for each account of a JSON array of ids, what its
// listing is made of and the listing it has now, if any.
var qListingSources = `SELECT a.seq, a.slot, a.deleted_at IS NOT NULL, ` + sourceList() + `,
		(SELECT json_group_array(tags.code) FROM account_tags JOIN tags ON tags.id = account_tags.tag_id
			WHERE account_tags.account_id = a.id),
		l.seq, l.role, l.profile_completeness, l.score, ifnull(l.owner_id, ''), l.search_text, l.facets
	FROM accounts AS a LEFT JOIN listings AS l ON l.account_id = a.id
	WHERE a.id IN (SELECT value FROM json_each(?))`

// sourceList is listingSourceColumns as a select list of accounts a, with
// NULL read as "".
func sourceList() string {
	list := make([]string, len(listingSourceColumns))
	for i, c := range listingSourceColumns {
		list[i] = "a." + c.Name
		if c.Nullable {
			list[i] = "ifnull(a." + c.Name + ", '')"
		}
	}
	return strings.Join(list, ", ")
}

// Changes are the accounts a transaction changed, whose listings Write
// brings up to date. The zero value is ready to use.
type Changes struct {
	ids map[string]bool
}

// Note records that the account or its tags changed: Write rewrites its
// listing as the account stands then, or removes it when the account is no
// longer listed. So a search inside the transaction does not see its own
// changes before Write.
func (ch *Changes) Note(accountID string) {
	if ch.ids == nil {
		ch.ids = map[string]bool{}
	}
	ch.ids[accountID] = true
}

// Write brings the listings of the accounts noted up to date, once each
// however many changes each had, with their index entries and bitmaps,
// and forgets them. The store calls it when the transaction's changes are
// done, before commit.
func (ch *Changes) Write(ctx context.Context, c Conn) error {
	if len(ch.ids) == 0 {
		return nil
	}
	ids := make([]string, 0, len(ch.ids))
	for id := range ch.ids {
		ids = append(ids, id)
	}
	ch.ids = nil
	return writeListings(ctx, c, ids)
}

// writeListings writes, changes or removes the listings of the accounts
// ids, their index entries and their bitmaps.
func writeListings(ctx context.Context, c Conn, ids []string) error {
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	sources, err := c.Stmt(ctx, qListingSources)
	if err != nil {
		return err
	}
	rows, err := sources.QueryContext(ctx, string(idsJSON))
	if err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}
	type change struct{ was, is *listing }
	var changes []change
	for rows.Next() {
		was, is, err := scanListings(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("list accounts: %w", err)
		}
		if was == nil && is == nil || was != nil && is != nil && *was == *is {
			continue
		}
		changes = append(changes, change{was, is})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("list accounts: %w", err)
	}

	// Listings that go or move first, so that a seq a respread handed
	// from one account to another is free when the other's listing comes.
	var unindexed, indexed [][]any
	bits := bitChanges{}
	for _, ch := range changes {
		if ch.was != nil && (ch.is == nil || ch.was.seq != ch.is.seq) {
			if err := exec(ctx, c, qListingDelete, ch.was.seq); err != nil {
				return fmt.Errorf("unlist account: %w", err)
			}
		}
	}
	for _, ch := range changes {
		switch {
		case ch.is == nil:
		case ch.was == nil || ch.was.seq != ch.is.seq:
			err = exec(ctx, c, qListingInsert, ch.is.args()...)
		default:
			err = exec(ctx, c, qListingUpdate, ch.is.args()...)
		}
		if err != nil {
			return fmt.Errorf("list account: %w", err)
		}
		if ch.was == nil || ch.is == nil || ch.was.seq != ch.is.seq ||
			ch.was.searchText != ch.is.searchText || ch.was.facets != ch.is.facets {
			if ch.was != nil {
				unindexed = append(unindexed, ch.was.indexEntry())
			}
			if ch.is != nil {
				indexed = append(indexed, ch.is.indexEntry())
			}
			// The bitmaps hold the same terms, at a slot that never moves.
			bits.note(ch.was, ch.is)
		}
	}
	for _, batch := range []struct {
		query   string
		entries [][]any
	}{{qIndexDelete, unindexed}, {qIndexInsert, indexed}} {
		if len(batch.entries) == 0 {
			continue
		}
		entries, err := json.Marshal(batch.entries)
		if err == nil {
			err = exec(ctx, c, batch.query, string(entries))
		}
		if err != nil {
			return fmt.Errorf("index listings: %w", err)
		}
	}
	if err := bits.write(ctx, c); err != nil {
		return fmt.Errorf("write bitmaps: %w", err)
	}
	return nil
}

// scanListings reads a row of qListingSources: the listing the account
// has and the one it should have, each nil when there is none.
func scanListings(rows *sql.Rows) (was, is *listing, err error) {
	var seq, slot int64
	var deleted bool
	var codesJSON string
	a := &accountd.Account{}
	var old struct {
		seq                 sql.NullInt64
		role                sql.NullString
		completeness, score sql.NullInt64
		ownerID, text       sql.NullString
		facets              sql.NullString
	}
	dest := []any{&seq, &slot, &deleted}
	for _, c := range listingSourceColumns {
		dest = append(dest, c.Field(a))
	}
	dest = append(dest, &codesJSON,
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
	var codes []int
	if err := json.Unmarshal([]byte(codesJSON), &codes); err != nil {
		return nil, nil, err
	}
	slices.Sort(codes)
	// Completeness looks only at whether there are tags.
	a.Profile.Talent.Tags = make([]string, len(codes))
	is, err = newListing(seq, slot, a, codes)
	return was, is, err
}

// Backfill builds the index from the accounts, inside the migration's
// transaction tx: the bitmaps of the listings there are first, since
// listing an account again changes its bitmaps as it changes its listing;
// then every account is listed, which leaves alone the listings that are
// as they should be. It prepares its own statements, as it runs before the
// store's are.
func Backfill(ctx context.Context, tx *sql.Tx) error {
	return withTx(tx, func(c Conn) error {
		if err := backfillBits(ctx, c, tx); err != nil {
			return err
		}
		return backfillListings(ctx, c, tx)
	})
}

func backfillListings(ctx context.Context, c Conn, tx *sql.Tx) error {
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
	const batch = 1000
	for first := 0; first < len(ids); first += batch {
		if err := writeListings(ctx, c, ids[first:min(first+batch, len(ids))]); err != nil {
			return err
		}
	}
	// Rewriting every entry leaves the index a deletion marker for each
	// old one, which every search would step over until merges drop them.
	_, err = tx.ExecContext(ctx, "INSERT INTO listing_search (listing_search) VALUES ('optimize')")
	return err
}
