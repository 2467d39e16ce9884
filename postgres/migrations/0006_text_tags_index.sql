-- One GIN index of the search text's trigrams and the tag ids together, in
-- place of one for each: a search by text and tag intersects both inside
-- the index, where the two indexes left every account with the text to be
-- read from the table and filtered by its tags, which at a million
-- accounts took the combined search's p99 to 165 ms. A multicolumn GIN
-- index serves a condition on either column alone as well as its own did.
CREATE INDEX accounts_listed_text_tags ON accounts USING gin (search_text gin_trgm_ops, tag_ids)
	WHERE deleted_at IS NULL AND NOT is_private;
DROP INDEX accounts_listed_search;
DROP INDEX accounts_listed_tags;
