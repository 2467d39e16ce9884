-- Pictures live in the store: each rendition of a picture is a row, keyed by
-- the picture's content hash and its size, and an account names its
-- pictures' keys. A blob goes in the transaction that leaves no account
-- naming its key.
CREATE TABLE media (
	key          text    NOT NULL,
	size         integer NOT NULL,
	content_type text    NOT NULL,
	data         bytea   NOT NULL,
	PRIMARY KEY (key, size)
);

ALTER TABLE accounts ADD COLUMN profile_image text;
ALTER TABLE accounts ADD COLUMN background_image text;
CREATE INDEX accounts_profile_image ON accounts (profile_image) WHERE profile_image IS NOT NULL;
CREATE INDEX accounts_background_image ON accounts (background_image) WHERE background_image IS NOT NULL;
