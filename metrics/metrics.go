// Package metrics keeps the service's Prometheus metrics and serves them
// in the text format, on a listener of their own (--metrics-addr): the
// README's "Metrics" says what each one means.
package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"accountd"
)

// Metrics is one service's metrics, in a registry of their own.
type Metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	durations   *prometheus.HistogramVec
	rateLimited *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
}

// New returns the metrics, with the Go runtime's and the process's.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountd_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "accountd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountd_rate_limit_refusals_total",
			Help: "Attempts refused by a rate limit, by action and by what it counts per (ip, account).",
		}, []string{"action", "scope"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "accountd_store_errors_total",
			Help: "Store operations that failed, by kind: unavailable (out of reach or out of time) or internal.",
		}, []string{"kind"}),
	}
	// Both kinds show from the start, at 0, so that an alert on their rate
	// has a series to watch before the first failure.
	m.storeErrors.WithLabelValues("unavailable")
	m.storeErrors.WithLabelValues("internal")
	m.registry.MustRegister(m.requests, m.durations, m.rateLimited, m.storeErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	// While the store is out of reach the outbox cannot be read; the rest,
	// the store's errors first, matters most then.
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry, ErrorHandling: promhttp.ContinueOnError})
}

// ObserveRequest counts one answered request. route is the pattern that
// served it, such as "GET /v1/account/user/{id}", never the raw path, so
// that ids do not make a series each; "" is a request no route took.
func (m *Metrics) ObserveRequest(route string, status int, d time.Duration) {
	method, path, ok := strings.Cut(route, " ")
	if !ok {
		method, path = "", "unmatched"
	}
	labels := []string{path, method, strconv.Itoa(status)}
	m.requests.WithLabelValues(labels...).Inc()
	m.durations.WithLabelValues(labels...).Observe(d.Seconds())
}

// RateLimited counts one refusal by a rate limit.
func (m *Metrics) RateLimited(action, scope string) {
	m.rateLimited.WithLabelValues(action, scope).Inc()
}

// WatchHasher reports the password hashes running and waiting for a slot.
func (m *Metrics) WatchHasher(h *accountd.Hasher) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "accountd_password_hashes_running",
			Help: "Password hashes (argon2id) running now.",
		}, func() float64 { return float64(h.Running()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "accountd_password_hashes_waiting",
			Help: "Password hashes waiting for one of the --hash-concurrency slots.",
		}, func() float64 { return float64(h.Waiting()) }))
}
