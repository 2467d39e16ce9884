package mail

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"accountd"
)

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	var s Sender = LogSender{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := accountd.NewMail(time.Now(), "someone@example.com", "Your code", "Your code is 123456.\n")
	if err := s.Send(context.Background(), *m); err != nil {
		t.Fatal(err)
	}

	var record map[string]any
	dec := json.NewDecoder(&buf)
	if err := dec.Decode(&record); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one record: %s", buf.String())
	}
	want := map[string]string{"level": "INFO", "mail_id": m.ID, "to": m.To, "subject": m.Subject, "body": m.Body}
	for k, v := range want {
		if record[k] != v {
			t.Errorf("record[%q] = %v, want %q", k, record[k], v)
		}
	}
}
