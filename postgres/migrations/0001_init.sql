-- The whole schema of the sqlite store after its migrations 0001 to 0003,
-- in PostgreSQL's types. Times are timestamptz, written in UTC and
-- truncated to the millisecond, the domain's precision, so that a value
-- reads back equal to what was written.

CREATE TABLE accounts (
	id                      text        NOT NULL PRIMARY KEY,
	email                   text        NOT NULL,
	email_key               text        NOT NULL,
	email_verified          boolean     NOT NULL,
	email_verified_at       timestamptz,
	password_hash           text        NOT NULL,
	first_name              text        NOT NULL,
	last_name               text        NOT NULL,
	role                    text        NOT NULL,
	type                    text        NOT NULL,
	user_name               text        NOT NULL,
	is_user_name_updated    boolean     NOT NULL,
	referral_code           text        NOT NULL,
	referred_by             text,
	contact_country         text        NOT NULL,
	contact_state           text        NOT NULL,
	contact_city            text        NOT NULL,
	contact_address         text        NOT NULL,
	contact_phone           text        NOT NULL,
	bio_title               text        NOT NULL,
	bio_description         text        NOT NULL,
	talent_about            text        NOT NULL,
	talent_availability     text        NOT NULL,
	social_github           text        NOT NULL,
	social_twitter          text        NOT NULL,
	social_linkedin         text        NOT NULL,
	social_website          text        NOT NULL,
	is_private              boolean     NOT NULL,
	wallet_generated        boolean     NOT NULL,
	web3_onboard            boolean     NOT NULL,
	is_verified             boolean     NOT NULL,
	kyc                     boolean     NOT NULL,
	kyc_status              text        NOT NULL,
	account_type            text        NOT NULL,
	score                   integer     NOT NULL,
	twofa_type              text        NOT NULL,
	twofa_status            boolean     NOT NULL,
	twofa_security_question text        NOT NULL,
	-- The rest of the second factor's state. Secrets are sealed by the
	-- service before they get here; recovery codes are kept as their
	-- SHA-256 hashes, NULL when there are none.
	twofa_pending           text        NOT NULL,
	twofa_pending_secret    bytea,
	twofa_pending_attempts  integer     NOT NULL,
	twofa_secret            bytea,
	twofa_last_step         bigint      NOT NULL,
	twofa_recovery          bytea[],
	logged_in_at            timestamptz,
	created_at              timestamptz NOT NULL,
	updated_at              timestamptz NOT NULL,
	deleted_at              timestamptz,
	-- Written from Account.Completeness() by every account write, for
	-- searches to filter and sort on.
	profile_completeness    integer     NOT NULL DEFAULT 0
		CHECK (profile_completeness BETWEEN 0 AND 100)
);

-- An email is unique among live accounts only, so that deleting an account
-- frees its address for a new registration. This index is created before
-- the other unique ones on purpose: PostgreSQL checks a row's unique indexes
-- in the order they were created and reports the first it breaks, so a row
-- that clashes on its email and on more is reported as an email clash,
-- which is what the store turns into ErrEmailTaken.
CREATE UNIQUE INDEX accounts_email_key ON accounts (email_key) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX accounts_user_name ON accounts (user_name);
CREATE UNIQUE INDEX accounts_referral_code ON accounts (referral_code);
CREATE INDEX accounts_profile_completeness ON accounts (profile_completeness);

-- DeleteAccount keeps the row, so that the id is never handed out again, and
-- sets email_key, user_name and referral_code to 'deleted:' || id, which no
-- live account's can equal, so each unique index lets the old value go and
-- no look-up finds the row.

CREATE TABLE achievements (
	id         text        NOT NULL PRIMARY KEY,
	owner      text        NOT NULL REFERENCES accounts (id),
	type       text        NOT NULL,
	total      integer     NOT NULL,
	value      integer     NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);

-- An account has one achievement of each type; AddAchievementValue finds it
-- by the pair, and the owner prefix serves the account's look-up.
CREATE UNIQUE INDEX achievements_owner_type ON achievements (owner, type);

CREATE TABLE sessions (
	id           text        NOT NULL PRIMARY KEY,
	account_id   text        NOT NULL REFERENCES accounts (id),
	token_hash   bytea       NOT NULL,
	created_at   timestamptz NOT NULL,
	last_seen_at timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	user_agent   text        NOT NULL,
	ip           text        NOT NULL
);

CREATE UNIQUE INDEX sessions_token_hash ON sessions (token_hash);
CREATE INDEX sessions_account ON sessions (account_id);
-- Sessions are the table that grows with use; Prune finds the expired ones here.
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE codes (
	id         text        NOT NULL PRIMARY KEY,
	account_id text        NOT NULL REFERENCES accounts (id),
	purpose    text        NOT NULL,
	hash       bytea       NOT NULL,
	attempts   integer     NOT NULL,
	expires_at timestamptz NOT NULL,
	created_at timestamptz NOT NULL,
	CONSTRAINT codes_account_purpose UNIQUE (account_id, purpose)
);

CREATE TABLE outbox (
	id              text        NOT NULL PRIMARY KEY,
	recipient       text        NOT NULL,
	subject         text        NOT NULL,
	body            text        NOT NULL,
	created_at      timestamptz NOT NULL,
	attempts        integer     NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	lease_until     timestamptz,
	sent_at         timestamptz,
	last_error      text        NOT NULL
);

-- The senders' poll reads only mail still to send, in the order it is sent.
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;

CREATE TABLE rate_limits (
	key      text        NOT NULL PRIMARY KEY,
	reset_at timestamptz NOT NULL,
	count    integer     NOT NULL
);

-- Skill tags, shared by the accounts that use them.
CREATE TABLE tags (
	id          text        NOT NULL PRIMARY KEY,
	key         text        NOT NULL,
	name        text        NOT NULL,
	color       text        NOT NULL,
	categories  text[]      NOT NULL,
	is_parent   boolean     NOT NULL,
	type        text        NOT NULL,
	-- Live accounts using the tag; SetTags and DeleteAccount keep it exact.
	entry_count integer     NOT NULL DEFAULT 0 CHECK (entry_count >= 0),
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	CONSTRAINT tags_key UNIQUE (key)
);

-- name is the tag's name as this account gave it, which may differ from the
-- tag's own in case.
CREATE TABLE account_tags (
	account_id text    NOT NULL REFERENCES accounts (id),
	tag_id     text    NOT NULL REFERENCES tags (id),
	position   integer NOT NULL,
	name       text    NOT NULL,
	PRIMARY KEY (account_id, tag_id)
);

-- The primary key serves an account's tags; this serves a tag's accounts.
CREATE INDEX account_tags_tag ON account_tags (tag_id, account_id);
