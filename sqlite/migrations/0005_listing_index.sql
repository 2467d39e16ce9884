-- The store writes the full-text index itself, one statement for all the
-- entries a transaction changes (see searchindex.Changes.Write). Written by triggers,
-- entry by entry, the index made FTS5 write a segment per listing: it
-- writes its pending terms out whenever a later statement of the
-- transaction may need rolling back on its own.
DROP TRIGGER IF EXISTS listings_insert;
DROP TRIGGER IF EXISTS listings_delete;
DROP TRIGGER IF EXISTS listings_update_search;

CREATE TRIGGER listings_insert AFTER INSERT ON listings BEGIN
	INSERT INTO listing_counts (role, profile_completeness, n) VALUES (new.role, new.profile_completeness, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER listings_delete AFTER DELETE ON listings BEGIN
	UPDATE listing_counts SET n = n - 1 WHERE role = old.role AND profile_completeness = old.profile_completeness;
END;
