package accountd

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// textKind is what a text field holds, and so what it may contain.
type textKind int

const (
	lineText  textKind = iota // one line: no control characters
	proseText                 // lines: line breaks too
	nameText                  // a name or title: one line, and no invisible format characters
)

// cleanText trims s and checks that it is text of its kind and at most max
// characters; required says whether it may be empty.
func cleanText(v *Validation, field, s string, max int, required bool, kind textKind) string {
	s = strings.TrimSpace(s)
	switch problem := textProblem(s, kind); {
	case problem != "":
		v.Add(field, "%s", problem)
	case required && s == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters", max)
	}
	return s
}

// textProblem says what makes s unfit as text of its kind, or "" when
// nothing does. encoding/json decodes invalid UTF-8 and an unpaired
// surrogate escape such as "\ud800" to U+FFFD, so that character stands for
// both and is refused with them.
func textProblem(s string, kind textKind) string {
	forbidden := unicode.IsControl
	if kind == proseText {
		forbidden = func(r rune) bool { return r != '\n' && unicode.IsControl(r) }
	}
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError):
		return "must be valid UTF-8 text, without unpaired surrogate escapes such as \\ud800"
	case strings.IndexFunc(s, forbidden) >= 0:
		return "must not contain control characters"
	case kind == nameText && hasFormatCharacter(s):
		return "must not contain invisible formatting characters such as zero-width spaces or direction overrides"
	}
	return ""
}

// validText reports whether s is one line of text.
func validText(s string) bool { return textProblem(s, lineText) == "" }

// hasFormatCharacter reports whether s holds a Unicode format character
// (category Cf: zero-width spaces, direction overrides and the like), which
// would let a name look like another or like nothing. The zero-width
// joiner and non-joiner are spelling between two letters in Persian and
// Indic names, and are kept there.
func hasFormatCharacter(s string) bool {
	var prev rune
	for i, r := range s {
		if !unicode.Is(unicode.Cf, r) {
			prev = r
			continue
		}
		if r != '\u200c' && r != '\u200d' {
			return true
		}
		next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):])
		if !isLetterOrMark(prev) || !isLetterOrMark(next) {
			return true
		}
		prev = r
	}
	return false
}

func isLetterOrMark(r rune) bool { return unicode.IsLetter(r) || unicode.IsMark(r) }

// Truncate is s cut to at most n bytes, at a character boundary: a
// client's text short enough to store or quote in a message.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
