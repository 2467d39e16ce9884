// Package api holds the API's OpenAPI document, openapi.yaml, which
// describes every route of the HTTP server; the http package's tests check
// every request and answer they make against it.
package api

import _ "embed"

// YAML is the OpenAPI 3.1 document of the API.
//
//go:embed openapi.yaml
var YAML []byte
