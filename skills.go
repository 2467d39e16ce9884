package accountd

import (
	_ "embed"
	"maps"
	"slices"
	"strings"
	"sync"
)

// skillsCatalogue lists common skills by category, one category a line:
// "category: skill, skill, …". It ships inside the binary.
//
//go:embed skills.txt
var skillsCatalogue string

var (
	skillsOnce sync.Once
	skills     map[string][]string // tag key → categories
)

// SkillCategories returns the categories of a known skill, or an empty list.
func SkillCategories(key string) []string {
	loadSkills()
	return append([]string{}, skills[key]...)
}

// Skills returns the keys of every skill in the catalogue, in order.
func Skills() []string {
	loadSkills()
	keys := slices.Collect(maps.Keys(skills))
	slices.Sort(keys)
	return keys
}

func loadSkills() {
	skillsOnce.Do(func() {
		skills = make(map[string][]string)
		for _, line := range strings.Split(skillsCatalogue, "\n") {
			category, list, ok := strings.Cut(line, ":")
			if !ok || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			category = strings.TrimSpace(category)
			for _, skill := range strings.Split(list, ",") {
				if k := TagKey(skill); k != "" {
					skills[k] = append(skills[k], category)
				}
			}
		}
	})
}
