package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
)

// Facet bitmaps count the searches that filter on tags, and on role and
// completeness beside them, without text: the listings holding a facet are
// a bitmap of their slots, and a total is the size of the bitmaps'
// intersection. Counting through the full-text index instead reads every
// entry of every tag named. A block holds 65,536 slots, so that a change
// to one listing rewrites at most 8 KiB of one facet.
const slotBlockShift = 16

// facetBlock names a row of listing_bits.
type facetBlock struct {
	facet string
	block int64
}

// slotChanges are the slots, as offsets in their block, that a block of a
// facet gains and loses.
type slotChanges struct{ add, remove []uint32 }

// bitChanges gathers what a transaction's changed listings do to the
// facet bitmaps, so that each block is read and written once.
type bitChanges map[facetBlock]*slotChanges

// note records the change of one listing from was to is, either nil when
// the account was or is not listed.
func (c bitChanges) note(was, is *listing) {
	var old, now []string
	var slot int64
	if was != nil {
		old, slot = strings.Fields(was.facets), was.slot
	}
	if is != nil {
		now, slot = strings.Fields(is.facets), is.slot
	}
	at := facetBlock{block: slot >> slotBlockShift}
	offset := uint32(slot & (1<<slotBlockShift - 1))
	for _, f := range now {
		if !slices.Contains(old, f) {
			at.facet = f
			c.changes(at).add = append(c.changes(at).add, offset)
		}
	}
	for _, f := range old {
		if !slices.Contains(now, f) {
			at.facet = f
			c.changes(at).remove = append(c.changes(at).remove, offset)
		}
	}
}

func (c bitChanges) changes(at facetBlock) *slotChanges {
	s := c[at]
	if s == nil {
		s = &slotChanges{}
		c[at] = s
	}
	return s
}

var (
	qBitsRead   = newQuery("SELECT bits FROM listing_bits WHERE facet = ? AND block = ?")
	qBitsPut    = newQuery("INSERT INTO listing_bits (facet, block, bits) VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET bits = ?3")
	qBitsDelete = newQuery("DELETE FROM listing_bits WHERE facet = ? AND block = ?")
	qBitsOf     = newQuery("SELECT block, bits FROM listing_bits WHERE facet = ?")
)

// write applies the changes to listing_bits through the statements stmt
// gives.
func (c bitChanges) write(ctx context.Context, stmt func(query) (*sql.Stmt, error)) error {
	keys := slices.SortedFunc(maps.Keys(c), func(a, b facetBlock) int {
		return cmp.Or(strings.Compare(a.facet, b.facet), cmp.Compare(a.block, b.block))
	})
	read, err := stmt(qBitsRead)
	if err != nil {
		return err
	}
	for _, at := range keys {
		var stored []byte
		err := read.QueryRowContext(ctx, at.facet, at.block).Scan(&stored)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		bits := roaring.New()
		if err := bits.UnmarshalBinary(stored); err != nil && stored != nil {
			return err
		}
		bits.AddMany(c[at].add)
		for _, offset := range c[at].remove {
			bits.Remove(offset)
		}
		if bits.IsEmpty() {
			err = execStmt(ctx, stmt, qBitsDelete, at.facet, at.block)
		} else if stored, err = bits.ToBytes(); err == nil {
			err = execStmt(ctx, stmt, qBitsPut, at.facet, at.block, stored)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func execStmt(ctx context.Context, stmt func(query) (*sql.Stmt, error), q query, args ...any) error {
	s, err := stmt(q)
	if err == nil {
		_, err = s.ExecContext(ctx, args...)
	}
	return err
}

// facetFilter is a search as facets: the listings that hold every facet
// of all and, when any is set, one of any, but not without, unless it is
// "".
type facetFilter struct {
	all, any []string
	without  string
}

// countFacets counts the listings f selects, block by block.
func (t *tx) countFacets(ctx context.Context, f *facetFilter) (int, error) {
	load := func(facet string) (map[int64]*roaring.Bitmap, error) {
		rows, err := t.stmt(ctx, qBitsOf).QueryContext(ctx, facet)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		blocks := map[int64]*roaring.Bitmap{}
		for rows.Next() {
			var block int64
			var stored []byte
			if err := rows.Scan(&block, &stored); err != nil {
				return nil, err
			}
			bits := roaring.New()
			if _, err := bits.FromBuffer(stored); err != nil {
				return nil, err
			}
			blocks[block] = bits
		}
		return blocks, rows.Err()
	}
	loadAll := func(facets []string) ([]map[int64]*roaring.Bitmap, error) {
		var all []map[int64]*roaring.Bitmap
		for _, facet := range facets {
			blocks, err := load(facet)
			if err != nil {
				return nil, err
			}
			all = append(all, blocks)
		}
		return all, nil
	}
	all, err := loadAll(f.all)
	if err != nil {
		return 0, err
	}
	anyOf, err := loadAll(f.any)
	if err != nil {
		return 0, err
	}
	var without map[int64]*roaring.Bitmap
	if f.without != "" {
		if without, err = load(f.without); err != nil {
			return 0, err
		}
	}
	// The blocks that can hold a match: those of the first facet all
	// names, or else of any facet any names.
	sources := anyOf
	if len(all) > 0 {
		sources = all[:1]
	}
	candidates := map[int64]bool{}
	for _, blocks := range sources {
		for block := range blocks {
			candidates[block] = true
		}
	}
	var total uint64
blocks:
	for block := range candidates {
		var parts []*roaring.Bitmap
		for _, blocks := range all {
			if blocks[block] == nil {
				continue blocks
			}
			parts = append(parts, blocks[block])
		}
		if len(anyOf) > 0 {
			var alternatives []*roaring.Bitmap
			for _, blocks := range anyOf {
				if blocks[block] != nil {
					alternatives = append(alternatives, blocks[block])
				}
			}
			parts = append(parts, roaring.FastOr(alternatives...))
		}
		matches := parts[0]
		if len(parts) > 1 {
			matches = roaring.FastAnd(parts...)
		}
		if without[block] != nil {
			matches = roaring.AndNot(matches, without[block])
		}
		total += matches.GetCardinality()
	}
	return int(total), nil
}

// backfillFacetBits fills listing_bits from the listings, once.
func backfillFacetBits(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT a.slot, l.facets FROM listings AS l JOIN accounts AS a ON a.id = l.account_id")
	if err != nil {
		return err
	}
	changes := bitChanges{}
	for rows.Next() {
		var l listing
		if err := rows.Scan(&l.slot, &l.facets); err != nil {
			rows.Close()
			return err
		}
		changes.note(nil, &l)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	stmt, done := prepareIn(ctx, tx)
	defer done()
	return changes.write(ctx, stmt)
}
