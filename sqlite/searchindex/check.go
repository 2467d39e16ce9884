package searchindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Check compares the index with the accounts it is built from: the
// full-text index with the listings, which accounts are listed, the
// listing counts and the bitmaps. It needs a connection that may write,
// as FTS5 runs its integrity check as an INSERT; it changes nothing.
func Check(ctx context.Context, db *sql.DB) error {
	var problems []error
	// With rank 1, FTS5 also compares the index with the listings.
	if _, err := db.ExecContext(ctx, "INSERT INTO listing_search (listing_search, rank) VALUES ('integrity-check', 1)"); err != nil {
		problems = append(problems, fmt.Errorf("full-text index: %w", err))
	}
	for _, check := range []struct{ what, query string }{
		{"accounts listed or not as they should be", `SELECT count(*) FROM accounts AS a
			FULL JOIN listings AS l ON l.account_id = a.id AND l.seq = a.seq
			WHERE (a.id IS NULL OR l.seq IS NULL) AND ifnull(a.deleted_at IS NULL AND NOT a.is_private, 1)`},
		{"listing counts", `SELECT count(*) FROM (SELECT role, profile_completeness, count(*) AS n FROM listings
			GROUP BY 1, 2) AS l FULL JOIN listing_counts AS c USING (role, profile_completeness)
			WHERE l.n IS NOT c.n AND ifnull(c.n, 0) + ifnull(l.n, 0) > 0`},
	} {
		var wrong int
		if err := db.QueryRowContext(ctx, check.query).Scan(&wrong); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", check.what, err))
		} else if wrong > 0 {
			problems = append(problems, fmt.Errorf("%s: %d wrong", check.what, wrong))
		}
	}
	if err := checkBits(ctx, db); err != nil {
		problems = append(problems, fmt.Errorf("bitmaps: %w", err))
	}
	return errors.Join(problems...)
}

// checkBits compares every term's bitmaps with the slots of the listings
// that hold it.
func checkBits(ctx context.Context, db *sql.DB) error {
	want := map[string][]uint64{}
	rows, err := db.QueryContext(ctx, "SELECT a.slot, l.facets, l.search_text FROM listings AS l JOIN accounts AS a ON a.id = l.account_id")
	if err != nil {
		return err
	}
	for rows.Next() {
		var l listing
		if err := rows.Scan(&l.slot, &l.facets, &l.searchText); err != nil {
			rows.Close()
			return err
		}
		for _, term := range l.bitTerms() {
			want[term] = append(want[term], uint64(l.slot))
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	got := map[string][]uint64{}
	rows, err = db.QueryContext(ctx, "SELECT term, block, bits FROM listing_bits")
	if err != nil {
		return err
	}
	for rows.Next() {
		var term string
		var block uint64
		var stored []byte
		if err := rows.Scan(&term, &block, &stored); err != nil {
			rows.Close()
			return err
		}
		bits := roaring.New()
		if err := bits.UnmarshalBinary(stored); err != nil {
			rows.Close()
			return err
		}
		if bits.IsEmpty() {
			rows.Close()
			return fmt.Errorf("%q block %d is stored empty", term, block)
		}
		for _, offset := range bits.ToArray() {
			got[term] = append(got[term], block<<slotBlockShift|uint64(offset))
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for f := range want {
		slices.Sort(want[f])
		slices.Sort(got[f])
	}
	if !maps.EqualFunc(want, got, slices.Equal) {
		return fmt.Errorf("the bitmaps hold %v, the listings %v", got, want)
	}
	return nil
}
