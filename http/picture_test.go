package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	accounthttp "accountd/http"

	"accountd/internal/picturetest"
)

// colourPNG is a w×h PNG of one colour: two colours make two pictures.
func colourPNG(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var mediaURL = regexp.MustCompile(`/v1/media/[0-9a-f]{64}$`)

// pictureURL is the account document's URL of a picture, "" when null.
func pictureURL(t *testing.T, doc map[string]any, field string) string {
	t.Helper()
	v, ok := doc[field]
	if !ok {
		t.Fatalf("the document has no %s", field)
	}
	if v == nil {
		return ""
	}
	u, _ := v.(string)
	if !mediaURL.MatchString(u) {
		t.Fatalf("%s = %q, want a URL of /v1/media/{key}", field, u)
	}
	return u
}

// fetch GETs a picture URL with no token, as an <img> would.
func (e *env) fetch(url string, header map[string]string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.url+mediaURL.FindString(strings.SplitN(url, "?", 2)[0])+query(url), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return res, body
}

func query(url string) string {
	if _, q, ok := strings.Cut(url, "?"); ok {
		return "?" + q
	}
	return ""
}

func (e *env) upload(path, token, contentType string, body []byte) *response {
	e.t.Helper()
	return e.raw("PUT", path, map[string]string{"Authorization": "Bearer " + token, "Content-Type": contentType}, body)
}

func accountData(t *testing.T, r *response) map[string]any {
	t.Helper()
	var doc map[string]any
	r.data(t, &doc)
	return doc
}

func TestPictures(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ada := e.register("ada@example.com", "Ada", "Lovelace")
		doc := e.account(ada.Token)
		if pictureURL(t, doc, "profileImage") != "" || pictureURL(t, doc, "backgroundImage") != "" {
			t.Fatal("a new account shows pictures")
		}

		doc = accountData(t, e.must(200, e.upload("/v1/account/image", ada.Token, "image/png", colourPNG(t, 500, 300, color.RGBA{200, 0, 0, 255}))))
		first := pictureURL(t, doc, "profileImage")
		if first == "" {
			t.Fatal("no profileImage after the upload")
		}
		if doc["profileCompleteness"].(float64) != 10 {
			t.Errorf("profileCompleteness %v, want 10 for the picture alone", doc["profileCompleteness"])
		}
		for _, tt := range []struct {
			query string
			side  int
		}{{"", 300}, {"?size=64", 64}, {"?size=256", 256}, {"?size=1024", 300}} {
			res, body := e.fetch(first+tt.query, nil)
			if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" ||
				res.Header.Get("X-Content-Type-Options") != "nosniff" ||
				res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || res.Header.Get("ETag") == "" {
				t.Fatalf("GET %s: %d %v", tt.query, res.StatusCode, res.Header)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
			if err != nil || cfg.Width != tt.side || cfg.Height != tt.side {
				t.Errorf("GET %s: %dx%d, %v; want %d square", tt.query, cfg.Width, cfg.Height, err, tt.side)
			}
			again, _ := e.fetch(first+tt.query, map[string]string{"If-None-Match": res.Header.Get("ETag")})
			if again.StatusCode != 304 {
				t.Errorf("GET %s with its ETag: %d, want 304", tt.query, again.StatusCode)
			}
		}
		if res, _ := e.fetch(first+"?size=7", nil); res.StatusCode != 400 {
			t.Errorf("size=7: %d, want 400", res.StatusCode)
		}

		// Seen by another account, in the public view and a search.
		grace := e.register("grace@example.com", "Grace", "Hopper")
		public := accountData(t, e.must(200, e.do("GET", "/v1/account/user/"+doc["_id"].(string), grace.Token, nil)))
		if pictureURL(t, public, "profileImage") != first {
			t.Errorf("the public view shows %v", public["profileImage"])
		}
		var page struct {
			Data []map[string]any `json:"data"`
		}
		e.must(200, e.do("GET", "/v1/account/user?search=lovelace", grace.Token, nil)).data(t, &page)
		if len(page.Data) != 1 || pictureURL(t, page.Data[0], "profileImage") != first || pictureURL(t, page.Data[0], "backgroundImage") != "" {
			t.Errorf("search: %v", page.Data)
		}

		// A background, sent as a form.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		part, _ := mw.CreateFormFile("image", "wide.png")
		part.Write(colourPNG(t, 1800, 900, color.RGBA{0, 0, 200, 255}))
		mw.Close()
		doc = accountData(t, e.must(200, e.upload("/v1/account/background", ada.Token, mw.FormDataContentType(), form.Bytes())))
		background := pictureURL(t, doc, "backgroundImage")
		res, body := e.fetch(background, nil)
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(body)); res.StatusCode != 200 || err != nil || cfg.Width != 1500 || cfg.Height != 500 {
			t.Errorf("background: %d, %dx%d, %v; want 1500x500", res.StatusCode, cfg.Width, cfg.Height, err)
		}
		if res, _ := e.fetch(background+"?size=600", nil); res.StatusCode != 200 {
			t.Errorf("background at 600: %d", res.StatusCode)
		}

		// Replacing the picture removes the old one.
		doc = accountData(t, e.must(200, e.upload("/v1/account/image", ada.Token, "image/png", colourPNG(t, 80, 80, color.RGBA{0, 200, 0, 255}))))
		second := pictureURL(t, doc, "profileImage")
		if second == first {
			t.Fatal("a new picture kept the old URL")
		}
		if res, _ := e.fetch(first, nil); res.StatusCode != 404 {
			t.Errorf("the replaced picture: %d, want 404", res.StatusCode)
		}

		doc = accountData(t, e.must(200, e.do("DELETE", "/v1/account/image", ada.Token, nil)))
		if pictureURL(t, doc, "profileImage") != "" {
			t.Errorf("profileImage %v after DELETE, want null", doc["profileImage"])
		}
		if res, _ := e.fetch(second, nil); res.StatusCode != 404 {
			t.Errorf("the removed picture: %d, want 404", res.StatusCode)
		}

		// Deleting the account takes its background along.
		e.must(200, e.do("POST", "/v1/account/delete-account", ada.Token, map[string]string{"password": password}))
		if res, _ := e.fetch(background, nil); res.StatusCode != 404 {
			t.Errorf("the deleted account's background: %d, want 404", res.StatusCode)
		}
	})
}

func TestPictureRefused(t *testing.T) {
	e := newEnv(t)
	ada := e.register("ada@example.com", "Ada", "Lovelace")
	jpg := colourPNG(t, 50, 50, color.White)
	tests := []struct {
		name, contentType string
		body              []byte
		status            int
	}{
		{"truncated", "image/png", jpg[:len(jpg)/2], 422},
		{"text as PNG", "image/png", []byte("hello, I am a picture\n"), 422},
		{"over 10 MiB", "image/png", make([]byte, 11<<20), 413},
		{"20000x20000 bomb", "image/png", picturetest.PNGBomb(20000), 422},
		{"not a picture type", "text/plain", []byte("hello"), 415},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			defer func() {
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("took %v to refuse", took)
				}
			}()
			r := e.must(tt.status, e.upload("/v1/account/image", ada.Token, tt.contentType, tt.body))
			if code, fields := r.errorData(t); tt.status != 415 && (len(fields) != 1 || fields[0] != "image") {
				t.Errorf("%s naming %v, want image", code, fields)
			}
		})
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("picture", "not the field")
	mw.Close()
	r := e.must(422, e.upload("/v1/account/image", ada.Token, mw.FormDataContentType(), form.Bytes()))
	if _, fields := r.errorData(t); len(fields) != 1 || fields[0] != "image" {
		t.Errorf("a form without image: naming %v", fields)
	}
	if doc := e.account(ada.Token); doc["profileImage"] != nil {
		t.Errorf("a refused upload left %v", doc["profileImage"])
	}
}

// TestPictureCompletesProfile: the picture is the tenth part, so Alice's
// profile of 90 scores 100 with one.
func TestPictureCompletesProfile(t *testing.T) {
	e := newEnv(t)
	alice := e.register("alice@example.com", "Alice", "Bob")
	patch, _ := json.Marshal(map[string]any{
		"profile": map[string]any{
			"contact": map[string]string{"country": "England", "state": "Manchester", "city": "Manchester", "address": "30, alice bob blvd.", "phone": "+4412345678987"},
			"bio":     map[string]string{"title": "Software Engineer", "description": "Builds software Products"},
			"talent":  map[string]any{"about": "The best developer in the solar system", "tags": []string{"go"}},
		},
		"socials": map[string]string{"github": "https://github.com/tester", "website": "https://mywebsite.com"},
	})
	doc := accountData(t, e.must(202, e.raw("PATCH", "/v1/account/update", map[string]string{"Authorization": "Bearer " + alice.Token, "Content-Type": "application/json"}, patch)))
	if doc["profileCompleteness"].(float64) != 90 {
		t.Fatalf("profileCompleteness %v before the picture, want 90", doc["profileCompleteness"])
	}
	doc = accountData(t, e.must(200, e.upload("/v1/account/image", alice.Token, "image/png", colourPNG(t, 64, 64, color.Black))))
	if doc["profileCompleteness"].(float64) != 100 {
		t.Errorf("profileCompleteness %v with the picture, want 100", doc["profileCompleteness"])
	}
}

// TestUploadsHeldInMemoryAreBounded: with 16 uploads being read, the 17th
// waits until one ends, so a burst of large pictures cannot take the
// memory of all of them at once. The server is not the validating one of
// the other tests, which reads each body whole before the handler does.
func TestUploadsHeldInMemoryAreBounded(t *testing.T) {
	e := newEnv(t)
	srv := httptest.NewServer(accounthttp.NewServer(e.svc, e.store, slog.New(slog.DiscardHandler), accounthttp.Config{}))
	t.Cleanup(srv.Close)
	token := e.register("burst@example.com", "Bur", "St").Token
	put := func(ctx context.Context, body io.Reader) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "PUT", srv.URL+"/v1/account/image", body)
		req.Header.Set("Content-Type", "image/png")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}
	// Sixteen uploads whose bodies never come.
	writers := make([]*io.PipeWriter, 16)
	var wg sync.WaitGroup
	for i := range writers {
		r, w := io.Pipe()
		writers[i] = w
		wg.Go(func() { put(context.Background(), r) })
	}
	t.Cleanup(func() {
		for _, w := range writers {
			w.Close()
		}
		wg.Wait()
	})
	time.Sleep(time.Second) // for all sixteen to be read, on a loaded machine too
	picture := colourPNG(t, 40, 40, color.RGBA{R: 200, A: 255})
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if status, err := put(ctx, bytes.NewReader(picture)); err == nil {
		t.Fatalf("the 17th upload was answered %d while 16 were being read", status)
	}
	writers[0].Close() // an empty body: that upload ends, refused
	if status, err := put(context.Background(), bytes.NewReader(picture)); err != nil || status != http.StatusOK {
		t.Fatalf("the 17th upload once one ended: %d %v, want 200", status, err)
	}
}
