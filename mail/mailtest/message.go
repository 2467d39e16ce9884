package mailtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
)

// Message is one accepted message as its recipient would read it.
type Message struct {
	From      string   // envelope sender (MAIL FROM)
	To        []string // envelope recipients (RCPT TO)
	Subject   string   // decoded from its MIME encoded-words
	Body      string   // the text/plain part, transfer-decoded, with \n line ends
	MessageID string   // the Message-ID header as written, angle brackets included
	Raw       []byte   // the message exactly as received
}

func (m Message) addressedTo(to string) bool {
	for _, rcpt := range m.To {
		if strings.EqualFold(rcpt, to) {
			return true
		}
	}
	return false
}

func parse(from string, to []string, raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, fmt.Errorf("subject: %w", err)
	}
	body, err := plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return Message{}, fmt.Errorf("body: %w", err)
	}
	return Message{
		From:      from,
		To:        to,
		Subject:   subject,
		Body:      strings.ReplaceAll(body, "\r\n", "\n"),
		MessageID: msg.Header.Get("Message-ID"),
		Raw:       raw,
	}, nil
}

var errNoText = errors.New("no text/plain part")

// plainText returns the first text/plain part of an entity, searching
// multiparts depth-first. Text is taken to be UTF-8, the only charset the
// senders under test write.
func plainText(contentType, transferEncoding string, body io.Reader) (string, error) {
	mediaType, params := "text/plain", map[string]string(nil)
	if contentType != "" {
		var err error
		if mediaType, params, err = mime.ParseMediaType(contentType); err != nil {
			return "", err
		}
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		parts := multipart.NewReader(body, params["boundary"])
		for {
			// NextRawPart, because NextPart decodes quoted-printable but not
			// base64; decoding both here keeps it in one place.
			p, err := parts.NextRawPart()
			if err == io.EOF {
				return "", errNoText
			}
			if err != nil {
				return "", err
			}
			text, err := plainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if !errors.Is(err, errNoText) {
				return text, err
			}
		}
	}
	if mediaType != "text/plain" {
		return "", errNoText
	}
	switch strings.ToLower(strings.TrimSpace(transferEncoding)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit", "binary":
	default:
		return "", fmt.Errorf("unknown Content-Transfer-Encoding %q", transferEncoding)
	}
	text, err := io.ReadAll(body)
	return string(text), err
}
