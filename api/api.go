// Package api holds the API's OpenAPI document, openapi.yaml, which
// describes every route of the HTTP server; the http package's tests check
// every request and answer they make against it.
package api

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v4"
)

// YAML is the OpenAPI 3.1 document of the API.
//
//go:embed openapi.yaml
var YAML []byte

// JSON is the document as JSON, as GET /openapi.json serves it, with
// publicURL as its one server ("/", the server it came from, when empty).
func JSON(publicURL string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(YAML, &doc); err != nil {
		return nil, fmt.Errorf("api/openapi.yaml: %w", err)
	}
	if publicURL == "" {
		publicURL = "/"
	}
	doc["servers"] = []map[string]string{{"url": publicURL, "description": "This server."}}
	return json.Marshal(doc)
}
