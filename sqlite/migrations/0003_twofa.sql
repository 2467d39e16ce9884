-- The second factor's state beside the account it guards. Secrets are
-- sealed by the service before they get here; recovery codes are kept as
-- their 32-byte SHA-256 hashes, one after another.

ALTER TABLE accounts ADD COLUMN twofa_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN twofa_pending_secret BLOB;
ALTER TABLE accounts ADD COLUMN twofa_pending_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN twofa_secret BLOB;
ALTER TABLE accounts ADD COLUMN twofa_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN twofa_recovery BLOB;
