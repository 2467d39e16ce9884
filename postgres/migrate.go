package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"accountd/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the schema's steps: migrations[i] takes the schema from
// version i to i+1. schema_migrations holds a row for each version applied.
var migrations = migration.Load(migrationFiles)

// goSteps are the parts of migrations that SQL alone cannot take, by
// version. A step runs in its migration's transaction, where the line
// goStepMarker stands in the migration's SQL: after the statements before
// it and before those after it.
var goSteps = map[int]func(context.Context, pgx.Tx) error{
	2: backfillSearchText, // search text is folded in Go
}

// goStepMarker is the line of a migration where its Go step runs.
const goStepMarker = "-- accountd: go step\n"

// migrationLock is the key of the advisory lock that Migrate holds while it
// reads and changes the schema: "accountd" in ASCII.
const migrationLock int64 = 0x6163636f756e7464

const (
	createVersionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	qSchemaVersion = "SELECT coalesce(max(version), 0) FROM schema_migrations"
)

// Migrate applies the migrations the database lacks, each in its own
// transaction, and reports how many it applied. It refuses a database that a
// newer accountd has migrated, rather than run against a schema it does not
// know. Instances that start at once may all call it: each step is taken
// under an advisory lock, so exactly one of them applies it.
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
// read after the lock is taken, and at READ COMMITTED, whose statements each
// see what was committed before they started: a transaction that waited for
// the lock sees the step its holder applied, and skips it.
func (db *DB) migrate(ctx context.Context, version int) (applied bool, err error) {
	err = db.runUnbounded(ctx, writeOptions, func(tx pgx.Tx) error {
		// A step may rewrite every row: statement_timeout is for requests.
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return wrap("migrate: statement_timeout", err)
		}
		// Released when the transaction ends.
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return wrap("migrate: lock", err)
		}
		// Under the lock too: two sessions creating one table at once can
		// both fail.
		if _, err := tx.Exec(ctx, createVersionTable); err != nil {
			return wrap("migrate: create schema_migrations", err)
		}
		var current int
		if err := tx.QueryRow(ctx, qSchemaVersion).Scan(&current); err != nil {
			return wrap("read schema version", err)
		}
		if current > len(migrations) {
			return migration.TooNew(current, len(migrations))
		}
		if current >= version {
			return nil
		}
		if err := applyMigration(ctx, tx, version); err != nil {
			return wrap(fmt.Sprintf("migration %d", version), err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", version); err != nil {
			return wrap(fmt.Sprintf("migration %d", version), err)
		}
		applied = true
		return nil
	})
	return applied, err
}

// applyMigration runs migration version's SQL and its Go step, if it has
// one, in tx.
func applyMigration(ctx context.Context, tx pgx.Tx, version int) error {
	before, after, marked := strings.Cut(migrations[version-1], goStepMarker)
	step := goSteps[version]
	if marked != (step != nil) {
		return fmt.Errorf("the marker of a Go step and the step disagree: marker %v, step %v", marked, step != nil)
	}
	// With no arguments pgx sends SQL as one simple query, which may hold
	// several statements.
	if _, err := tx.Exec(ctx, before); err != nil {
		return err
	}
	if step == nil {
		return nil
	}
	if err := step(ctx, tx); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, after)
	return err
}

// SchemaVersion reports the version of the database's schema: 0 before the
// first Migrate.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	var v int
	err := db.pool.QueryRow(ctx, qSchemaVersion).Scan(&v)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "42P01" { // undefined_table: never migrated
		return 0, nil
	}
	if err != nil {
		return 0, wrap("read schema version", err)
	}
	return v, nil
}
