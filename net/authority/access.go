package authority

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// tokenSecret returns a new random token and its stored hash. 32 random
// bytes make guessing hopeless; a plain SHA-256 suffices for a secret of
// that entropy (no password-style stretching needed).
func tokenSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = "tc_" + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashToken(secret)
}

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// randomID returns n random bytes in hex, for token IDs and room epochs.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// NewCreateToken returns a random secret for Options.CreateToken.
func NewCreateToken() string {
	secret, _ := tokenSecret()
	return secret
}
