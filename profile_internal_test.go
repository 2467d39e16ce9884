package accountd

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestPhoneCacheAnswersAsPhonenumbers: a number seen before gets the answer
// phonenumbers gives, from any goroutine, and the cache stays bounded.
func TestPhoneCacheAnswersAsPhonenumbers(t *testing.T) {
	inputs := []string{"+442071838750", " +1 415 555 2671 ", "+4412345678987", "+44 call me", "+", "++44",
		"+44 20 7183 8750" + strings.Repeat(" ", 100), "+" + strings.Repeat("1", maxCachedPhoneLen)}
	want := func(s string) (string, []FieldError) {
		var v Validation
		s = strings.TrimSpace(s)
		n, err := phonenumbers.Parse(s, "")
		if err != nil || !phonenumbers.IsValidNumber(n) {
			v.Add("phone", "is not a valid phone number for its country code")
			return s, v.fields
		}
		return phonenumbers.Format(n, phonenumbers.E164), nil
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 3 {
				for _, in := range inputs {
					var v Validation
					got := normalizePhone(&v, "phone", in)
					if e164, fields := want(in); got != e164 || !reflect.DeepEqual(v.fields, fields) {
						t.Errorf("normalizePhone(%q) = %q %v, want %q %v", in, got, v.fields, e164, fields)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range maxCachedPhones + 10 {
			phoneE164(fmt.Sprintf("+1415555%04d", i))
		}
	})
	wg.Wait()
	phoneCache.Lock()
	defer phoneCache.Unlock()
	if n := len(phoneCache.results); n > maxCachedPhones {
		t.Fatalf("the phone cache holds %d numbers, over %d", n, maxCachedPhones)
	}
	for s := range phoneCache.results {
		if len(s) > maxCachedPhoneLen {
			t.Fatalf("the phone cache holds a number %d bytes long", len(s))
		}
	}
}

// seedPatch is the profile patch of the seed's PATCH body, as the benchmark
// in cmd/accountd sends it (patchBody with seedTags): a fresh one for each
// call, since Normalize runs once per patch.
func seedPatch() *ProfilePatch {
	s := func(v string) *string { return &v }
	tags := []string{"product", "writing", "custom", "engineering", "devops", "web3", "crypto"}
	return &ProfilePatch{
		FirstName: s("Alice"), LastName: s("Bob"),
		Country: s("England"), State: s("Manchester"), City: s("Manchester"), Address: s("30, alice bob blvd."), Phone: s("+442071838750"),
		Title: s("Software Engineer"), Description: s("Builds software Products"),
		About: s("About this user?. User is the best developer in the solar system"), Availability: s("available"), Tags: &tags,
		GitHub: s("https://github.com/tester"), Twitter: s("https://twitter.com/tester"),
		LinkedIn: s("https://linkedin.com/tester"), Website: s("https://mywebsite.com"),
	}
}

// BenchmarkNormalizePhone normalizes the seed's phone number, as a client
// resending its profile does, and as the first sight of a number.
func BenchmarkNormalizePhone(b *testing.B) {
	for _, seen := range []bool{true, false} {
		b.Run(fmt.Sprintf("seen=%v", seen), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !seen {
					phoneCache.Lock()
					clear(phoneCache.results)
					phoneCache.Unlock()
				}
				var v Validation
				if normalizePhone(&v, "profile.contact.phone", "+442071838750") != "+442071838750" || v.Err() != nil {
					b.Fatal("the seed's phone is refused")
				}
			}
		})
	}
}

func BenchmarkProfilePatchNormalize(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := seedPatch().Normalize(); err != nil {
			b.Fatal(err)
		}
	}
}
