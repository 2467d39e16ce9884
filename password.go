package accountd

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"github.com/ccojocar/zxcvbn-go/frequency"
)

const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

var (
	commonOnce      sync.Once
	commonPasswords map[string]struct{}
)

// isCommonPassword reports whether pw (case-insensitively) is on zxcvbn's
// list of the most used passwords.
func isCommonPassword(pw string) bool {
	commonOnce.Do(func() {
		list := frequency.Lists["Passwords"].List
		commonPasswords = make(map[string]struct{}, len(list))
		for _, p := range list {
			commonPasswords[strings.ToLower(p)] = struct{}{}
		}
	})
	_, ok := commonPasswords[strings.ToLower(pw)]
	return ok
}

// CheckPassword applies the password policy: length in characters, nothing
// else about composition, and not one of the commonly used passwords.
func CheckPassword(v *Validation, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		v.Add(field, "must be at least %d characters", MinPasswordLength)
	case n > MaxPasswordLength:
		v.Add(field, "must be at most %d characters", MaxPasswordLength)
	case isCommonPassword(pw):
		v.Add(field, "is one of the most commonly used passwords; choose another")
	}
}

// HashParams are the argon2id cost parameters.
type HashParams struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultHashParams are OWASP's minimum recommendation for argon2id.
var DefaultHashParams = HashParams{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1}

// Hasher hashes and verifies passwords with argon2id. At most a fixed number
// of hashes run at once, so a flood of logins queues instead of exhausting
// memory (each hash holds MemoryKiB while it runs).
type Hasher struct {
	params *argon2id.Params
	slots  chan struct{}
	dummy  string // a hash to verify against when there is no account, so timing does not tell
}

// NewHasher returns a Hasher running at most concurrency hashes at once
// (GOMAXPROCS when concurrency < 1).
func NewHasher(p HashParams, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{
		params: &argon2id.Params{Memory: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism, SaltLength: 16, KeyLength: 32},
		slots:  make(chan struct{}, concurrency),
	}
	dummy, err := argon2id.CreateHash(randomString(24, mixedAlnum), h.params)
	if err != nil {
		panic(err)
	}
	h.dummy = dummy
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-encoded argon2id hash of pw, which keeps its
// parameters so they can be raised later.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return argon2id.CreateHash(pw, h.params)
}

// Verify reports whether pw matches hash and whether hash was made with
// weaker parameters than the current ones and should be replaced. An empty
// hash is checked against a dummy so that a missing account costs the same.
func (h *Hasher) Verify(ctx context.Context, pw, hash string) (match, stale bool, err error) {
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	if hash == "" {
		_, _, err := argon2id.CheckHash(pw, h.dummy)
		return false, false, err
	}
	match, p, err := argon2id.CheckHash(pw, hash)
	if err != nil {
		return false, false, err
	}
	stale = p.Memory < h.params.Memory || p.Iterations < h.params.Iterations || p.Parallelism < h.params.Parallelism
	return match, stale, nil
}
