-- Finding people: who opened an account for someone else, the text a
-- search matches, bookmarks, and an index for every filter and sort of a
-- search (see search.go).
--
-- A search reads listed accounts only: live and not private. The indexes
-- it uses are partial on exactly that predicate, which every search query
-- repeats word for word so that the planner can prove it implies it:
--
--	deleted_at IS NULL AND NOT is_private

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The admin or partner who opened the account, if one did.
ALTER TABLE accounts ADD COLUMN owner_id text REFERENCES accounts (id);

-- Account.SearchText(): first name, last name, user name and bio title,
-- lower-cased and without accents, one per line. Folding is Go's, so every
-- account write stores it, and the Go step of this migration fills it in
-- for the accounts that exist already. A deleted account's is ''.
ALTER TABLE accounts ADD COLUMN search_text text NOT NULL DEFAULT '';

-- accountd: go step
-- Migrate runs the Go step of this version here, in this transaction:
-- after the column exists and before the indexes on it, which are then
-- built once instead of updated row by row.

-- Substring search. pg_trgm's GIN index answers LIKE '%text%' for text of
-- three or more characters; LIKE is lossy there and always rechecked, so
-- the index only narrows and never changes what matches.
CREATE INDEX accounts_listed_search ON accounts USING gin (search_text gin_trgm_ops)
	WHERE deleted_at IS NULL AND NOT is_private;

-- Each sort, ending with id as the sorts do, walked backwards for the
-- descending ones. The default sort's also serves AsOf's bound, which the
-- completeness index holds too, so that a count of a completeness range
-- reads the index alone.
CREATE INDEX accounts_listed_created ON accounts (created_at, id)
	WHERE deleted_at IS NULL AND NOT is_private;
CREATE INDEX accounts_listed_completeness ON accounts (profile_completeness, id) INCLUDE (created_at)
	WHERE deleted_at IS NULL AND NOT is_private;
CREATE INDEX accounts_listed_score ON accounts (score, id)
	WHERE deleted_at IS NULL AND NOT is_private;

-- The equality filters, each followed by the default sort, so that a
-- search filtered on one walks its accounts newest first and stops at the
-- page; and a count of them reads the index only.
CREATE INDEX accounts_listed_role ON accounts (role, created_at, id)
	WHERE deleted_at IS NULL AND NOT is_private;
CREATE INDEX accounts_listed_owner ON accounts (owner_id, created_at, id)
	WHERE owner_id IS NOT NULL AND deleted_at IS NULL AND NOT is_private;

-- A listed account by id, with what the filters other than text look at:
-- a search driven by tags or bookmarks checks each account it finds
-- against the rest here, from the index alone, and counts it without
-- reading its row.
CREATE INDEX accounts_listed_id ON accounts (id) INCLUDE (created_at, role, profile_completeness, owner_id)
	WHERE deleted_at IS NULL AND NOT is_private;

-- 0001 made this for searches; accounts_listed_completeness replaces it.
DROP INDEX accounts_profile_completeness;

-- Tag filters go through account_tags_tag (tag_id, account_id) from 0001
-- and the tags_key constraint; an account's own tags through the primary
-- key (account_id, tag_id).

-- The tag listing's order. Names and keys sort by their bytes, whatever
-- the database's collation, as they do in the SQLite store.
CREATE INDEX tags_listing ON tags (entry_count DESC, name COLLATE "C", key COLLATE "C");

-- Owner bookmarked the account. The unique constraint makes bookmarking
-- twice find the first, and serves an owner's bookmarks; the index serves
-- deleting an account's bookmarks of it.
CREATE TABLE bookmarks (
	id         text        NOT NULL PRIMARY KEY,
	owner      text        NOT NULL REFERENCES accounts (id),
	account_id text        NOT NULL REFERENCES accounts (id),
	created_at timestamptz NOT NULL,
	CONSTRAINT bookmarks_owner_account UNIQUE (owner, account_id)
);
CREATE INDEX bookmarks_account ON bookmarks (account_id);
