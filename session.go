package accountd

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Session is one signed-in device. Only the SHA-256 of its token is kept, so a
// leaked database does not hand out working tokens.
type Session struct {
	ID         string
	AccountID  string
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	IP         string
}

// Client describes who is calling: the address limits are counted against and
// the details a session records.
type Client struct {
	IP        string
	UserAgent string
}

// NewToken returns a fresh bearer token (256 random bits, URL-safe) and its hash.
func NewToken() (token string, hash []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken is the form a token is stored and looked up in.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
