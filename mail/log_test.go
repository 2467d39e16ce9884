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

// logRecords decodes every JSON record in buf.
func logRecords(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var records []map[string]any
	dec := json.NewDecoder(buf)
	for dec.More() {
		var record map[string]any
		if err := dec.Decode(&record); err != nil {
			t.Fatal(err)
		}
		records = append(records, record)
	}
	return records
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	var s Sender = LogSender{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	m := accountd.NewMail(time.Now(), "someone@example.com", "Your code", "Your code is 123456.\n")
	if err := s.Send(context.Background(), *m); err != nil {
		t.Fatal(err)
	}

	records := logRecords(t, &buf)
	if len(records) != 1 {
		t.Fatalf("%d records, want 1: %v", len(records), records)
	}
	want := map[string]string{"level": "INFO", "msg": "mail written to this log (no SMTP server configured)",
		"mail_id": m.ID, "to": m.To, "subject": m.Subject, "body": m.Body}
	for k, v := range want {
		if records[0][k] != v {
			t.Errorf("record[%q] = %v, want %q", k, records[0][k], v)
		}
	}
}

// A mail written to the log is one record, the mail itself: the relay does
// not add "mail sent" for it, as it does for a sender that delivers.
func TestRelayLogsOneRecordPerMailWrittenToTheLog(t *testing.T) {
	for _, c := range []struct {
		name   string
		sender func(*slog.Logger) Sender
		want   string
	}{
		{"log", func(log *slog.Logger) Sender { return LogSender{Logger: log} }, "mail written to this log (no SMTP server configured)"},
		{"delivering", func(*slog.Logger) Sender {
			return senderFunc(func(context.Context, accountd.Mail) error { return nil })
		}, "mail sent"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			mails := queue(2, c.name)
			if err := NewRelay(newOutbox(mails...), c.sender(log), log).Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			records := logRecords(t, &buf)
			if len(records) != len(mails) {
				t.Fatalf("%d records for %d mails: %v", len(records), len(mails), records)
			}
			for i, r := range records {
				if r["msg"] != c.want || r["mail_id"] != mails[i].ID {
					t.Errorf("record %d: %v, want %q of mail %s", i, r, c.want, mails[i].ID)
				}
			}
		})
	}
}
