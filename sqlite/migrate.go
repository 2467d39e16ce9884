package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the schema's steps: migrations[i] takes the schema from
// version i to i+1, and the version lives in PRAGMA user_version.
var migrations = loadMigrations()

// loadMigrations reads the embedded files in order. Their names are fixed at
// build time, so a gap in the numbering is a bug in this binary, not a
// condition to handle at run time.
func loadMigrations() []string {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql") // sorted by name
	if err != nil {
		panic(err)
	}
	out := make([]string, len(names))
	for i, name := range names {
		if want := fmt.Sprintf("%04d_", i+1); !strings.HasPrefix(path.Base(name), want) {
			panic(fmt.Sprintf("sqlite: migration %s is out of sequence: want %s*.sql", name, want))
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out[i] = string(b)
	}
	return out
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
			return fmt.Errorf("database schema version %d is newer than this accountd supports (%d); upgrade accountd",
				current, len(migrations))
		}
		if current >= version {
			return nil
		}
		if _, err := tx.ExecContext(ctx, migrations[version-1]); err != nil {
			return fmt.Errorf("sqlite: migration %d: %w", version, err)
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
