package searchindex

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// seqBucket is how many places one millisecond of seq holds.
const seqBucket = 1 << 12

// seqAt is the first seq of the time's millisecond: listings from it on
// were created at t or later.
func seqAt(t time.Time) int64 { return t.UnixMilli() * seqBucket }

const (
	qSeqBucket = "SELECT seq, id FROM accounts WHERE seq BETWEEN ? AND ? ORDER BY seq"
	qSeqMove   = "UPDATE accounts SET seq = ?2 WHERE seq = ?1"
)

// NewSeq returns the seq of a new account, the key of its listing: between
// those of the accounts created in the same millisecond with a smaller and
// a greater id. When no place is left between them, it spreads that
// millisecond's accounts out again, and notes them in ch, so that their
// listings follow when ch is written.
func (ch *Changes) NewSeq(ctx context.Context, c Conn, createdAt time.Time, id string) (int64, error) {
	base := seqAt(createdAt)
	type entry struct {
		seq int64
		id  string
	}
	s, err := c.Stmt(ctx, qSeqBucket)
	if err != nil {
		return 0, err
	}
	rows, err := s.QueryContext(ctx, base, base+seqBucket-1)
	if err != nil {
		return 0, err
	}
	var bucket []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.id); err != nil {
			rows.Close()
			return 0, err
		}
		bucket = append(bucket, e)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	// The bucket is in seq order, which is id order.
	i, _ := slices.BinarySearchFunc(bucket, id, func(e entry, id string) int { return strings.Compare(e.id, id) })
	lo, hi := base-1, base+seqBucket
	if i > 0 {
		lo = bucket[i-1].seq
	}
	if i < len(bucket) {
		hi = bucket[i].seq
	}
	if hi-lo >= 2 {
		return lo + (hi-lo)/2, nil
	}
	if len(bucket)+1 >= seqBucket {
		return 0, fmt.Errorf("more than %d accounts created in the millisecond %s", seqBucket-1, createdAt.Format(time.RFC3339Nano))
	}
	// Spread out: the new account takes place i among n+1. Seqs move
	// through their negatives, so that no two rows ever hold the same one.
	bucket = slices.Insert(bucket, i, entry{id: id})
	step := int64(seqBucket / (len(bucket) + 1))
	for pass := range 2 {
		for j, e := range bucket {
			if e.seq == 0 {
				continue
			}
			from, to := e.seq, -e.seq
			if pass == 1 {
				from, to = -e.seq, base+step*int64(j+1)
			}
			if err := exec(ctx, c, qSeqMove, from, to); err != nil {
				return 0, err
			}
			ch.Note(e.id)
		}
	}
	return base + step*int64(i+1), nil
}
