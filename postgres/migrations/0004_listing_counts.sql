-- How many listed accounts (live, not private) have each role and
-- completeness, so that a search filtered on those alone, or on nothing,
-- counts without reading an index entry per account. The counts are kept
-- as changes to add up: each statement that lists, unlists or moves
-- accounts adds rows of its own, so writers never wait on one another's
-- count, and Prune folds the rows into one per role and completeness.
CREATE TABLE listing_count_changes (
	role                 text    NOT NULL,
	profile_completeness integer NOT NULL,
	n                    bigint  NOT NULL
);

-- Once per statement, from the rows it changed: a COPY of a thousand
-- accounts adds a row per role and completeness, not per account, and an
-- update that moves no account adds none.
CREATE FUNCTION count_listings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO listing_count_changes (role, profile_completeness, n)
		SELECT role, profile_completeness, count(*) FROM came
		WHERE deleted_at IS NULL AND NOT is_private GROUP BY role, profile_completeness;
	ELSIF TG_OP = 'DELETE' THEN
		INSERT INTO listing_count_changes (role, profile_completeness, n)
		SELECT role, profile_completeness, -count(*) FROM gone
		WHERE deleted_at IS NULL AND NOT is_private GROUP BY role, profile_completeness;
	ELSE
		INSERT INTO listing_count_changes (role, profile_completeness, n)
		SELECT role, profile_completeness, sum(n) FROM (
			SELECT role, profile_completeness, -1 AS n FROM gone WHERE deleted_at IS NULL AND NOT is_private
			UNION ALL
			SELECT role, profile_completeness, 1 FROM came WHERE deleted_at IS NULL AND NOT is_private
		) AS changed GROUP BY role, profile_completeness HAVING sum(n) <> 0;
	END IF;
	RETURN NULL;
END $$;

-- The triggers come first: creating them locks accounts against writes
-- until this migration commits, so the count below misses none.
CREATE TRIGGER accounts_listing_insert AFTER INSERT ON accounts
	REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION count_listings();
CREATE TRIGGER accounts_listing_update AFTER UPDATE ON accounts
	REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION count_listings();
CREATE TRIGGER accounts_listing_delete AFTER DELETE ON accounts
	REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION count_listings();

INSERT INTO listing_count_changes (role, profile_completeness, n)
SELECT role, profile_completeness, count(*) FROM accounts
WHERE deleted_at IS NULL AND NOT is_private GROUP BY role, profile_completeness;
