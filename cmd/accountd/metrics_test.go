package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// scrape reads the metrics of the serve whose log is log.
func scrape(t *testing.T, log *syncBuffer) string {
	t.Helper()
	var addr string
	for _, line := range strings.Split(log.String(), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving metrics" {
			addr = rec.Addr
		}
	}
	if addr == "" {
		t.Fatalf("no \"serving metrics\" record in the log:\n%s", log.String())
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", res.StatusCode, err)
	}
	return string(b)
}

// TestServeMetrics scrapes --metrics-addr after a few requests: every
// metric the README lists is there, requests are labelled by their route's
// pattern and never by the path asked for, and the API's listener does not
// serve them.
func TestServeMetrics(t *testing.T) {
	db := filepath.Join(t.TempDir(), "accountd.db")
	base, log, _ := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", "sqlite:" + db,
		"--metrics-addr", "127.0.0.1:0", "--rate-limit-ip", "2/1m"}, map[string]string{
		"ACCOUNTD_ARGON2_MEMORY": "1024", "ACCOUNTD_ARGON2_ITERATIONS": "1",
	})

	status, env := post(t, base+"/v1/auth/register", "", `{"email":"metre@example.com","password":"a long and secret passphrase","firstName":"Metre","lastName":"Gauge"}`)
	if status != 201 {
		t.Fatalf("register %d %v", status, env)
	}
	data := env["data"].(map[string]any)
	token, id := data["token"].(string), data["account"].(map[string]any)["_id"].(string)
	const missing = "6813a1ab1d3c66b889056c09"
	for _, want := range []struct {
		path   string
		status int
	}{{"/v1/account/user/" + id, 200}, {"/v1/account/user/" + missing, 404}, {"/v1/no-such-route-at-all", 404}} {
		req, _ := http.NewRequest("GET", base+want.path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want.status {
			t.Fatalf("GET %s: %d, want %d", want.path, res.StatusCode, want.status)
		}
	}
	for range 3 { // the third failed login is past the limit of 2
		post(t, base+"/v1/auth/login", "", `{"email":"metre@example.com","password":"not the passphrase"}`)
	}
	if s := get(t, base+"/metrics"); s != 404 {
		t.Errorf("the API's listener answered /metrics with %d, want 404", s)
	}

	scraped := scrape(t, log)
	for _, want := range []string{
		`accountd_http_requests_total{method="GET",route="/v1/account/user/{id}",status="200"} 1`,
		`accountd_http_requests_total{method="GET",route="/v1/account/user/{id}",status="404"} 1`,
		`accountd_http_requests_total{method="POST",route="/v1/auth/register",status="201"} 1`,
		`accountd_http_requests_total{method="POST",route="/v1/auth/login",status="429"} 1`,
		`accountd_http_requests_total{method="",route="unmatched",status="404"} 2`, // and /metrics on the API
		`accountd_http_request_duration_seconds_bucket{method="GET",route="/v1/account/user/{id}",status="200",le="+Inf"} 1`,
		`accountd_rate_limit_refusals_total{action="login",scope="ip"} 1`,
		`accountd_store_errors_total{kind="unavailable"} 0`,
		`accountd_store_errors_total{kind="internal"} 0`,
		`accountd_password_hashes_running 0`,
		`accountd_password_hashes_waiting 0`,
		`accountd_outbox_pending `,
		`accountd_outbox_oldest_pending_seconds `,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(scraped, "\n"+want) {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	// A route's label is its pattern: no id, and no path that no route took.
	for _, raw := range []string{id, missing, "no-such-route-at-all"} {
		if strings.Contains(scraped, raw) {
			t.Errorf("the scrape holds the raw path part %q", raw)
		}
	}
	routes := regexp.MustCompile(`route="([^"]*)"`).FindAllStringSubmatch(scraped, -1)
	for _, r := range routes {
		if r[1] != "unmatched" && !strings.HasPrefix(r[1], "/") {
			t.Errorf("route label %q is neither a pattern nor unmatched", r[1])
		}
	}
}
