package http

import "testing"

func TestMediaBase(t *testing.T) {
	for _, public := range []string{"https://accounts.example.com", "https://accounts.example.com/"} {
		if got := *newMediaBase(public).url("ab12"); got != "https://accounts.example.com/v1/media/ab12" {
			t.Errorf("%s: %s", public, got)
		}
	}
	if newMediaBase("https://accounts.example.com").url("") != nil {
		t.Error("no picture has a URL")
	}
}
