-- Pictures live in the store: each rendition of a picture is a row, keyed by
-- the picture's content hash and its size, and an account names its
-- pictures' keys. A blob goes in the transaction that leaves no account
-- naming its key.
CREATE TABLE media (
	key          TEXT    NOT NULL,
	size         INTEGER NOT NULL,
	content_type TEXT    NOT NULL,
	data         BLOB    NOT NULL,
	PRIMARY KEY (key, size)
);

ALTER TABLE accounts ADD COLUMN profile_image TEXT;
ALTER TABLE accounts ADD COLUMN background_image TEXT;
CREATE INDEX accounts_profile_image ON accounts (profile_image) WHERE profile_image IS NOT NULL;
CREATE INDEX accounts_background_image ON accounts (background_image) WHERE background_image IS NOT NULL;
