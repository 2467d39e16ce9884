package http_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image/png"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// totp computes an RFC 6238 code the way an authenticator app does:
// HMAC-SHA1 over the 30-second step, dynamic truncation, six digits.
func totp(t *testing.T, secret string, at time.Time) string {
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		t.Fatalf("secret %q is not base32: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

type setupData struct {
	Type       string `json:"type"`
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauthUrl"`
	QRCode     string `json:"qrCode"`
}

type challengeData struct {
	TwoFaRequired bool   `json:"twoFaRequired"`
	Challenge     string `json:"challenge"`
	Type          string `json:"type"`
}

func (e *env) login(email, pw string) challengeData {
	e.t.Helper()
	var c challengeData
	e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": pw})).data(e.t, &c)
	if !c.TwoFaRequired || c.Challenge == "" {
		e.t.Fatalf("login with 2FA on gave no challenge: %+v", c)
	}
	return c
}

func twoFa(doc map[string]any) string { return mustJSON(doc["twoFa"]) }

const twoFaOff = `{"securityQuestion":"undefined","status":false,"type":"undefined"}`

func TestTwoFAByEmail(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const email = "mfa@example.com"
		reg := e.register(email, "Em", "Ail")
		e.mailedCode(email) // the verification mail

		r := e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "email"}))
		if r.Env.Message != "TwoFA security is initiated" || string(r.Env.Data) != `{"type":"email"}` {
			t.Fatalf("seed shape: %q %s", r.Env.Message, r.Env.Data)
		}
		setup := e.mailedCode(email)
		e.must(422, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": other(setup)}))
		var act struct {
			RecoveryCodes []string `json:"recoveryCodes"`
		}
		e.must(200, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": setup})).data(t, &act)
		if len(act.RecoveryCodes) != 10 {
			t.Fatalf("%d recovery codes", len(act.RecoveryCodes))
		}
		if got := twoFa(e.account(reg.Token)); got != `{"securityQuestion":"undefined","status":true,"type":"email"}` {
			t.Fatalf("twoFa %s", got)
		}

		// Sign in: the password alone gives a challenge and mails a code.
		ch := e.login(email, password)
		if ch.Type != "email" {
			t.Fatalf("challenge type %q", ch.Type)
		}
		code := e.mailedCode(email)
		e.must(422, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": other(code)}))
		var auth authData
		e.must(200, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": code})).data(t, &auth)
		if auth.Token == "" || auth.Account["_id"] != reg.Account["_id"] {
			t.Fatalf("login/2fa: %+v", auth)
		}
		// The challenge and the code are spent.
		e.must(401, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": code}))
		ch2 := e.login(email, password)
		e.mailedCode(email)
		e.must(422, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch2.Challenge, "code": code}))

		// A fresh code on demand, behind the password.
		r = e.must(401, e.do("POST", "/v1/account/2fa/email", auth.Token, map[string]string{"password": "wrong password", "emailType": "two_fa"}))
		for _, path := range []string{"/v1/account/2fa/email?emailType=sms", "/v1/account/2fa/email?emailType="} {
			r = e.must(422, e.do("POST", path, auth.Token, map[string]string{"password": password, "emailType": "sms"}))
			if _, f := r.errorData(t); !reflect.DeepEqual(f, []string{"emailType"}) {
				t.Fatalf("%s: fields %v", path, f)
			}
		}
		r = e.must(200, e.do("POST", "/v1/account/2fa/email", auth.Token, map[string]string{"password": password, "emailType": "two_fa"}))
		if r.Env.Message != "Success" || string(r.Env.Data) != "{}" {
			t.Fatalf("seed shape: %q %s", r.Env.Message, r.Env.Data)
		}
		fresh := e.mailedCode(email)
		e.must(200, e.do("POST", "/v1/account/deactivate/2fa", auth.Token, map[string]string{"code": fresh}))
		if got := twoFa(e.account(auth.Token)); got != twoFaOff {
			t.Fatalf("after deactivation twoFa %s", got)
		}
		var plain authData
		e.must(200, e.do("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": password})).data(t, &plain)
		if plain.Token == "" {
			t.Fatal("with 2FA off, login should give a token")
		}
	})
}

// other returns a six-digit code that is not code.
func other(code string) string { return fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000) }

func TestTwoFAWithAuthenticatorApp(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const email = "app@example.com"
		reg := e.register(email, "App", "User")
		var setup setupData
		e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "google_auth"})).data(t, &setup)
		u, err := url.Parse(setup.OTPAuthURL)
		if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Query().Get("secret") != setup.Secret ||
			u.Query().Get("issuer") != "accountd" || !strings.Contains(u.Path, email) {
			t.Fatalf("otpauth URL %q", setup.OTPAuthURL)
		}
		// The QR code, read like a phone's camera would, holds the same URL.
		b64, ok := strings.CutPrefix(setup.QRCode, "data:image/png;base64,")
		if !ok {
			t.Fatalf("qrCode %.40q is not a PNG data URL", setup.QRCode)
		}
		raw, _ := base64.StdEncoding.DecodeString(b64)
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		bmp, _ := gozxing.NewBinaryBitmapFromImage(img)
		read, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil || read.GetText() != setup.OTPAuthURL {
			t.Fatalf("QR code reads %v, %v", read, err)
		}
		if strings.Contains(mustJSON(e.account(reg.Token)), setup.Secret) {
			t.Fatal("the account document shows the secret")
		}

		now := time.Now()
		var act struct {
			RecoveryCodes []string `json:"recoveryCodes"`
		}
		e.must(200, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": totp(t, setup.Secret, now)})).data(t, &act)
		if got := twoFa(e.account(reg.Token)); got != `{"securityQuestion":"undefined","status":true,"type":"google_auth"}` {
			t.Fatalf("twoFa %s", got)
		}

		// The step that activated is spent; the next one (clock skew) is not.
		ch := e.login(email, password)
		if ch.Type != "google_auth" {
			t.Fatalf("challenge type %q", ch.Type)
		}
		e.must(422, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": totp(t, setup.Secret, now)}))
		e.must(200, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": totp(t, setup.Secret, now.Add(30*time.Second))}))

		// A recovery code works once.
		ch = e.login(email, password)
		var auth authData
		e.must(200, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": act.RecoveryCodes[0]})).data(t, &auth)
		ch = e.login(email, password)
		e.must(422, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": act.RecoveryCodes[0]}))

		// Password changes keep the second factor on.
		e.must(202, e.do("PUT", "/v1/account/password/change", auth.Token, map[string]string{"oldPassword": password, "newPassword": "a different passphrase"}))
		if got := twoFa(e.account(auth.Token)); !strings.Contains(got, `"status":true`) {
			t.Fatalf("password change turned 2FA off: %s", got)
		}
		e.must(200, e.do("POST", "/v1/account/deactivate/2fa", auth.Token, map[string]string{"code": strings.ToUpper(act.RecoveryCodes[1])}))
		if got := twoFa(e.account(auth.Token)); got != twoFaOff {
			t.Fatalf("after deactivation twoFa %s", got)
		}
	})
}

func TestTwoFACodesDieAfterFiveWrongGuesses(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		const email = "guess2fa@example.com"
		reg := e.register(email, "Gue", "Ss")
		var setup setupData
		e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "google_auth"})).data(t, &setup)
		now := time.Now()
		right := totp(t, setup.Secret, now)
		for range 5 {
			e.must(422, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": other(right)}))
		}
		e.must(422, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": right}))
		// A new setup starts afresh.
		e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "google_auth"})).data(t, &setup)
		e.must(200, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": totp(t, setup.Secret, now)}))

		ch := e.login(email, password)
		next := totp(t, setup.Secret, now.Add(30*time.Second))
		for range 5 {
			e.must(422, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": other(next)}))
		}
		r := e.must(401, e.do("POST", "/v1/auth/login/2fa", "", map[string]string{"challenge": ch.Challenge, "code": next}))
		if c, _ := r.errorData(t); c != "challenge_invalid" {
			t.Fatalf("code %q", c)
		}
	})
}

func TestTwoFABadInput(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		reg := e.register("bad2fa@example.com", "Bad", "Input")
		auth := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + reg.Token}
		cases := []struct {
			name, path, body string
			status           int
			code             string
			fields           []string
		}{
			{"unknown type", "/v1/account/initiate/2fa", `{"type":"sms"}`, 422, "validation_failed", []string{"type"}},
			{"no type", "/v1/account/initiate/2fa", `{}`, 422, "validation_failed", []string{"type"}},
			{"type a number", "/v1/account/initiate/2fa", `{"type":1}`, 422, "validation_failed", []string{"type"}},
			{"malformed", "/v1/account/initiate/2fa", `{"type":`, 400, "malformed_json", nil},
			{"activate, no code", "/v1/account/activate/2fa", `{}`, 422, "validation_failed", []string{"code"}},
			{"activate, nothing initiated", "/v1/account/activate/2fa", `{"code":"123456"}`, 409, "two_fa_not_initiated", nil},
			{"deactivate, not on", "/v1/account/deactivate/2fa", `{"code":"123456"}`, 409, "two_fa_inactive", nil},
			{"deactivate, no code", "/v1/account/deactivate/2fa", `{"code":""}`, 422, "validation_failed", []string{"code"}},
			{"email code, not on", "/v1/account/2fa/email", `{"password":"` + password + `","emailType":"two_fa"}`, 422, "validation_failed", []string{"emailType"}},
			{"login/2fa, made-up challenge", "/v1/auth/login/2fa", `{"challenge":"` + reg.Account["_id"].(string) + `.abc","code":"123456"}`, 401, "challenge_invalid", nil},
			{"login/2fa, nothing", "/v1/auth/login/2fa", `{}`, 422, "validation_failed", []string{"challenge", "code"}},
		}
		before := e.must(200, e.do("GET", "/v1/account", reg.Token, nil)).Env.Data
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e := *e
				e.t = t
				r := e.raw("POST", c.path, auth, []byte(c.body))
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Env.Data)
				}
				if code, fields := r.errorData(t); code != c.code || !reflect.DeepEqual(fields, c.fields) {
					t.Fatalf("code %q fields %v, want %q %v", code, fields, c.code, c.fields)
				}
			})
		}
		if after := e.must(200, e.do("GET", "/v1/account", reg.Token, nil)).Env.Data; !bytes.Equal(before, after) {
			t.Fatalf("a refused request changed the account")
		}
		e.must(202, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "email"}))
		e.mailedCode("bad2fa@example.com")
		e.must(200, e.do("POST", "/v1/account/activate/2fa", reg.Token, map[string]string{"code": e.mailedCode("bad2fa@example.com")}))
		e.must(409, e.do("POST", "/v1/account/initiate/2fa", reg.Token, map[string]string{"type": "google_auth"}))
	})
}
