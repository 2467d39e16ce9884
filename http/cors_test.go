package http_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	accounthttp "accountd/http"
)

func TestParseCORSRefusesWhatIsNoOrigin(t *testing.T) {
	for _, list := range []string{"example.com", "https://app.example.com/path", "ftp://example.com",
		"https://*", "https://a.*.example.com", "https://user@example.com", "https://*example.com", "https://..example.com"} {
		if _, err := accounthttp.ParseCORS(list); err == nil {
			t.Errorf("ParseCORS(%q) took it", list)
		}
	}
	if _, err := accounthttp.ParseCORS(" https://app.example.com, http://127.0.0.1:3000 ,https://*.example.org,"); err != nil {
		t.Fatal(err)
	}
}

// TestCORS checks, against the whole handler on a real store, that an
// allowed origin's preflight is answered on every path, the API's routes,
// unknown paths and wrong methods alike, that its answers carry the
// headers a page needs to read them, and that any other origin gets none.
func TestCORS(t *testing.T) {
	e := newEnv(t)
	cors, err := accounthttp.ParseCORS("http://127.0.0.1:18301, https://*.example.com")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveValidated(t, accounthttp.NewServer(e.svc, e.store, slog.New(slog.NewJSONHandler(io.Discard, nil)), accounthttp.Config{CORS: cors}))
	token := e.register("cors@example.com", "Cora", "Origin").Token

	send := func(method, path, origin string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	preflight := map[string]string{"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization, content-type, x-csrf-token"}

	for _, origin := range []string{"http://127.0.0.1:18301", "https://app.example.com", "https://a.b.example.com"} {
		for _, path := range []string{"/v1/account", "/v1/account/update", "/v1/no-such-route", "/healthz"} {
			res := send("OPTIONS", path, origin, preflight)
			if res.StatusCode != http.StatusNoContent {
				t.Errorf("preflight %s from %s: %d, want 204", path, origin, res.StatusCode)
			}
			h := res.Header
			if h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
				h.Get("Access-Control-Max-Age") == "" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "PATCH") {
				t.Errorf("preflight %s from %s: headers %v", path, origin, h)
			}
			for _, want := range []string{"Authorization", "Content-Type", "X-CSRF-Token"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
					t.Errorf("preflight %s from %s: Access-Control-Allow-Headers %q lacks %s", path, origin, h.Get("Access-Control-Allow-Headers"), want)
				}
			}
		}
		res := send("GET", "/v1/account", origin, map[string]string{"Authorization": "Bearer " + token})
		h := res.Header
		if res.StatusCode != http.StatusOK || h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
			h.Get("Access-Control-Expose-Headers") != "Retry-After, X-Request-Id, ETag" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("GET /v1/account from %s: %d, headers %v", origin, res.StatusCode, h)
		}
		// Errors are readable too, or a page could not show why.
		if res := send("GET", "/v1/account", origin, nil); res.StatusCode != http.StatusUnauthorized || res.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("GET /v1/account without a token from %s: %d, Access-Control-Allow-Origin %q", origin, res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
		}
	}

	for _, origin := range []string{"http://127.0.0.1:18302", "https://127.0.0.1:18301", "http://127.0.0.1", "https://example.com",
		"https://evil-example.com", "https://example.com.evil.net", "http://app.example.com", "https://app.example.com:8443", "null"} {
		res := send("OPTIONS", "/v1/account", origin, preflight)
		if res.StatusCode == http.StatusNoContent {
			t.Errorf("preflight from %s: 204, want it refused", origin)
		}
		for _, r := range []*http.Response{res, send("GET", "/v1/account", origin, map[string]string{"Authorization": "Bearer " + token})} {
			for name := range r.Header {
				if strings.HasPrefix(name, "Access-Control-") {
					t.Errorf("%s from %s: %s: %s", r.Request.Method, origin, name, r.Header.Get(name))
				}
			}
		}
	}
	if res := send("GET", "/v1/account", "", map[string]string{"Authorization": "Bearer " + token}); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET without Origin: Access-Control-Allow-Origin %q", res.Header.Get("Access-Control-Allow-Origin"))
	}
}
