// Package migration reads the schema steps a store embeds, the same way for
// every store.
package migration

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Load returns the steps in fsys's migrations/*.sql, in order: steps[i]
// takes the schema from version i to i+1. The names are fixed at build
// time, so a gap in the numbering is a bug in the binary and panics.
func Load(fsys fs.FS) []string {
	names, err := fs.Glob(fsys, "migrations/*.sql") // sorted by name
	if err != nil {
		panic(err)
	}
	steps := make([]string, len(names))
	for i, name := range names {
		if want := fmt.Sprintf("%04d_", i+1); !strings.HasPrefix(path.Base(name), want) {
			panic(fmt.Sprintf("migration %s is out of sequence: want %s*.sql", name, want))
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic(err)
		}
		steps[i] = string(b)
	}
	return steps
}

// TooNew is the error for a database whose schema is ahead of the binary.
func TooNew(current, known int) error {
	return fmt.Errorf("database schema version %d is newer than this accountd supports (%d); upgrade accountd", current, known)
}
