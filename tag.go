package accountd

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

// Tag is a skill tag, shared by every account that uses it.
type Tag struct {
	ID         string
	Name       string // as first used
	Key        string // TagKey(Name): what makes two names the same tag
	Color      string // #RRGGBB, derived from Key
	Categories []string
	IsParent   bool
	Type       string
	EntryCount int // live accounts using the tag, kept exact by the store
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const (
	MaxTags      = 30
	MaxTagLength = 50
)

// TagKey is name lower-cased, trimmed, with inner runs of white space
// collapsed to one space.
func TagKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// TagColor is a stable colour for key, the same on every instance and run.
func TagColor(key string) string {
	h := sha256.Sum256([]byte(key))
	return fmt.Sprintf("#%02X%02X%02X", h[0], h[1], h[2])
}

// DistinctTags is tags without a second tag of the same Key, which would
// count an account twice, in order.
func DistinctTags(tags []Tag) []Tag {
	seen := make(map[string]bool, len(tags))
	out := make([]Tag, 0, len(tags))
	for _, tag := range tags {
		if !seen[tag.Key] {
			seen[tag.Key] = true
			out = append(out, tag)
		}
	}
	return out
}

// NewTag returns the document a tag gets on its first use.
func NewTag(now time.Time, name string) Tag {
	now = now.UTC().Truncate(time.Millisecond)
	key := TagKey(name)
	return Tag{
		ID: NewID(now), Name: strings.Join(strings.Fields(name), " "), Key: key, Color: TagColor(key),
		Categories: SkillCategories(key), CreatedAt: now, UpdatedAt: now,
	}
}

// Tag listing limits.
const (
	DefaultTagLimit = 20
	MaxTagLimit     = 100
)

// TagLimitRange is the numbers a tag listing's limit takes.
var TagLimitRange = Range{Min: 1, Max: MaxTagLimit}

// TagQuery selects tags whose key contains Text, most used first.
type TagQuery struct {
	Text  string // what the key contains; Tags reduces it to a TagKey
	Limit int
}

// NewTagQuery is the tag listing that asks for nothing in particular:
// every default, for a transport to override with what the client gives.
func NewTagQuery() *TagQuery { return &TagQuery{Limit: DefaultTagLimit} }

// Validate returns nil when q keeps every rule of a tag listing, and
// otherwise the refusal Tags answers: every bad parameter named, after
// those a transport could not read and recorded on v.
func (q *TagQuery) Validate(v *Validation) error {
	q.normalized(v)
	return v.queryErr()
}

// normalized is q as stores run it, its text a TagKey. It records on v
// every rule q breaks, under the name of the API's parameter.
func (q *TagQuery) normalized(v *Validation) *TagQuery {
	run := *q
	TagLimitRange.check(v, "limit", q.Limit, DefaultTagLimit)
	if q.Text != "" {
		if !validText(q.Text) || len([]rune(q.Text)) > MaxTagLength {
			v.Add("search", "must be at most %d characters, no control characters", MaxTagLength)
		}
		run.Text = TagKey(q.Text)
	}
	return &run
}

// Tags lists tags by EntryCount, most used first, then by name. A query
// that breaks a rule is refused with KindMalformed, every bad parameter
// named.
func (s *Service) Tags(ctx context.Context, q *TagQuery) ([]Tag, error) {
	var v Validation
	run := q.normalized(&v)
	if err := v.queryErr(); err != nil {
		return nil, err
	}
	var tags []Tag
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		tags, err = tx.Tags(ctx, run)
		return err
	})
	return tags, err
}
