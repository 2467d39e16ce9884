-- Times are Unix milliseconds in UTC and booleans are 0 or 1. STRICT makes
-- SQLite refuse a value of the wrong type instead of storing it anyway.

CREATE TABLE accounts (
	id                      TEXT    NOT NULL PRIMARY KEY,
	email                   TEXT    NOT NULL,
	email_key               TEXT    NOT NULL,
	email_verified          INTEGER NOT NULL,
	email_verified_at       INTEGER,
	password_hash           TEXT    NOT NULL,
	first_name              TEXT    NOT NULL,
	last_name               TEXT    NOT NULL,
	role                    TEXT    NOT NULL,
	type                    TEXT    NOT NULL,
	user_name               TEXT    NOT NULL,
	is_user_name_updated    INTEGER NOT NULL,
	referral_code           TEXT    NOT NULL,
	referred_by             TEXT,
	contact_country         TEXT    NOT NULL,
	contact_state           TEXT    NOT NULL,
	contact_city            TEXT    NOT NULL,
	contact_address         TEXT    NOT NULL,
	contact_phone           TEXT    NOT NULL,
	bio_title               TEXT    NOT NULL,
	bio_description         TEXT    NOT NULL,
	talent_about            TEXT    NOT NULL,
	talent_availability     TEXT    NOT NULL,
	social_github           TEXT    NOT NULL,
	social_twitter          TEXT    NOT NULL,
	social_linkedin         TEXT    NOT NULL,
	social_website          TEXT    NOT NULL,
	is_private              INTEGER NOT NULL,
	wallet_generated        INTEGER NOT NULL,
	web3_onboard            INTEGER NOT NULL,
	is_verified             INTEGER NOT NULL,
	kyc                     INTEGER NOT NULL,
	kyc_status              TEXT    NOT NULL,
	account_type            TEXT    NOT NULL,
	score                   INTEGER NOT NULL,
	twofa_type              TEXT    NOT NULL,
	twofa_status            INTEGER NOT NULL,
	twofa_security_question TEXT    NOT NULL,
	logged_in_at            INTEGER,
	created_at              INTEGER NOT NULL,
	updated_at              INTEGER NOT NULL,
	deleted_at              INTEGER
) STRICT;

-- An email is unique among live accounts only, so that deleting an account
-- frees its address for a new registration.
CREATE UNIQUE INDEX accounts_email_key ON accounts (email_key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX accounts_user_name ON accounts (user_name);
CREATE UNIQUE INDEX accounts_referral_code ON accounts (referral_code);

CREATE TABLE achievements (
	id         TEXT    NOT NULL PRIMARY KEY,
	owner      TEXT    NOT NULL REFERENCES accounts (id),
	type       TEXT    NOT NULL,
	total      INTEGER NOT NULL,
	value      INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
) STRICT;

-- An account has one achievement of each type; AddAchievementValue finds it
-- by the pair, and the owner prefix serves the account's look-up.
CREATE UNIQUE INDEX achievements_owner_type ON achievements (owner, type);

CREATE TABLE sessions (
	id           TEXT    NOT NULL PRIMARY KEY,
	account_id   TEXT    NOT NULL REFERENCES accounts (id),
	token_hash   BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	user_agent   TEXT    NOT NULL,
	ip           TEXT    NOT NULL
) STRICT;

CREATE INDEX sessions_account ON sessions (account_id);
-- Sessions are the table that grows with use; Prune finds the expired ones here.
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE codes (
	id         TEXT    NOT NULL PRIMARY KEY,
	account_id TEXT    NOT NULL REFERENCES accounts (id),
	purpose    TEXT    NOT NULL,
	hash       BLOB    NOT NULL,
	attempts   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (account_id, purpose)
) STRICT;

CREATE TABLE outbox (
	id              TEXT    NOT NULL PRIMARY KEY,
	recipient       TEXT    NOT NULL,
	subject         TEXT    NOT NULL,
	body            TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	lease_until     INTEGER,
	sent_at         INTEGER,
	last_error      TEXT    NOT NULL
) STRICT;

-- The sender's poll reads only mail still to send, in the order it sends it.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

-- Small rows looked up by key only: WITHOUT ROWID keeps each in the key's b-tree.
CREATE TABLE rate_limits (
	key      TEXT    NOT NULL PRIMARY KEY,
	reset_at INTEGER NOT NULL,
	count    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
