package accountd

import (
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

// NewTag returns the document a tag gets on its first use.
func NewTag(now time.Time, name string) Tag {
	now = now.UTC().Truncate(time.Millisecond)
	key := TagKey(name)
	return Tag{
		ID: NewID(now), Name: strings.Join(strings.Fields(name), " "), Key: key, Color: TagColor(key),
		Categories: SkillCategories(key), CreatedAt: now, UpdatedAt: now,
	}
}
