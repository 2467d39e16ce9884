package searchindex

import (
	"context"
	"database/sql"
	"fmt"
)

// Conn is the store's transaction, which the index reads and writes
// through: its changes commit or roll back with the store's.
type Conn interface {
	// Stmt returns the statement of query bound to the transaction. The
	// index runs a few queries over and over, so the store should keep
	// each prepared rather than compile it again on every call.
	Stmt(ctx context.Context, query string) (*sql.Stmt, error)
}

// exec runs query with args through c.
func exec(ctx context.Context, c Conn, query string, args ...any) error {
	s, err := c.Stmt(ctx, query)
	if err == nil {
		_, err = s.ExecContext(ctx, args...)
	}
	return err
}

// txConn is a Conn over a bare transaction, which prepares each query
// once: for the store's migrations, which run before its statements are
// prepared.
type txConn struct {
	tx       *sql.Tx
	prepared map[string]*sql.Stmt
}

func (c *txConn) Stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if s := c.prepared[query]; s != nil {
		return s, nil
	}
	s, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", query, err)
	}
	c.prepared[query] = s
	return s, nil
}

// withTx calls fn with a Conn over tx, and closes what it prepared.
func withTx(tx *sql.Tx, fn func(Conn) error) error {
	c := &txConn{tx: tx, prepared: map[string]*sql.Stmt{}}
	defer func() {
		for _, s := range c.prepared {
			s.Close()
		}
	}()
	return fn(c)
}
