package accountd

import "testing"

// TestNormalizePhone: the international format of docs/api.md, which takes
// the API's own example, drops separators and refuses what is no phone.
func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct {
		in, want string
		valid    bool
	}{
		{"+4412345678987", "+4412345678987", true}, // the API's example: no UK number, still valid
		{" +44 20 7183 8750 ", "+442071838750", true},
		{"+1 (415) 555-2671", "+14155552671", true},
		{"+49.30.1234567", "+49301234567", true},
		{"+80012345678", "+80012345678", true},         // a non-geographic calling code
		{"+12345678", "+12345678", true},               // 8 digits in all
		{"+123456789012345", "+123456789012345", true}, // 15
		{"+1234567", "", false},                        // 7
		{"+1234567890123456", "", false},               // 16
		{"+0123456789", "", false},                     // no calling code starts with 0
		{"+2812345678", "", false},                     // 28 and 281 are no calling codes
		{"020 7183 8750", "", false},
		{"+44 call me", "", false},
		{"+44 20 7183 8750 ext 2", "", false},
		{"++4412345678", "", false},
		{"+", "", false},
		{"+٤٤١٢٣٤٥٦٧٨٩", "", false}, // digits, but not ASCII ones
	} {
		var v Validation
		got := normalizePhone(&v, "phone", c.in)
		if c.valid && (v.Err() != nil || got != c.want) {
			t.Errorf("normalizePhone(%q) = %q, %v; want %q", c.in, got, v.Err(), c.want)
		}
		if !c.valid && (len(v.fields) != 1 || v.fields[0].Field != "phone") {
			t.Errorf("normalizePhone(%q) = %q, %v; want it refused", c.in, got, v.fields)
		}
	}
	var v Validation
	if got := normalizePhone(&v, "phone", "  "); got != "" || v.Err() != nil {
		t.Errorf("a blank phone = %q, %v; want it cleared", got, v.Err())
	}
}

// examplePatch is the patch of the PATCH body docs/api.md shows, which the
// benchmark in cmd/accountd-bench sends too.
func examplePatch() ProfilePatch {
	s := func(v string) *string { return &v }
	tags := []string{"product", "writing", "custom", "engineering", "devops", "web3", "crypto"}
	return ProfilePatch{
		FirstName: s("Alice"), LastName: s("Bob"),
		Country: s("England"), State: s("Manchester"), City: s("Manchester"), Address: s("30, alice bob blvd."), Phone: s("+4412345678987"),
		Title: s("Software Engineer"), Description: s("Builds software Products"),
		About: s("About this user?. User is the best developer in the solar system"), Availability: s("available"), Tags: &tags,
		GitHub: s("https://github.com/tester"), Twitter: s("https://twitter.com/tester"),
		LinkedIn: s("https://linkedin.com/tester"), Website: s("https://mywebsite.com"),
	}
}

func BenchmarkProfilePatchNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := examplePatch().Normalize(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTextProblem: what each kind of text field refuses.
func TestTextProblem(t *testing.T) {
	for _, c := range []struct {
		s       string
		kind    textKind
		refused bool
	}{
		{"Ada Lovelace", nameText, false},
		{"José Ñúñez", nameText, false},
		{"علی\u200cرضا", nameText, false}, // a Persian name spelled with a zero-width non-joiner
		{"\u200b\u200b", nameText, true},  // nothing but zero-width spaces
		{"\u200c", nameText, true},        // a joiner between no letters
		{"Ada\u200c", nameText, true},
		{"Ada\u200c\u200cLovelace", nameText, true},
		{"Ada\u200bLovelace", nameText, true},
		{"evil\u202egnp.exe", nameText, true}, // a right-to-left override
		{"\ufeffAda", nameText, true},
		{"Ada\u2066", nameText, true},
		{"Ada\u200bLovelace", lineText, false}, // an address may hold what it likes but control characters
		{"Ada\x07", lineText, true},
		{"Ada\uFFFD", lineText, true}, // what encoding/json makes of "\ud800"
		{"Ada\xff", proseText, true},
		{"Line one.\nLine two.", proseText, false},
		{"Line one.\nLine two.", lineText, true},
	} {
		if got := textProblem(c.s, c.kind); (got != "") != c.refused {
			t.Errorf("textProblem(%q, %d) = %q, want refused %v", c.s, c.kind, got, c.refused)
		}
	}
}
