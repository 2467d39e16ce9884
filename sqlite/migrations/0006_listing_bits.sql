-- Each facet's listings as bitmaps, which count a search that filters on
-- tags without text in microseconds: counting through the full-text index
-- reads every entry of every tag, about 35 ns each, which at a million
-- accounts is milliseconds per common tag.

-- slot numbers accounts densely, from 1 in the order they were stored, and
-- never changes: it is a listing's place in the bitmaps. seq cannot be,
-- as it is spread over milliseconds.
ALTER TABLE accounts ADD COLUMN slot INTEGER;
UPDATE accounts SET slot = rowid;
CREATE UNIQUE INDEX accounts_slot ON accounts (slot);

-- The slots, in a block of 65,536 from block × 65,536, whose listings hold
-- the facet (see listing.go), as a serialized Roaring bitmap of the slots'
-- offsets in the block. A block none of whose listings holds the facet has
-- no row. The store writes them with the listings (see writeFacetBits);
-- migration 6 fills them.
CREATE TABLE listing_bits (
	facet TEXT    NOT NULL,
	block INTEGER NOT NULL,
	bits  BLOB    NOT NULL,
	PRIMARY KEY (facet, block)
) STRICT, WITHOUT ROWID;
