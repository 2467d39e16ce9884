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
