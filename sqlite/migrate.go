package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"accountd/internal/migration"
	"accountd/sqlite/searchindex"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the schema's steps: migrations[i] takes the schema from
// version i to i+1, and the version lives in PRAGMA user_version.
var migrations = migration.Load(migrationFiles)

// finishMigration holds the steps that SQL alone cannot take, run after a
// migration's SQL in its transaction. They run the store's own code, which
// knows only the newest schema, so each runs at the newest migration that
// can need it: listing the accounts, which migration 5 first asked for,
// waits for the slots of migration 6 and the index columns of 7.
var finishMigration = map[int]func(context.Context, *sql.Tx) error{
	7: searchindex.Backfill,
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and reports how many it applied. It refuses a database that a
// newer accountd has migrated, rather than run against a schema it does not
// know.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	for version := 1; version <= len(migrations); version++ {
		ok, err := db.migrate(ctx, version)
		if err != nil {
			return applied, err
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

// migrate applies one migration unless the database has it. The version is
// read inside the write transaction, so two processes starting at once
// cannot both apply the same step.
func (db *DB) migrate(ctx context.Context, version int) (applied bool, err error) {
	err = db.writer.transact(ctx, nil, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
			return fmt.Errorf("sqlite: read schema version: %w", err)
		}
		if current > len(migrations) {
			return migration.TooNew(current, len(migrations))
		}
		if current >= version {
			return nil
		}
		if _, err := tx.ExecContext(ctx, migrations[version-1]); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", version, err)
		}
		if finish := finishMigration[version]; finish != nil {
			if err := finish(ctx, tx); err != nil {
				return fmt.Errorf("sqlite: migration %d: %w", version, err)
			}
		}
		// PRAGMA takes no parameters; version is a number of ours.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", version, err)
		}
		applied = true
		return nil
	})
	return applied, err
}

// SchemaVersion reports the version of the database's schema.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := db.reader.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read schema version: %w", err)
	}
	return v, nil
}
