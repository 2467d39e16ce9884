package accountd

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SearchSort is an order of search results. Every order ends with the
// account id, so that equal keys still have one order and pages never
// repeat or skip an account.
type SearchSort string

const (
	SortNewest       SearchSort = "-createdAt"           // createdAt, then id, descending
	SortOldest       SearchSort = "createdAt"            // createdAt, then id, ascending
	SortCompleteness SearchSort = "-profileCompleteness" // profileCompleteness, then id, descending
	SortScore        SearchSort = "-score"               // score, then id, descending
)

var searchSorts = []SearchSort{SortNewest, SortOldest, SortCompleteness, SortScore}

// Roles are the roles an account can have.
var Roles = []string{RoleUser, RolePartner, RoleAdmin}

// Search limits.
const (
	DefaultSearchLimit = 12
	MaxSearchLimit     = 100
	// MaxSearchLength caps the search text, in characters.
	MaxSearchLength = 100
	// MaxSearchTags caps how many tags one search may name.
	MaxSearchTags = MaxTags
)

// The numbers the numeric parameters of a search take.
var (
	SearchPageRange   = Range{Min: 1, Max: math.MaxInt32}
	SearchLimitRange  = Range{Min: 1, Max: MaxSearchLimit}
	CompletenessRange = Range{Min: 0, Max: 100}
)

// SearchQuery selects listed accounts: live and not private. Empty fields
// do not filter.
type SearchQuery struct {
	// Text matches a substring of the first name, last name, user name or
	// bio title; Search trims and folds it (see FoldText).
	Text string
	// TagKeys are tag keys; an account must have all of them, or any of
	// them when AnyTag is set. Search reduces the names a client gives to
	// their keys, each once.
	TagKeys []string
	AnyTag  bool
	Role    string
	// CompletenessMin and CompletenessMax bound profileCompleteness,
	// inclusive.
	CompletenessMin, CompletenessMax int
	// OwnerID keeps the accounts this account created (see CreateManaged).
	OwnerID string
	// BookmarkedBy keeps the accounts this account has bookmarked.
	BookmarkedBy string
	// AsOf, when set, keeps only accounts created before it. Search makes
	// it now unless the client gives the AsOf of an earlier page, so that a
	// client walking the pages of one search does not see accounts created
	// meanwhile push the rest from one page onto the next.
	AsOf time.Time
	// ViewerID is whose bookmarks each hit reports.
	ViewerID string
	Sort     SearchSort
	Page     int // from 1
	Limit    int
}

// NewSearchQuery is the search of viewerID that asks for nothing in
// particular: every default, for a transport to override with what the
// client gives.
func NewSearchQuery(viewerID string) *SearchQuery {
	return &SearchQuery{ViewerID: viewerID, Sort: SortNewest, Page: 1, Limit: DefaultSearchLimit, CompletenessMax: CompletenessRange.Max}
}

// Offset is the number of hits before the query's page.
func (q *SearchQuery) Offset() int { return (q.Page - 1) * q.Limit }

// SearchResult is one page of hits, how many there are in all, and the
// moment they were counted at (see SearchQuery.AsOf).
type SearchResult struct {
	Total int
	Hits  []SearchHit
	AsOf  time.Time
}

// SearchHit is an account found, and the viewer's bookmark of it, if any.
type SearchHit struct {
	Account    *Account
	BookmarkID string
}

// Pages is the number of pages of q.Limit hits that hold Total.
func (r *SearchResult) Pages(limit int) int { return (r.Total + limit - 1) / limit }

// Validate returns nil when q keeps every rule of a search, and otherwise
// the refusal Search answers: every bad parameter named, after those a
// transport could not read and recorded on v.
func (q *SearchQuery) Validate(v *Validation) error {
	q.normalized(v, time.Time{})
	return v.queryErr()
}

// normalized is q as stores run it: text trimmed and folded, tags as
// distinct keys, AsOf to the millisecond and now when not given. It records
// on v every rule q breaks, under the name of the API's parameter.
func (q *SearchQuery) normalized(v *Validation, now time.Time) *SearchQuery {
	run := *q
	// A number out of range counts as its default where two are compared.
	defaults := NewSearchQuery(q.ViewerID)
	page := SearchPageRange.check(v, "page", q.Page, defaults.Page)
	limit := SearchLimitRange.check(v, "limit", q.Limit, defaults.Limit)
	completenessMin := CompletenessRange.check(v, "profileCompletenessMin", q.CompletenessMin, defaults.CompletenessMin)
	completenessMax := CompletenessRange.check(v, "profileCompletenessMax", q.CompletenessMax, defaults.CompletenessMax)
	if completenessMin > completenessMax {
		v.Add("profileCompletenessMin", "must not be greater than profileCompletenessMax")
	}
	if offset := int64(page-1) * int64(limit); offset > math.MaxInt32 {
		v.Add("page", "is too far: page × limit must stay under 2147483647")
	}

	run.AsOf = q.AsOf.UTC().Truncate(time.Millisecond)
	if run.AsOf.IsZero() {
		run.AsOf = now
	}
	if q.Text != "" {
		text := cleanText(v, "search", q.Text, MaxSearchLength, false, lineText)
		run.Text = FoldText(text)
	}
	if len(q.TagKeys) > 0 {
		run.TagKeys = nil
		seen := map[string]bool{}
		for _, name := range q.TagKeys {
			key := TagKey(name)
			switch {
			case key == "" || seen[key]:
				continue
			case !validText(name) || len([]rune(key)) > MaxTagLength:
				v.Add("tags", "%q is not a tag: at most %d characters, no control characters", Truncate(name, 60), MaxTagLength)
				continue
			}
			seen[key] = true
			run.TagKeys = append(run.TagKeys, key)
		}
		if len(run.TagKeys) > MaxSearchTags {
			v.Add("tags", "names %d tags; at most %d", len(run.TagKeys), MaxSearchTags)
		}
	}
	if q.Role != "" && !isOneOf(q.Role, Roles) {
		v.Add("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	if !isOneOf(q.Sort, searchSorts) {
		names := make([]string, len(searchSorts))
		for i, s := range searchSorts {
			names[i] = string(s)
		}
		v.Add("sort", "must be one of %s", strings.Join(names, ", "))
	}
	return &run
}

func isOneOf[T comparable](x T, list []T) bool {
	for _, y := range list {
		if x == y {
			return true
		}
	}
	return false
}

// accentFolder returns a transformer that removes the marks that decompose
// from letters: é becomes e. A chain keeps state between calls, so each use
// needs its own.
func accentFolder() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// FoldText is the form search compares: lower case, accents removed, so
// that "Zoë" is found by "zoe" and "ZOË".
func FoldText(s string) string {
	folded, _, err := transform.String(accentFolder(), strings.ToLower(s))
	if err != nil {
		return strings.ToLower(s)
	}
	return folded
}

// SearchText is what a search's Text is matched in: the account's folded
// first name, last name, user name and bio title, each on its own line so
// that no match spans two of them.
func (a *Account) SearchText() string {
	return FoldText(a.FirstName + "\n" + a.LastName + "\n" + a.UserName + "\n" + a.Profile.Bio.Title)
}

// Listed reports whether searches may find the account.
func (a *Account) Listed() bool { return !a.IsPrivate }

// Search finds the listed accounts q selects, as of q.AsOf, or now when
// q does not say. A query that breaks a rule is refused with KindMalformed,
// every bad parameter named.
func (s *Service) Search(ctx context.Context, q *SearchQuery) (*SearchResult, error) {
	var v Validation
	run := q.normalized(&v, s.now())
	if err := v.queryErr(); err != nil {
		return nil, err
	}
	var res *SearchResult
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		res, err = tx.SearchAccounts(ctx, run)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.AsOf = run.AsOf
	return res, nil
}
