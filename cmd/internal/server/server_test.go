package server

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSMTPURLWithoutPort: the port taken by default is in the log.
func TestSMTPURLWithoutPort(t *testing.T) {
	for url, want := range map[string]string{"smtp://mail.example.com": "mail.example.com:587", "smtps://mail.example.com": "mail.example.com:465"} {
		var log bytes.Buffer
		c := DefaultConfig()
		c.SMTPURL = url
		if _, err := mailSender(c, slog.New(slog.NewJSONHandler(&log, nil))); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log.String(), `"msg":"the SMTP URL names no port; using its scheme's default","smtp_server":"`+want+`"`) {
			t.Errorf("%s: the log does not name %s: %s", url, want, log.String())
		}
	}
	var log bytes.Buffer
	c := DefaultConfig()
	c.SMTPURL = "smtp://mail.example.com:25"
	if _, err := mailSender(c, slog.New(slog.NewJSONHandler(&log, nil))); err != nil || log.Len() > 0 {
		t.Errorf("with a port: %v, log %s", err, log.String())
	}
}

// TestOldKeyFileIsRenamed: a key file of the old name, PATH.key, becomes
// PATH.secret-key, so that the TOTP secrets it sealed still open.
func TestOldKeyFileIsRenamed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "accountd.db")
	key := []byte(base64.StdEncoding.EncodeToString(RandomKey()))
	if err := os.WriteFile(path+".key", key, 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Database = "sqlite:" + path
	if _, err := loadSealer(c, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path + ".secret-key"); err != nil || !bytes.Equal(got, key) {
		t.Errorf("key file of the new name: %q %v, want the old file's %q", got, err, key)
	}
	if _, err := os.Stat(path + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old key file is still there: %v", err)
	}
}
