package accountd

import (
	"context"
	"time"
)

// Store is where accounts live. Each implementation (sqlite, postgres) keeps
// its SQL to itself; the domain sees only these methods.
type Store interface {
	// Write runs fn in one read-write transaction: everything fn did is
	// committed together, or nothing is when fn returns an error. fn may be
	// run again when the store retries a conflict, so it must not have
	// effects outside tx.
	Write(ctx context.Context, fn func(Tx) error) error
	// Read runs fn against one consistent snapshot; fn must not write.
	Read(ctx context.Context, fn func(Tx) error) error

	// SessionAccount returns the session whose token has the given hash,
	// expired or not, and its live account, as one consistent read;
	// ErrNotFound when either is missing. Every authenticated request makes
	// this look-up, so a store may answer it from memory as long as it can
	// tell that nothing it read has changed since.
	SessionAccount(ctx context.Context, tokenHash []byte) (*Session, *Account, error)

	// Hit counts one event against key in a fixed window of the given
	// length and returns the count so far in the current window and when
	// that window ends. It commits on its own: a refused request still counts.
	Hit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	// Hits is key's count in its window at now, 0 when none is open.
	Hits(ctx context.Context, key string, now time.Time) (int, error)
	// UndoHit takes back one count of key's window open at now, if any:
	// an attempt counted up front that turned out not to count.
	UndoHit(ctx context.Context, key string, now time.Time) error
	// ClearHits forgets key's count.
	ClearHits(ctx context.Context, key string) error

	// ClaimMail leases up to max unsent mails that are due at now, so that
	// no other sender takes them until the lease ends.
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, max int) ([]Mail, error)
	// MarkMailSent records delivery and empties the body.
	MarkMailSent(ctx context.Context, id string, at time.Time) error
	// MarkMailFailed records a failed attempt and when to try again.
	MarkMailFailed(ctx context.Context, id string, next time.Time, reason string) error
	// OutboxBacklog counts the mails not yet sent and tells when the
	// oldest of them was queued (zero when there is none).
	OutboxBacklog(ctx context.Context) (pending int, oldest time.Time, err error)

	// Prune deletes what has outlived its use at now: expired sessions and
	// codes, ended rate-limit windows, and mails delivered over a week ago.
	Prune(ctx context.Context, now time.Time) error

	// Ping reports whether the store can be reached.
	Ping(ctx context.Context) error
	Close() error
}

// Tx is what one transaction can do. Look-ups of a missing record return
// ErrNotFound. Deleted accounts are never returned. An account comes with
// its achievements and its tags: Profile.Talent.Tags holds the names the
// account gave, Tags the documents, in the same order.
type Tx interface {
	AccountByID(ctx context.Context, id string) (*Account, error)
	// AccountByEmail looks an account up by its EmailKey.
	AccountByEmail(ctx context.Context, emailKey string) (*Account, error)
	AccountByReferralCode(ctx context.Context, code string) (*Account, error)
	// AccountByUserName looks an account up by its user name, as stored.
	AccountByUserName(ctx context.Context, userName string) (*Account, error)
	UserNameTaken(ctx context.Context, userName string) (bool, error)
	// CreateAccount inserts the account and its achievements.
	CreateAccount(ctx context.Context, a *Account) error
	// UpdateAccount writes every stored field of the account (not its
	// achievements or tags) and sets UpdatedAt as given. Stores keep
	// a.Completeness() beside it, for searching.
	UpdateAccount(ctx context.Context, a *Account) error
	// SetTags makes tags the account's tags, in this order. A tag whose Key
	// the store does not know yet is created from the given document; a
	// known one keeps its stored document. EntryCount of every tag the
	// account gains goes up by one and of every tag it loses down by one,
	// in this transaction, so it is exact at every commit. It returns the
	// account's tag documents as they now stand, in order.
	SetTags(ctx context.Context, accountID string, tags []Tag, at time.Time) ([]Tag, error)
	// ImportAccounts stores new accounts as CreateAccount and then SetTags
	// with a.Tags at a.CreatedAt would, one after another, with the work
	// that accounts share done once for all: a tag is looked up or stored
	// once, and its EntryCount changes once. It is for loading many
	// accounts at a time.
	ImportAccounts(ctx context.Context, accounts []*Account) error
	// DeleteAccount erases the account: its personal data, achievements,
	// sessions, codes, unsent mail and bookmarks (those it made and those of
	// it) go, its tags' EntryCount drop by one,
	// and its email, user name and referral code become free. Only the id
	// and the deletion time stay, so the id is never handed out again and
	// every look-up answers ErrNotFound.
	// Its pictures' blobs go too, unless another account shows them.
	DeleteAccount(ctx context.Context, id string, at time.Time) error
	// AddAchievementValue adds delta to the value of the account's
	// achievement of the given type, atomically.
	AddAchievementValue(ctx context.Context, accountID, achievementType string, delta int, at time.Time) error

	// SearchAccounts returns the page of listed accounts (live, not
	// private) that q selects, in q's order, with how many it selects in
	// all, and for each hit q.ViewerID's bookmark of it.
	SearchAccounts(ctx context.Context, q *SearchQuery) (*SearchResult, error)
	// PutBookmark stores b unless b.Owner has bookmarked b.User already,
	// and returns the stored bookmark; created says which happened.
	PutBookmark(ctx context.Context, b *Bookmark) (stored *Bookmark, created bool, err error)
	// DeleteBookmark removes the owner's bookmark whose id, or whose
	// bookmarked account's id, is id; ErrNotFound when the owner has none.
	DeleteBookmark(ctx context.Context, ownerID, id string) error
	// Tags lists the tags whose key contains q.Text, by EntryCount
	// descending, then by name and key.
	Tags(ctx context.Context, q *TagQuery) ([]Tag, error)

	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash returns the session, expired or not.
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// Sessions lists the account's unexpired sessions, newest first.
	Sessions(ctx context.Context, accountID string, now time.Time) ([]Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	// DeleteSession removes one of the account's sessions; ErrNotFound when
	// the account has no session with that id.
	DeleteSession(ctx context.Context, accountID, id string) error
	// DeleteSessions removes all of the account's sessions but keepID's.
	DeleteSessions(ctx context.Context, accountID, keepID string) error

	// PutCode stores c, replacing the account's code of the same purpose.
	PutCode(ctx context.Context, c *Code) error
	CodeFor(ctx context.Context, accountID string, purpose Purpose) (*Code, error)
	// CountCodeAttempt adds one wrong guess to the code.
	CountCodeAttempt(ctx context.Context, id string) error
	DeleteCode(ctx context.Context, id string) error

	// PutMedia stores the renditions of one picture; renditions already
	// stored (the same key and size) stay as they are.
	PutMedia(ctx context.Context, media []Media) error
	// Media returns the rendition of key at size, or at its largest size
	// when size is 0.
	Media(ctx context.Context, key string, size int) (*Media, error)
	// DropUnusedMedia removes key's renditions unless a live account shows
	// the picture: what replacing or removing a picture calls, in the
	// transaction that stopped showing it.
	DropUnusedMedia(ctx context.Context, key string) error

	// EnqueueMail adds m to the outbox.
	EnqueueMail(ctx context.Context, m *Mail) error
}
