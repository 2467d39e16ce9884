package http_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"accountd/api"
	accounthttp "accountd/http"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// apiDocument is api/openapi.yaml, loaded and validated once.
var apiDocument = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.YAML)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// The docs page's files are text the document describes as strings, and
// pictures binary strings.
func init() {
	for _, t := range []string{"text/html", "text/javascript", "text/css"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.PlainBodyDecoder)
	}
	for _, t := range []string{"image/jpeg", "image/png", "image/gif", "image/webp"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
	}
}

// apiRouter finds the operation of a request in apiDocument.
var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := apiDocument()
	if err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
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

// serveValidated starts a test server of h whose every request and answer
// is checked against api/openapi.yaml: t fails on any the document does not
// describe. Every server of these tests is one, so that no test can pass on
// an answer the document would not let a client expect.
func serveValidated(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	router, err := apiRouter()
	if err != nil {
		t.Fatalf("api/openapi.yaml: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("%s %s: reading the body: %v", r.Method, r.URL.Path, err)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		// The answer is held until it is checked, so that the client, and
		// so the test, cannot go on before a failure is recorded.
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		res := rec.Result()
		if err := checkExchange(router, r, body, res, rec.Body.Bytes()); err != nil {
			t.Errorf("%s %s answered %d, not as api/openapi.yaml says: %v", r.Method, r.URL.RequestURI(), res.StatusCode, err)
		}
		maps.Copy(w.Header(), res.Header)
		w.WriteHeader(res.StatusCode)
		w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// validation accepts any credentials: whether they sign in is the server's
// to say. A status the operation does not list fails.
var validation = func() *openapi3filter.Options {
	o := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
	}
	// The path and the reason, without the whole schema and value that
	// would bury them. A JSON Schema 2020-12 error, which has a cause, names
	// its paths in its reason.
	o.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		if errors.Unwrap(err) != nil {
			return err.Reason
		}
		return "at /" + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
	})
	return o
}()

// checkExchange checks the request r, with its body, and the answer res,
// with its, against the operation router finds. A request the server
// refused with a 4xx may break the document: the tests send bad requests
// on purpose, and that refusal is what the document promises. Preflights,
// and the 404 and 405 of a path or method the document lacks, are left to
// docs/api.md.
func checkExchange(router routers.Router, r *http.Request, body []byte, res *http.Response, resBody []byte) error {
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		return nil
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(req)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			return nil
		}
		return err
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: validation}
	var problems []error
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && (res.StatusCode < 400 || res.StatusCode >= 500) {
		problems = append(problems, fmt.Errorf("request: %w", err))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: validation}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		problems = append(problems, fmt.Errorf("response: %w", err))
	}
	return errors.Join(problems...)
}
