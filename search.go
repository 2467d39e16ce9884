package accountd

import (
	"context"
	"strconv"
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

// SearchQuery selects listed accounts: live and not private. Empty fields
// do not filter.
type SearchQuery struct {
	// Text is folded (see FoldText) and matches a substring of the first
	// name, last name, user name or bio title.
	Text string
	// TagKeys are tag keys; an account must have all of them, or any of
	// them when AnyTag is set.
	TagKeys []string
	AnyTag  bool
	Role    string
	// CompletenessMin and CompletenessMax bound profileCompleteness,
	// inclusive; they are 0 and 100 when not given.
	CompletenessMin, CompletenessMax int
	// OwnerID keeps the accounts this account created (see CreateManaged).
	OwnerID string
	// BookmarkedBy keeps the accounts this account has bookmarked.
	BookmarkedBy string
	// AsOf, when set, keeps only accounts created before it. Search sets
	// it to now unless the client gives the AsOf of an earlier page, so
	// that a client walking the pages of one search does not see accounts
	// created meanwhile push the rest from one page onto the next.
	AsOf time.Time
	// ViewerID is whose bookmarks each hit reports.
	ViewerID string
	Sort     SearchSort
	Page     int // from 1
	Limit    int
}

// Offset is the number of hits before the query's page.
func (q *SearchQuery) Offset() int { return (q.Page - 1) * q.Limit }

// SearchResult is one page of hits and how many there are in all.
type SearchResult struct {
	Total int
	Hits  []SearchHit
}

// SearchHit is an account found, and the viewer's bookmark of it, if any.
type SearchHit struct {
	Account    *Account
	BookmarkID string
}

// Pages is the number of pages of q.Limit hits that hold Total.
func (r *SearchResult) Pages(limit int) int { return (r.Total + limit - 1) / limit }

// ParseSearch reads a search from query parameters, got by name. Unknown
// parameters are the caller's to ignore; a bad value is refused with every
// wrong parameter named. owner=true keeps the viewer's own managed accounts.
func ParseSearch(get func(name string) string, viewerID string) (*SearchQuery, error) {
	var v Validation
	q := &SearchQuery{ViewerID: viewerID, Sort: SortNewest}
	q.Page = intParam(&v, get, "page", 1, 1, 1<<31-1)
	q.Limit = intParam(&v, get, "limit", DefaultSearchLimit, 1, MaxSearchLimit)
	q.CompletenessMin = intParam(&v, get, "profileCompletenessMin", 0, 0, 100)
	q.CompletenessMax = intParam(&v, get, "profileCompletenessMax", 100, 0, 100)
	if q.CompletenessMin > q.CompletenessMax {
		v.Add("profileCompletenessMin", "must not be greater than profileCompletenessMax")
	}
	if offset := int64(q.Page-1) * int64(q.Limit); offset > 1<<31-1 {
		v.Add("page", "is too far: page × limit must stay under 2147483647")
	}

	if s := get("asOf"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.Add("asOf", "must be a time like 2025-05-01T16:30:35.866Z, as a search's first page returns it")
		}
		q.AsOf = t.UTC().Truncate(time.Millisecond)
	}
	if s := get("search"); s != "" {
		text := cleanText(&v, "search", s, MaxSearchLength, false, lineText)
		q.Text = FoldText(text)
	}
	if s := get("tags"); s != "" {
		seen := map[string]bool{}
		for name := range strings.SplitSeq(s, ",") {
			key := TagKey(name)
			switch {
			case key == "" || seen[key]:
				continue
			case !validText(name) || len([]rune(key)) > MaxTagLength:
				v.Add("tags", "%q is not a tag: at most %d characters, no control characters", truncate(name, 60), MaxTagLength)
				continue
			}
			seen[key] = true
			q.TagKeys = append(q.TagKeys, key)
		}
		if len(q.TagKeys) > MaxSearchTags {
			v.Add("tags", "names %d tags; at most %d", len(q.TagKeys), MaxSearchTags)
		}
	}
	switch m := get("tagsMatch"); m {
	case "", "all":
	case "any":
		q.AnyTag = true
	default:
		v.Add("tagsMatch", "must be all or any, not %q", truncate(m, 40))
	}
	if r := get("role"); r != "" {
		if !isOneOf(r, Roles) {
			v.Add("role", "must be one of %s", strings.Join(Roles, ", "))
		}
		q.Role = r
	}
	switch o := get("owner"); o {
	case "", "false":
	case "true":
		q.OwnerID = viewerID
	default:
		v.Add("owner", "must be true or false")
	}
	if s := get("sort"); s != "" {
		q.Sort = SearchSort(s)
		if !isOneOf(q.Sort, searchSorts) {
			names := make([]string, len(searchSorts))
			for i, s := range searchSorts {
				names[i] = string(s)
			}
			v.Add("sort", "must be one of %s", strings.Join(names, ", "))
		}
	}
	if err := v.Err(); err != nil {
		return nil, asParameterError(err)
	}
	return q, nil
}

// asParameterError turns a validation failure of query parameters into the
// malformed request it is: the URL, not a body, was wrong.
func asParameterError(err error) error {
	e := err.(*Error)
	e.Kind, e.Code = KindMalformed, "invalid_parameter"
	e.Message = "A query parameter has a bad value: " + e.Fields[0].Field
	return e
}

// intParam reads a whole number between lo and hi, def when absent.
func intParam(v *Validation, get func(string) string, name string, def, lo, hi int) int {
	s := get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		v.Add(name, "must be a whole number from %d to %d", lo, hi)
		return def
	}
	return n
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

// Search finds the listed accounts q selects, as of q.AsOf, which it sets
// to now when it is not set.
func (s *Service) Search(ctx context.Context, q *SearchQuery) (*SearchResult, error) {
	if q.AsOf.IsZero() {
		q.AsOf = s.now()
	}
	var res *SearchResult
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		res, err = tx.SearchAccounts(ctx, q)
		return err
	})
	return res, err
}
