package searchindex

import (
	"slices"
	"strconv"
	"strings"

	"accountd"
)

// Facets put a listing's tags, role and completeness into the trigram
// full-text index beside its search text, so that FTS5 intersects them with
// the text and with each other as it walks its entries in seq order, and
// counts the matches without reading a listing. Each facet is one trigram:
// a kind letter and two characters from Unicode's Private Use Area that
// spell a number in base 6400. Facets are joined by spaces, which no facet
// holds, so the trigrams that straddle two facets never equal one; and
// queries name the facets column, so a name cannot match a facet either.
//
// Completeness moves in steps of ten, and a listing holds a completeness
// facet for every step it reaches, 0 included: "at least 70" is one term,
// and any range is at most one term and one NOT, however wide. A search
// with text names the text columns of the steps instead (see textSteps).
//
// A change to what listings hold needs a migration that runs Backfill,
// which rewrites every listing that differs.
const (
	facetTag          = 't'
	facetRole         = 'r'
	facetCompleteness = 'c'

	completenessStep = 10

	facetDigit0 = 0xE000
	facetRadix  = 6400
	// maxFacetValue is the largest number a facet can spell: tags.code
	// beyond it cannot be indexed.
	maxFacetValue = facetRadix*facetRadix - 1
)

func facet(kind rune, n int) string {
	return string([]rune{kind, rune(facetDigit0 + n/facetRadix), rune(facetDigit0 + n%facetRadix)})
}

// roleFacet numbers the known roles from 1; any other role is 0.
func roleFacet(role string) string {
	return facet(facetRole, slices.Index(accountd.Roles, role)+1)
}

// minTrigram is the shortest text the trigram index can look up; shorter
// text is found by reading every listing.
const minTrigram = 3

// A listing's search text is in the index column of its completeness step,
// text_0 to text_100, and in no other: a search with text then finds a
// completeness range by naming the columns of its steps, where a facet of
// completeness would have the index intersect the text with an entry that
// most listings hold. listing_text is the listings as these columns.
var textSteps = func() []int {
	var steps []int
	for step := 0; step <= 100; step += completenessStep {
		steps = append(steps, step)
	}
	return steps
}()

func textStep(completeness int) int { return completeness / completenessStep * completenessStep }

func textColumn(step int) string { return "text_" + strconv.Itoa(step) }

// textColumnsFrom is the FTS5 column filter of the completeness steps from
// from up to, and without, beyond.
func textColumnsFrom(from, beyond int) string {
	var columns []string
	for _, step := range textSteps {
		if step >= from && step < beyond {
			columns = append(columns, textColumn(step))
		}
	}
	return "{" + strings.Join(columns, " ") + "}"
}

// ftsString quotes s as an FTS5 string, which matches it as a phrase.
func ftsString(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
