-- One GIN index of the search text's trigrams and the tag ids together,
-- beside the index of each: a search by text and tag intersects both inside
-- it, where the two indexes left every account with the text to be read
-- from the table and filtered by its tags, which at a million accounts took
-- the combined search's p99 to 165 ms (at 100,000 accounts, its count runs
-- 5.6 times as fast). The index of each stays: on text alone it measured
-- faster than this one, and the planner picks per query.
CREATE INDEX accounts_listed_text_tags ON accounts USING gin (search_text gin_trgm_ops, tag_ids)
	WHERE deleted_at IS NULL AND NOT is_private;
