package searchindex

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

// Bitmaps count the searches whose filters are each one term: tags,
// role and completeness, and a text of exactly one trigram, which is what
// a person types first and what matches most. The listings holding a term
// are a bitmap of their slots, and a total is the size of the bitmaps'
// intersection. Counting through the full-text index instead decodes
// every entry of every term named, about 30 ns each, which at a million
// accounts is milliseconds per common term. A block holds 65,536 slots,
// so that a change to one listing rewrites at most 8 KiB of one term.
const slotBlockShift = 16

// textTerm is the bitmap term of a trigram of search text: a letter no
// facet starts with, then the trigram, so one rune longer than any facet.
func textTerm(trigram string) string { return "x" + trigram }

// bitTerms are the terms of l's bitmaps, sorted and each once: its facets
// and the trigrams of its search text, as FTS5's trigram tokenizer reads
// them.
func (l *listing) bitTerms() []string {
	terms := strings.Fields(l.facets)
	text := []rune(l.searchText)
	for i := 0; i+minTrigram <= len(text); i++ {
		terms = append(terms, textTerm(string(text[i:i+minTrigram])))
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// termBlock names a row of listing_bits.
type termBlock struct {
	term  string
	block int64
}

// slotChanges are the slots, as offsets in their block, that a block of a
// term gains and loses.
type slotChanges struct{ add, remove []uint32 }

// bitChanges gathers what a transaction's changed listings do to the
// bitmaps, so that each block is read and written once.
type bitChanges map[termBlock]*slotChanges

// note records the change of one listing from was to is, either nil when
// the account was or is not listed.
func (ch bitChanges) note(was, is *listing) {
	var old, now []string
	var slot int64
	if was != nil {
		old, slot = was.bitTerms(), was.slot
	}
	if is != nil {
		now, slot = is.bitTerms(), is.slot
	}
	at := termBlock{block: slot >> slotBlockShift}
	offset := uint32(slot & (1<<slotBlockShift - 1))
	for _, term := range now {
		if _, found := slices.BinarySearch(old, term); !found {
			at.term = term
			ch.changes(at).add = append(ch.changes(at).add, offset)
		}
	}
	for _, term := range old {
		if _, found := slices.BinarySearch(now, term); !found {
			at.term = term
			ch.changes(at).remove = append(ch.changes(at).remove, offset)
		}
	}
}

func (ch bitChanges) changes(at termBlock) *slotChanges {
	s := ch[at]
	if s == nil {
		s = &slotChanges{}
		ch[at] = s
	}
	return s
}

const (
	qBitsRead   = "SELECT bits FROM listing_bits WHERE term = ? AND block = ?"
	qBitsPut    = "INSERT INTO listing_bits (term, block, bits) VALUES (?1, ?2, ?3) ON CONFLICT DO UPDATE SET bits = ?3"
	qBitsDelete = "DELETE FROM listing_bits WHERE term = ? AND block = ?"
	qBitsOf     = "SELECT block, bits FROM listing_bits WHERE term = ?"
)

// write applies the changes to listing_bits.
func (ch bitChanges) write(ctx context.Context, c Conn) error {
	if len(ch) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(ch), func(a, b termBlock) int {
		return cmp.Or(strings.Compare(a.term, b.term), cmp.Compare(a.block, b.block))
	})
	read, err := c.Stmt(ctx, qBitsRead)
	if err != nil {
		return err
	}
	for _, at := range keys {
		bits := roaring.New()
		var stored []byte
		switch err := read.QueryRowContext(ctx, at.term, at.block).Scan(&stored); {
		case errors.Is(err, sql.ErrNoRows): // the block's first slot
		case err != nil:
			return err
		default:
			if err := bits.UnmarshalBinary(stored); err != nil {
				return err
			}
		}
		bits.AddMany(ch[at].add)
		for _, offset := range ch[at].remove {
			bits.Remove(offset)
		}
		if bits.IsEmpty() {
			err = exec(ctx, c, qBitsDelete, at.term, at.block)
		} else if stored, err = bits.ToBytes(); err == nil {
			err = exec(ctx, c, qBitsPut, at.term, at.block, stored)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// termFilter is a search as bitmap terms: the listings that hold every
// term of all and, when any is set, one of any, but not without, unless
// it is "".
type termFilter struct {
	all, any []string
	without  string
}

// countTerms counts the listings f selects, block by block.
func countTerms(ctx context.Context, c Conn, f *termFilter) (int, error) {
	bitsOf, err := c.Stmt(ctx, qBitsOf)
	if err != nil {
		return 0, err
	}
	load := func(term string) (map[int64]*roaring.Bitmap, error) {
		rows, err := bitsOf.QueryContext(ctx, term)
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
	loadAll := func(terms []string) ([]map[int64]*roaring.Bitmap, error) {
		var all []map[int64]*roaring.Bitmap
		for _, term := range terms {
			blocks, err := load(term)
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
	// The blocks that can hold a match: those of the first term all
	// names, or else of any term any names.
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

// backfillBits fills listing_bits from the listings, once.
func backfillBits(ctx context.Context, c Conn, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT a.slot, l.facets, l.search_text FROM listings AS l JOIN accounts AS a ON a.id = l.account_id")
	if err != nil {
		return err
	}
	changes := bitChanges{}
	for rows.Next() {
		var l listing
		if err := rows.Scan(&l.slot, &l.facets, &l.searchText); err != nil {
			rows.Close()
			return err
		}
		changes.note(nil, &l)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	return changes.write(ctx, c)
}
