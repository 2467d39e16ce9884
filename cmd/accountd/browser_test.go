package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// pageScript is what each test page holds: call(method, path, options)
// fetches from the API and answers {status, body} or, when the browser
// keeps the answer from the page, {error}.
const pageScript = `<!doctype html>
<title>front end</title>
<script>
async function call(method, path, o) {
  o = o || {};
  const headers = {};
  if (o.body !== undefined) headers["Content-Type"] = "application/json";
  if (o.csrf) headers["X-CSRF-Token"] = o.csrf;
  if (o.token) headers["Authorization"] = "Bearer " + o.token;
  try {
    const res = await fetch(API + path, {method, headers, credentials: o.credentials || "include",
      mode: o.mode || "cors", body: o.body === undefined ? undefined : JSON.stringify(o.body)});
    if (res.type === "opaque") return {status: 0, opaque: true};
    return {status: res.status, body: await res.json()};
  } catch (e) {
    return {error: String(e)};
  }
}
// forge posts a classic HTML form to the API, as another site can.
function forge(path) {
  const f = document.createElement("form");
  f.method = "POST";
  f.action = API + path;
  document.body.appendChild(f);
  f.submit();
}
</script>
`

// fetched is call's answer.
type fetched struct {
	Status int    `json:"status"`
	Opaque bool   `json:"opaque"`
	Error  string `json:"error"`
	Body   struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
	} `json:"body"`
}

// browser starts headless Chromium for t, or skips t without one, except
// under CI, which must run it.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run the browser test, and there is no chromium: install Debian's chromium package")
		}
		t.Skip("no chromium to run the browser test with")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first Run starts the browser, which lives as long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// readmePageAPI is the line of the README's example page that says where
// the API is.
const readmePageAPI = `const API = "http://127.0.0.1:8080";`

// servePage serves the test page on an origin of its own, and at /readme
// the README's example page, and returns that origin. Both call the API
// at *api, read when a page is opened.
func servePage(t *testing.T, api *string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(readme), "## From a browser", "html")
	if err != nil || len(blocks) != 1 || !strings.Contains(blocks[0], readmePageAPI) {
		t.Fatalf("README.md's \"From a browser\" wants one html block with the line %s: %v", readmePageAPI, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		apiLine := fmt.Sprintf("const API = %q;", *api)
		if r.URL.Path == "/readme" {
			fmt.Fprint(w, strings.Replace(blocks[0], readmePageAPI, apiLine, 1))
			return
		}
		fmt.Fprint(w, strings.Replace(pageScript, "<script>", "<script>\n"+apiLine, 1))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestBrowser drives a real Chromium against the built server: a page on
// an allowed origin signs in with a cookie or a token and works; a page
// on another origin reads nothing and cannot forge a change with the
// cookie the browser holds; and no script sees the session.
func TestBrowser(t *testing.T) {
	ctx := browser(t)
	// The pages' origins come first: the server's CORS list names one.
	var api string
	front, other := servePage(t, &api), servePage(t, &api)
	db := filepath.Join(t.TempDir(), "accountd.db")
	api, _, _ = startServe(t, []string{"--addr", "127.0.0.1:0", "--database", "sqlite:" + db, "--cors-origins", front}, map[string]string{
		"ACCOUNTD_ARGON2_MEMORY": "1024", "ACCOUNTD_ARGON2_ITERATIONS": "1",
	})

	var page string // the page the tab is on
	open := func(origin string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(origin)); err != nil {
			t.Fatalf("open %s: %v", origin, err)
		}
		page = origin
	}
	call := func(method, path string, o map[string]any) fetched {
		t.Helper()
		opts, _ := json.Marshal(o)
		js := fmt.Sprintf("call(%q, %q, %s)", method, path, opts)
		f, err := chromedp.Run(ctx, chromedp.Evaluate[fetched](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s on %s: %v", js, page, err)
		}
		return f
	}
	want := func(f fetched, status int, what string) fetched {
		t.Helper()
		if f.Error != "" || f.Status != status {
			t.Fatalf("%s from %s: status %d %s (error %q), want %d", what, page, f.Status, f.Body.Data, f.Error, status)
		}
		return f
	}
	unreadable := func(f fetched, what string) {
		t.Helper()
		if f.Error == "" {
			t.Errorf("%s from %s, an origin not allowed, was readable: status %d %s", what, page, f.Status, f.Body.Data)
		}
	}
	browserCookie := func() *network.Cookie {
		t.Helper()
		res, err := chromedp.Run(ctx, func(ctx context.Context, target *chromedp.Target) (network.GetCookiesResult, error) {
			return cdp.Call(ctx, target, network.GetCookies, network.GetCookiesParams{URLs: []string{api}})
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cookies {
			if c.Name == "accountd_session" {
				return c
			}
		}
		return nil
	}
	const pw = "a long and secret passphrase"

	// An allowed page signs in with a cookie and works with it.
	open(front)
	reg := want(call("POST", "/v1/auth/register", map[string]any{"body": map[string]string{
		"email": "page@example.com", "password": pw, "firstName": "Page", "lastName": "Load", "session": "cookie"}}), 201, "register")
	var session struct {
		Token     *string `json:"token"`
		CSRFToken string  `json:"csrfToken"`
	}
	json.Unmarshal(reg.Body.Data, &session)
	if session.Token != nil || session.CSRFToken == "" {
		t.Fatalf("cookie register answered %s, want a csrfToken and no token", reg.Body.Data)
	}
	if c := browserCookie(); c == nil || !c.HTTPOnly {
		t.Errorf("the browser holds no HttpOnly accountd_session: %+v", c)
	}
	cookieText, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.cookie"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cookieText, "accountd_session") {
		t.Errorf("document.cookie shows the session: %q", cookieText)
	}
	var login struct {
		CSRFToken string `json:"csrfToken"`
	}
	json.Unmarshal(want(call("POST", "/v1/auth/login", map[string]any{"body": map[string]string{
		"email": "page@example.com", "password": pw, "session": "cookie"}}), 200, "login").Body.Data, &login)
	if !strings.Contains(string(want(call("GET", "/v1/account", nil), 200, "GET /v1/account").Body.Data), "page@example.com") {
		t.Fatal("GET /v1/account by cookie answered another account")
	}
	name := func() string {
		t.Helper()
		var a struct {
			FirstName string `json:"firstName"`
		}
		json.Unmarshal(want(call("GET", "/v1/account", nil), 200, "GET /v1/account").Body.Data, &a)
		return a.FirstName
	}
	want(call("PATCH", "/v1/account/update", map[string]any{"csrf": login.CSRFToken, "body": map[string]string{"firstName": "Patched"}}), 202, "PATCH with the CSRF token")
	if got := name(); got != "Patched" {
		t.Fatalf("firstName %q after the PATCH", got)
	}
	if f := call("PATCH", "/v1/account/update", map[string]any{"body": map[string]string{"firstName": "Forged"}}); f.Status != 403 ||
		!strings.Contains(string(f.Body.Data), "csrf_failed") {
		t.Errorf("PATCH without the CSRF token: %d %s, want 403 csrf_failed", f.Status, f.Body.Data)
	}

	// A page on another origin reads nothing, and what it sends with the
	// browser's cookie changes nothing.
	before := name()
	open(other)
	unreadable(call("GET", "/healthz", map[string]any{"credentials": "omit"}), "GET /healthz")
	unreadable(call("GET", "/v1/account", nil), "GET /v1/account by cookie")
	unreadable(call("PATCH", "/v1/account/update", map[string]any{"csrf": login.CSRFToken, "body": map[string]string{"firstName": "Forged"}}), "PATCH by cookie")
	if f := call("POST", "/v1/account/logout", map[string]any{"mode": "no-cors"}); !f.Opaque {
		t.Errorf("a no-cors logout from %s: %+v, want an opaque answer", page, f)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`forge("/v1/account/logout")`)); err != nil {
		t.Fatal(err)
	}
	// The form navigates the tab to the API's answer.
	for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(page, api) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		page, _ = chromedp.Run(ctx, chromedp.Location())
	}
	forgedAnswer, err := chromedp.Run(ctx, chromedp.Text("body"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(forgedAnswer, "csrf_failed") {
		t.Errorf("a form posted from another origin to /v1/account/logout was answered %q, want csrf_failed", forgedAnswer)
	}

	open(front)
	if got := name(); got != before {
		t.Fatalf("firstName %q after the other origin's tries, was %q", got, before)
	}
	// The session outlived them all; logout ends it and its cookie.
	want(call("POST", "/v1/account/logout", map[string]any{"csrf": login.CSRFToken}), 200, "logout")
	want(call("GET", "/v1/account", nil), 401, "GET /v1/account after logout")
	if c := browserCookie(); c != nil {
		t.Errorf("the browser still holds accountd_session after logout: %+v", c)
	}

	// Bearer tokens work from the page too, with no cookie at all.
	var bearer struct {
		Token string `json:"token"`
	}
	json.Unmarshal(want(call("POST", "/v1/auth/register", map[string]any{"credentials": "omit", "body": map[string]string{
		"email": "token@example.com", "password": pw, "firstName": "Token", "lastName": "Page"}}), 201, "register for a token").Body.Data, &bearer)
	if bearer.Token == "" || browserCookie() != nil {
		t.Fatalf("a token register answered no token, or set a cookie")
	}
	byToken := map[string]any{"credentials": "omit", "token": bearer.Token}
	want(call("PATCH", "/v1/account/update", map[string]any{"credentials": "omit", "token": bearer.Token,
		"body": map[string]string{"firstName": "Bearer"}}), 202, "PATCH by token")
	if !strings.Contains(string(want(call("GET", "/v1/account", byToken), 200, "GET /v1/account by token").Body.Data), `"firstName":"Bearer"`) {
		t.Error("the PATCH by token did not show")
	}
	open(other)
	unreadable(call("GET", "/v1/account", byToken), "GET /v1/account by token")

	// The README's example page does what the README says.
	open(front + "/readme")
	readmeStep := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("the README's page: %s: %v", js, err)
		}
		return v
	}
	if got := readmeStep(`signIn("token@example.com", "` + pw + `").then(() => document.getElementById("who").textContent)`); got != "Signed in as Bearer" {
		t.Errorf("the README's page after signIn shows %q", got)
	}
	if got := readmeStep(`rename("Ada").then(r => r.httpStatus + " " + r.data.firstName)`); got != "202 Ada" {
		t.Errorf("the README's page: rename answered %q", got)
	}
	if got := readmeStep(`signOut().then(() => call("GET", "/v1/account")).then(r => r.httpStatus + " " + r.data.code)`); got != "401 token_missing" {
		t.Errorf("the README's page: after signOut GET /v1/account answered %q", got)
	}
}

// TestDocsPage renders GET /docs in Chromium: it shows every operation of
// /openapi.json, and every request the page makes goes to the server
// itself.
func TestDocsPage(t *testing.T) {
	ctx := browser(t)
	db := filepath.Join(t.TempDir(), "accountd.db")
	base, _, _ := startServe(t, []string{"--addr", "127.0.0.1:0", "--database", "sqlite:" + db}, nil)

	res, err := http.Get(base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Info  struct{ Title string }
		Paths map[string]map[string]json.RawMessage
	}
	err = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /openapi.json: %d %v", res.StatusCode, err)
	}
	operations := 0
	for _, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				operations++
			}
		}
	}

	var mu sync.Mutex
	var requested []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requested = append(requested, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, func(ctx context.Context, target *chromedp.Target) (cdp.Empty, error) {
		return cdp.Call(ctx, target, network.Enable, network.EnableParams{})
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/docs")); err != nil {
		t.Fatal(err)
	}
	var shown int
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if shown, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".swagger-ui .opblock").length`)); err != nil {
			t.Fatal(err)
		}
		if shown >= operations {
			break
		}
	}
	if shown != operations {
		t.Errorf("/docs shows %d operations, /openapi.json has %d", shown, operations)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".swagger-ui .info .title").textContent`))
	if err != nil || !strings.Contains(title, doc.Info.Title) {
		t.Errorf("/docs shows the title %q (%v), want %q", title, err, doc.Info.Title)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requested) < 4 {
		t.Errorf("saw only the requests %q", requested)
	}
	for _, u := range requested {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("/docs requested %s, outside the server", u)
		}
	}
}
