-- The ids of an account's tags, in id order, beside its account_tags rows,
-- which stay the record of its tags, their order and names. Searches by
-- tag go through a GIN index on them: it intersects the accounts of
-- several tags inside the index, and counts them without reading a row,
-- where account_tags has every account of each tag read and joined.
-- SetTags keeps them in step, in its transaction.
ALTER TABLE accounts ADD COLUMN tag_ids text[] NOT NULL DEFAULT '{}';

UPDATE accounts SET tag_ids = held.ids
	FROM (SELECT account_id, array_agg(tag_id ORDER BY tag_id) AS ids FROM account_tags GROUP BY account_id) AS held
	WHERE accounts.id = held.account_id;

CREATE INDEX accounts_listed_tags ON accounts USING gin (tag_ids)
	WHERE deleted_at IS NULL AND NOT is_private;
