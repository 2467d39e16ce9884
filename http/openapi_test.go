package http_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"accountd/api"
	accounthttp "accountd/http"

	"github.com/getkin/kin-openapi/openapi3"
)

// apiDocument is api/openapi.yaml, loaded and validated once.
var apiDocument = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.YAML)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// TestOpenAPIRoutes checks that api/openapi.yaml is a valid document that
// describes every route the server registers, and no other.
func TestOpenAPIRoutes(t *testing.T) {
	doc, err := apiDocument()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	// Routes touches no service: it lists the patterns NewServer registered.
	for _, route := range accounthttp.NewServer(nil, nil, slog.New(slog.DiscardHandler), accounthttp.Config{}).Routes() {
		if !documented[route] {
			t.Errorf("the server registers %s, which api/openapi.yaml does not describe", route)
		}
		delete(documented, route)
	}
	for route := range documented {
		t.Errorf("api/openapi.yaml describes %s, which the server does not register", route)
	}
}
