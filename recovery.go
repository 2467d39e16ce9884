package accountd

import (
	"crypto/sha256"
	"strings"
)

// RecoveryCodeCount is how many recovery codes turning a second factor on
// hands out.
const RecoveryCodeCount = 10

// newRecoveryCodes returns fresh recovery codes, as shown once, and their hashes.
func newRecoveryCodes() (plain []string, hashes [][]byte) {
	for range RecoveryCodeCount {
		code := randomString(5, lowerAlnum) + "-" + randomString(5, lowerAlnum)
		plain = append(plain, code)
		hashes = append(hashes, hashRecoveryCode(code))
	}
	return plain, hashes
}

func hashRecoveryCode(code string) []byte {
	h := sha256.Sum256([]byte("recovery\x00" + strings.ToLower(strings.TrimSpace(code))))
	return h[:]
}
