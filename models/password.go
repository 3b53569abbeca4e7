package models

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum (t=2, m=19 MiB, p=1).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash with a random salt.
func HashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when the account does not exist, so that an
// unknown email takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("pacte-dummy-password-for-timing")
	return h
})

// CheckPassword verifies a password against an encoded hash in constant time.
func CheckPassword(encoded, password string) bool {
	ok, _ := verifyPassword(encoded, password)
	return ok
}

// passwordCost is the work of one check: the argon2id parameters it
// derived a key with (zero when the hash could not be read).
type passwordCost struct {
	memory, time uint32
	threads      uint8
}

// verifyPassword is CheckPassword, saying what the check cost: an empty
// hash (no such account) is checked against dummyHash, at the cost of a
// real one, so that the time of an answer tells nothing.
func verifyPassword(encoded, password string) (bool, passwordCost) {
	if encoded == "" {
		_, cost := verifyPassword(dummyHash(), password)
		return false, cost
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, passwordCost{}
	}
	var c passwordCost
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &c.memory, &c.time, &c.threads); err != nil {
		return false, passwordCost{}
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false, passwordCost{}
	}
	got := argon2.IDKey([]byte(password), salt, c.time, c.memory, c.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, c
}

//go:embed common_passwords.txt
var commonPasswordsText string

var commonPasswords = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			set[strings.ToLower(l)] = true
		}
	}
	return set
})

// ValidatePassword applies the rules of docs/SECURITY.md: 10 to 256 characters, no
// composition rules, no truncation, and none of the most common passwords.
func ValidatePassword(pw string, personal ...string) string {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return "Password must be at least 10 characters long."
	}
	if n > MaxPasswordLen || len(pw) > 4*MaxPasswordLen {
		return "Password must be at most 256 characters long."
	}
	lower := strings.ToLower(pw)
	if commonPasswords()[lower] || isRepetitive(lower) {
		return "This password is too common; choose another one."
	}
	for _, p := range personal {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && lower == p {
			return "Your password cannot be your email address or name."
		}
	}
	return ""
}

// isRepetitive catches "aaaaaaaaaa", "1212121212" and plain runs such as
// "0123456789" that no list can hold in every length.
func isRepetitive(s string) bool {
	r := []rune(s)
	for period := 1; period <= 3; period++ {
		same := true
		for i := period; i < len(r); i++ {
			if r[i] != r[i-period] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	asc, desc := true, true
	for i := 1; i < len(r); i++ {
		asc = asc && r[i] == r[i-1]+1
		desc = desc && r[i] == r[i-1]-1
	}
	return asc || desc
}

// NewToken returns a random URL-safe secret of 256 bits.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how secrets are stored: a leaked table holds no usable token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
