package http_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestDocsRoutes fetches the document and the docs page's files as a
// browser would, through the validating server every http test uses.
func TestDocsRoutes(t *testing.T) {
	e := newEnv(t)
	get := func(path, wantType string) []byte {
		t.Helper()
		res, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), wantType) {
			t.Fatalf("GET %s: %d %s, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), wantType)
		}
		return b
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Servers []struct{ URL string }    `json:"servers"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	served := get("/openapi.json", "application/json")
	if err := json.Unmarshal(served, &doc); err != nil {
		t.Fatal(err)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(served)
	if err == nil {
		err = loaded.Validate(t.Context())
	}
	if err != nil {
		t.Errorf("GET /openapi.json is no valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/" || doc.Paths["/v1/account"]["get"] == nil {
		t.Errorf("GET /openapi.json: openapi %q, servers %v, %d paths", doc.OpenAPI, doc.Servers, len(doc.Paths))
	}
	if page := string(get("/docs", "text/html")); !strings.Contains(page, "/docs/swagger-ui-bundle.js") {
		t.Errorf("GET /docs does not load the bundle: %s", page)
	}
	get("/docs/swagger-ui-bundle.js", "text/javascript")
	get("/docs/swagger-ui.css", "text/css")
	for _, path := range []string{"/docs/no-such-file.js", "/docs/index.html", "/docs/..%2Fapi.go"} {
		if code, _ := e.must(404, e.raw("GET", path, nil, nil)).errorData(t); code != "not_found" {
			t.Errorf("GET %s: code %q, want not_found", path, code)
		}
	}
}
