-- Skill tags, shared by the accounts that use them, and the profile
-- completeness that searches filter and sort on.

CREATE TABLE tags (
	id          TEXT    NOT NULL PRIMARY KEY,
	key         TEXT    NOT NULL UNIQUE,
	name        TEXT    NOT NULL,
	color       TEXT    NOT NULL,
	categories  TEXT    NOT NULL CHECK (json_type(categories) = 'array'), -- JSON array of strings
	is_parent   INTEGER NOT NULL,
	type        TEXT    NOT NULL,
	-- Live accounts using the tag; SetTags and DeleteAccount keep it exact.
	entry_count INTEGER NOT NULL DEFAULT 0 CHECK (entry_count >= 0),
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
) STRICT;

-- name is the tag's name as this account gave it, which may differ from the
-- tag's own in case. Small rows found by key: WITHOUT ROWID.
CREATE TABLE account_tags (
	account_id TEXT    NOT NULL REFERENCES accounts (id),
	tag_id     TEXT    NOT NULL REFERENCES tags (id),
	position   INTEGER NOT NULL,
	name       TEXT    NOT NULL,
	PRIMARY KEY (account_id, tag_id)
) STRICT, WITHOUT ROWID;

-- The primary key serves an account's tags; this serves a tag's accounts.
CREATE INDEX account_tags_tag ON account_tags (tag_id, account_id);

-- Written from Account.Completeness() by every account write. Rows written
-- before this migration read 0 until their next update.
ALTER TABLE accounts ADD COLUMN profile_completeness INTEGER NOT NULL DEFAULT 0
	CHECK (profile_completeness BETWEEN 0 AND 100);
CREATE INDEX accounts_profile_completeness ON accounts (profile_completeness);

-- DeleteAccount needs no change to 0001: it keeps the row, so that the id
-- is never handed out again, and sets email_key, user_name and referral_code
-- to 'deleted:' || id, which no live account's can equal, so each unique
-- index lets the old value go and no look-up finds the row.
