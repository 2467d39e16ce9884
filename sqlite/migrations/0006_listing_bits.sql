-- The listings of each search term as bitmaps, which count a search whose
-- filters are each one term (tags, role, completeness, a text of one
-- trigram) in microseconds: counting through the full-text index decodes
-- every entry of every term named, which at a million accounts is
-- milliseconds per common term.

-- slot numbers accounts densely, from 1 in the order they were stored, and
-- never changes: it is a listing's place in the bitmaps. seq cannot be,
-- as it is spread over milliseconds.
ALTER TABLE accounts ADD COLUMN slot INTEGER;
UPDATE accounts SET slot = rowid;
CREATE UNIQUE INDEX accounts_slot ON accounts (slot);

-- The slots, in a block of 65,536 from block × 65,536, whose listings hold
-- the term (see searchindex bitTerms), as a serialized Roaring bitmap of the slots'
-- offsets in the block. A block none of whose listings holds the term has
-- no row. The store writes them with the listings; migration 7 fills them.
CREATE TABLE listing_bits (
	term  TEXT    NOT NULL,
	block INTEGER NOT NULL,
	bits  BLOB    NOT NULL,
	PRIMARY KEY (term, block)
) STRICT, WITHOUT ROWID;
