// Package http serves the account API over HTTP: handlers decode a request,
// call the domain service and encode its answer in the envelope.
package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"accountd"
	"accountd/api"
)

// Pinger reports whether the store is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the HTTP face of the service.
type Server struct {
	svc     *accountd.Service
	store   Pinger
	log     *slog.Logger
	proxies Proxies
	cookies cookies
	metrics RequestMetrics
	media   mediaBase
	// document is GET /openapi.json's answer, made once.
	document []byte
	// uploads holds a place for each upload held in memory (maxUploads).
	uploads chan struct{}
	mux     *http.ServeMux
	// patterns are the routes' patterns, in the order routes registers them.
	patterns []string
	handler  http.Handler
}

// Config is what the HTTP face is told beside the service.
type Config struct {
	Proxies Proxies
	CORS    CORS
	// PublicURL is the service's base URL; a plain http one makes the
	// session cookie not Secure.
	PublicURL string
	// Metrics, when set, is told of every request answered.
	Metrics RequestMetrics
}

// RequestMetrics counts answered requests by the pattern of the route
// that served them ("" when none did), status and duration.
type RequestMetrics interface {
	ObserveRequest(route string, status int, d time.Duration)
}

// NewServer returns the handler of the whole API.
func NewServer(svc *accountd.Service, store Pinger, log *slog.Logger, c Config) *Server {
	s := &Server{svc: svc, store: store, log: log, proxies: c.Proxies,
		cookies: newCookies(c.PublicURL, c.CORS), metrics: c.Metrics, media: newMediaBase(c.PublicURL),
		uploads: make(chan struct{}, maxUploads), mux: http.NewServeMux()}
	doc, err := api.JSON(c.PublicURL)
	if err != nil {
		panic(err) // the document is in the binary: a test fails first
	}
	s.document = doc
	s.routes()
	s.handler = s.withRequestLog(c.CORS.withCORS(s.withRecover(http.HandlerFunc(s.route))))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.handle("GET /healthz", s.public(s.healthz))
	s.handle("GET /readyz", s.public(s.readyz))
	s.handle("GET /openapi.json", s.public(s.openAPI))
	s.handle("GET /docs", s.public(s.docsPage))
	s.handle("GET /docs/{file}", s.public(s.docsFile))

	s.handle("POST /v1/auth/register", s.public(s.register))
	s.handle("POST /v1/auth/login", s.public(s.login))
	s.handle("POST /v1/auth/login/2fa", s.public(s.completeLogin))
	s.handle("POST /v1/auth/password/forgot", s.public(s.forgotPassword))
	s.handle("POST /v1/auth/password/reset", s.public(s.resetPassword))
	s.handle("POST /v1/auth/email/verify", s.private(s.verifyEmail))
	s.handle("POST /v1/auth/email/resend", s.private(s.resendVerification))

	s.handle("GET /v1/account", s.private(s.getAccount))
	s.handle("PATCH /v1/account/update", s.private(s.updateProfile))
	s.handle("GET /v1/account/user/{id}", s.private(s.getPublicAccount))
	s.handle("POST /v1/account/delete-account", s.private(s.deleteAccount))
	s.handle("POST /v1/account/logout", s.private(s.logout))
	s.handle("PUT /v1/account/password/change", s.private(s.changePassword))
	s.handle("GET /v1/account/sessions", s.private(s.listSessions))
	s.handle("POST /v1/account/initiate/2fa", s.private(s.initiateTwoFA))
	s.handle("POST /v1/account/activate/2fa", s.private(s.activateTwoFA))
	s.handle("POST /v1/account/deactivate/2fa", s.private(s.deactivateTwoFA))
	s.handle("POST /v1/account/2fa/email", s.private(s.sendTwoFAEmail))
	s.handle("DELETE /v1/account/sessions/{id}", s.private(s.endSession))
	s.handle("PUT /v1/account/image", s.private(s.putPicture(accountd.ProfileImage)))
	s.handle("DELETE /v1/account/image", s.private(s.deletePicture(accountd.ProfileImage)))
	s.handle("PUT /v1/account/background", s.private(s.putPicture(accountd.BackgroundImage)))
	s.handle("DELETE /v1/account/background", s.private(s.deletePicture(accountd.BackgroundImage)))
	s.handle("GET /v1/media/{key}", s.public(s.getMedia))
	s.handle("GET /v1/account/user", s.private(s.searchAccounts))
	s.handle("POST /v1/account/bookmarks", s.private(s.addBookmark))
	s.handle("GET /v1/account/bookmarks", s.private(s.listBookmarks))
	s.handle("DELETE /v1/account/bookmarks/{id}", s.private(s.removeBookmark))
	s.handle("GET /v1/tags", s.public(s.listTags))
	s.handle("POST /v1/admin/accounts", s.private(s.createManagedAccount))
	s.handle("PATCH /v1/admin/accounts/{id}", s.private(s.adminUpdateAccount))
}

// handle registers a route.
func (s *Server) handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// Routes lists the pattern of every route, such as
// "GET /v1/account/user/{id}": what the API's document must describe.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

// route dispatches to the mux, but answers unknown paths and methods with
// the envelope rather than the mux's plain text.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		// Through the mux itself: Handler does not set the path values.
		s.mux.ServeHTTP(w, r)
		return
	}
	probe := &statusProbe{header: http.Header{}}
	h.ServeHTTP(probe, r)
	if allow := probe.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if probe.status == http.StatusMethodNotAllowed {
		writeEnvelope(w, probe.status, envelope{Status: "error", Message: "This path does not take " + r.Method,
			Data: errorData{Code: "method_not_allowed"}})
		return
	}
	writeEnvelope(w, http.StatusNotFound, envelope{Status: "error", Message: "No such endpoint: " + shortPath(r.URL.Path),
		Data: errorData{Code: "not_found"}})
}

// statusProbe records what the mux's own fallback handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// public adapts a handler that returns its failure.
func (s *Server) public(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// caller is the signed-in session and account of a request.
type caller struct {
	session  *accountd.Session
	account  *accountd.Account
	byCookie bool // signed in by the session cookie, not a bearer token
}

// private is public behind the sign-in check: a bearer token, or the
// session cookie with its CSRF guard.
func (s *Server) private(h func(http.ResponseWriter, *http.Request, *caller) error) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		cred, err := requestCredential(r)
		if err != nil {
			return err
		}
		if err := s.cookies.check(r, cred); err != nil {
			return err
		}
		sess, a, err := s.svc.Authenticate(r.Context(), cred.token)
		if err != nil {
			return err
		}
		return h(w, r, &caller{session: sess, account: a, byCookie: cred.byCookie})
	})
}

// bearerToken is the token of the request's Authorization header, or ""
// when it has none or another scheme. The scheme is matched regardless of
// case (RFC 9110 §11.1). Two headers are refused: a proxy that appends one
// to the client's could otherwise make the request act as someone else.
func bearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch {
	case len(values) > 1:
		return "", &requestError{http.StatusBadRequest, "duplicate_authorization", "Send one Authorization header, not several"}
	case len(values) == 0:
		return "", nil
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	return strings.TrimSpace(token), nil
}

func (s *Server) withRecover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panicked", "panic", v, "stack", string(debug.Stack()))
				writeEnvelope(w, http.StatusInternalServerError, envelope{Status: "error",
					Message: "Something went wrong on our side; try again later", Data: errorData{Code: "internal"}})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		if s.metrics != nil {
			// The mux has set the pattern on this very request.
			s.metrics.ObserveRequest(r.Pattern, rec.status, took)
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id), slog.String("client", s.proxies.clientAddr(r)),
			slog.String("method", r.Method), slog.String("path", shortPath(r.URL.Path)),
			slog.Int("status", rec.status), slog.Float64("duration_ms", float64(took.Microseconds())/1000))
	})
}

// maxPathShown bounds a path in the log and in answers: a request line may
// be a megabyte long, and neither needs more than its start.
const maxPathShown = 512

// shortPath is p, or its first maxPathShown bytes marked as cut.
func shortPath(p string) string {
	if len(p) <= maxPathShown {
		return p
	}
	return fmt.Sprintf("%s… (cut from %d bytes)", p[:maxPathShown], len(p))
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// Waiting is the handler of a service that waits for its store at start:
// the process is up, GET /healthz answers 200, and every other request 503
// store_unavailable with Retry-After, as while serving when the store is
// out of reach.
func Waiting(log *slog.Logger) http.Handler {
	s := &Server{log: log}
	return s.withRequestLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/healthz" {
			writeOK(w, http.StatusOK, "OK", empty)
			return
		}
		writeError(w, r, log, errStarting)
	}))
}

var (
	errStarting = &accountd.Error{Kind: accountd.KindUnavailable, Code: "store_unavailable",
		Message: "The service is starting and cannot reach its store yet; try again shortly", RetryAfter: 5 * time.Second}
	errUnreachable = &accountd.Error{Kind: accountd.KindUnavailable, Code: "store_unavailable",
		Message: "The store cannot be reached", RetryAfter: 5 * time.Second}
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeOK(w, http.StatusOK, "OK", empty)
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "store not reachable", "err", err)
		return errUnreachable
	}
	writeOK(w, http.StatusOK, "OK", empty)
	return nil
}
