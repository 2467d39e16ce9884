package http

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPanicBecomesA500Envelope: a bug in a handler answers 500 in the
// envelope, logs the panic, and shows the client nothing of it.
func TestPanicBecomesA500Envelope(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logged, nil))}
	h := s.withRequestLog(s.withRecover(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal detail")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/account", nil))
	body, _ := io.ReadAll(rec.Body)
	var env struct {
		Status, Message string
		Data            struct{ Code string }
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("not an envelope: %q", body)
	}
	if rec.Code != 500 || env.Status != "error" || env.Data.Code != "internal" || strings.Contains(string(body), "secret") {
		t.Fatalf("%d %s", rec.Code, body)
	}
	if !strings.Contains(logged.String(), "secret internal detail") || !strings.Contains(logged.String(), `"status":500`) {
		t.Fatalf("the panic was not logged with its status: %s", logged.String())
	}
}

// TestLongPathIsCut: a path of a megabyte costs neither the log nor the
// answer a megabyte.
func TestLongPathIsCut(t *testing.T) {
	var logged bytes.Buffer
	s := &Server{log: slog.New(slog.NewJSONHandler(&logged, nil)), mux: http.NewServeMux()}
	h := s.withRequestLog(http.HandlerFunc(s.route))
	path := "/" + strings.Repeat("a", 1_000_000)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 404 || rec.Body.Len() > 2*maxPathShown {
		t.Errorf("answer %d of %d bytes", rec.Code, rec.Body.Len())
	}
	var record struct{ Path string }
	if err := json.Unmarshal(logged.Bytes(), &record); err != nil {
		t.Fatal(err)
	}
	if logged.Len() > 2*maxPathShown || record.Path != path[:maxPathShown]+"… (cut from 1000001 bytes)" {
		t.Errorf("logged %d bytes: path %q", logged.Len(), record.Path)
	}
}
