-- Finding people: the listings searches read, their full-text index,
-- bookmarks, and who opened an account for someone else.

-- The admin or partner who opened the account, if one did.
ALTER TABLE accounts ADD COLUMN owner_id TEXT REFERENCES accounts (id);

-- seq orders accounts as the default sort does, by created_at then id, in
-- one integer: created_at's milliseconds shifted left 12 bits, plus a place
-- among the accounts created in the same millisecond (see searchindex.Changes.NewSeq). Both
-- never change, so neither does seq. It is the rowid of the listing and of
-- its full-text entry, which is what lets a search walk its matches in
-- the default order without looking each one up.
ALTER TABLE accounts ADD COLUMN seq INTEGER;
UPDATE accounts SET seq = created_at * 4096 + 2048 +
	(SELECT count(*) FROM accounts AS same WHERE same.created_at = accounts.created_at AND same.id < accounts.id);
CREATE UNIQUE INDEX accounts_seq ON accounts (seq);

-- code names a tag inside the full-text index's facets (see sqlite/searchindex/facet.go):
-- small, dense and never reused, unlike the id.
ALTER TABLE tags ADD COLUMN code INTEGER;
UPDATE tags SET code = rowid;
CREATE UNIQUE INDEX tags_code ON tags (code);
CREATE INDEX tags_entry_count ON tags (entry_count DESC, name, key);

-- One row per listed account: live and not private. Written by the store
-- after every change to an account or its tags, and only when what it holds
-- changed. search_text is Account.SearchText(); facets is the tags, role
-- and completeness as index terms.
CREATE TABLE listings (
	seq                  INTEGER NOT NULL PRIMARY KEY,
	account_id           TEXT    NOT NULL UNIQUE REFERENCES accounts (id),
	role                 TEXT    NOT NULL,
	profile_completeness INTEGER NOT NULL,
	score                INTEGER NOT NULL,
	owner_id             TEXT,
	search_text          TEXT    NOT NULL,
	facets               TEXT    NOT NULL
) STRICT;

-- The sorts and filters that do not go through the full-text index.
CREATE INDEX listings_role ON listings (role, seq);
CREATE INDEX listings_completeness ON listings (profile_completeness, account_id);
CREATE INDEX listings_score ON listings (score, account_id);
CREATE INDEX listings_owner ON listings (owner_id, seq) WHERE owner_id IS NOT NULL;

-- Substring search and tag, role and completeness filters, intersected by
-- FTS5 in rowid (= seq) order. The trigram tokenizer makes any substring of
-- three or more characters a phrase query; case_sensitive 1 because
-- search_text is folded already, so the index compares exactly what
-- Account.SearchText wrote.
CREATE VIRTUAL TABLE listing_search USING fts5 (
	search_text, facets,
	content = 'listings', content_rowid = 'seq',
	tokenize = 'trigram case_sensitive 1'
);

-- How many listings have each role and completeness: the total of a search
-- that filters on nothing else, without counting a million rows.
CREATE TABLE listing_counts (
	role                 TEXT    NOT NULL,
	profile_completeness INTEGER NOT NULL,
	n                    INTEGER NOT NULL CHECK (n >= 0),
	PRIMARY KEY (role, profile_completeness)
) STRICT, WITHOUT ROWID;

-- The index and the counts follow the listings in the same transaction.
CREATE TRIGGER listings_insert AFTER INSERT ON listings BEGIN
	INSERT INTO listing_search (rowid, search_text, facets) VALUES (new.seq, new.search_text, new.facets);
	INSERT INTO listing_counts (role, profile_completeness, n) VALUES (new.role, new.profile_completeness, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER listings_delete AFTER DELETE ON listings BEGIN
	INSERT INTO listing_search (listing_search, rowid, search_text, facets)
		VALUES ('delete', old.seq, old.search_text, old.facets);
	UPDATE listing_counts SET n = n - 1 WHERE role = old.role AND profile_completeness = old.profile_completeness;
END;

CREATE TRIGGER listings_update_search AFTER UPDATE ON listings
WHEN old.seq <> new.seq OR old.search_text <> new.search_text OR old.facets <> new.facets BEGIN
	INSERT INTO listing_search (listing_search, rowid, search_text, facets)
		VALUES ('delete', old.seq, old.search_text, old.facets);
	INSERT INTO listing_search (rowid, search_text, facets) VALUES (new.seq, new.search_text, new.facets);
END;

CREATE TRIGGER listings_update_counts AFTER UPDATE ON listings
WHEN old.role <> new.role OR old.profile_completeness <> new.profile_completeness BEGIN
	UPDATE listing_counts SET n = n - 1 WHERE role = old.role AND profile_completeness = old.profile_completeness;
	INSERT INTO listing_counts (role, profile_completeness, n) VALUES (new.role, new.profile_completeness, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;

-- Owner bookmarked the account. UNIQUE makes bookmarking twice find the
-- first; the second index serves deleting an account's bookmarks of it.
CREATE TABLE bookmarks (
	id         TEXT    NOT NULL PRIMARY KEY,
	owner      TEXT    NOT NULL REFERENCES accounts (id),
	account_id TEXT    NOT NULL REFERENCES accounts (id),
	created_at INTEGER NOT NULL,
	UNIQUE (owner, account_id)
) STRICT;
CREATE INDEX bookmarks_account ON bookmarks (account_id);
