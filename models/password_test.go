package models_test

import (
	"strings"
	"testing"

	"pacte/models"
)

func TestValidatePassword(t *testing.T) {
	cases := []struct {
		pw       string
		personal []string
		ok       bool
	}{
		{"", nil, false},
		{"k7#pQ2!xz", nil, false}, // 9 characters
		{"k7#pQ2!xzw", nil, true}, // 10
		{"password123", nil, false},
		{"Password123", nil, false}, // the list is case-insensitive
		{"azertyuiop", nil, false},
		{"motdepasse", nil, false},
		{"aaaaaaaaaa", nil, false},
		{"1212121212", nil, false},
		{"abcabcabcabc", nil, false},
		{"0123456789", nil, false},
		{"9876543210", nil, false},
		{"abcdefghijk", nil, false},
		{"correct horse battery staple", nil, true},
		{"all lowercase words only", nil, true}, // no composition rules
		{"ééééééééé", nil, false},               // 9 runes, 18 bytes: counted in characters
		{"مرحبا بكم في الميثاق", nil, true},
		{"someone@example.ma", []string{"someone@example.ma", "Some One"}, false},
		{"SOME ONE HERE", []string{"x@example.ma", "some one here"}, false},
		{strings.Repeat("x", 63) + "y", nil, true},                    // at least 64 allowed
		{strings.Repeat("ab", 128), nil, false},                       // repetitive
		{"z" + strings.Repeat("horse battery ", 19)[:255], nil, true}, // 256
		{strings.Repeat("horse battery ", 19)[:257], nil, false},      // 257
	}
	for _, tc := range cases {
		msg := models.ValidatePassword(tc.pw, tc.personal...)
		if (msg == "") != tc.ok {
			t.Errorf("ValidatePassword(%.40q): %q, want ok=%v", tc.pw, msg, tc.ok)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h1, err := models.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := models.HashPassword("correct horse battery staple")
	if h1 == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	// argon2id, at least t=2, m=19 MiB, p=1 (docs/SECURITY.md 11.4.2).
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash parameters: %s", h1)
	}
	if !models.CheckPassword(h1, "correct horse battery staple") || !models.CheckPassword(h2, "correct horse battery staple") {
		t.Error("the right password is refused")
	}
	for _, wrong := range []string{"", "correct horse battery stapl", "correct horse battery staple ", "Correct horse battery staple"} {
		if models.CheckPassword(h1, wrong) {
			t.Errorf("%q accepted", wrong)
		}
	}
	// No truncation: a long password differs from its prefix.
	long := strings.Repeat("abcdefgh", 32)
	hl, _ := models.HashPassword(long)
	if models.CheckPassword(hl, long[:72]) || !models.CheckPassword(hl, long) {
		t.Error("long passwords are truncated")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA"} {
		if models.CheckPassword(bad, "") || models.CheckPassword(bad, "anything") {
			t.Errorf("a broken hash %q accepts a password", bad)
		}
	}
}

func TestTokens(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		tok := models.NewToken()
		if len(tok) < 43 || seen[tok] { // 256 bits in base64url
			t.Fatalf("token %q: short or repeated", tok)
		}
		seen[tok] = true
		if strings.ContainsAny(tok, "+/=") {
			t.Errorf("token %q is not URL-safe", tok)
		}
	}
	a1, a2 := models.HashToken("a"), models.HashToken("a")
	if a1 != a2 || a1 == models.HashToken("b") || a1 == "a" {
		t.Error("HashToken is not a stable hash")
	}
}

func TestValidateEmailAndName(t *testing.T) {
	for email, ok := range map[string]bool{
		"someone@example.ma":                     true,
		"first.last+tag@sub.example.ma":          true,
		"":                                       false,
		"someone":                                false,
		"someone@localhost":                      false,
		"Some One <someone@example.ma>":          false,
		"someone@example.ma, other@example.ma":   false,
		strings.Repeat("a", 243) + "@example.ma": true, // 254
		strings.Repeat("a", 244) + "@example.ma": false,
	} {
		if got := models.ValidateEmail(email) == ""; got != ok {
			t.Errorf("ValidateEmail(%.40q) ok=%v, want %v", email, got, ok)
		}
	}
	for name, ok := range map[string]bool{
		"Amina El Idrissi":        true,
		"  ":                      false,
		"":                        false,
		strings.Repeat("n", 120):  true,
		strings.Repeat("n", 121):  false,
		strings.Repeat("م", 120):  true,
		"Two\nLines":              false,
		"Nul\x00":                 false,
		"Carriage\rReturn":        false,
		strings.Repeat("é", 121):  false,
		" Trimmed  " + "Name    ": true,
	} {
		if got := models.ValidateName(name) == ""; got != ok {
			t.Errorf("ValidateName(%.40q) ok=%v, want %v", name, got, ok)
		}
	}
	if models.NormalizeEmail("  Some.One@Example.MA ") != "some.one@example.ma" {
		t.Error("NormalizeEmail")
	}
}

func TestListHelpers(t *testing.T) {
	for in, want := range map[int]int{-5: 50, 0: 50, 1: 1, 50: 50, 200: 200, 201: 200, 100000: 200} {
		if got := models.ClampLimit(in); got != want {
			t.Errorf("ClampLimit(%d) = %d, want %d", in, got, want)
		}
	}
	for _, id := range []int64{0, 1, 42, 1 << 40} {
		got, err := models.DecodeCursor(models.EncodeCursor(id))
		if err != nil || got != id {
			t.Errorf("cursor round trip %d → %d, %v", id, got, err)
		}
	}
	for _, bad := range []string{"!!", "LTE", "YWJj"} { // not base64, "-1", "abc"
		if _, err := models.DecodeCursor(bad); models.ErrorKind(err) != models.EMalformed {
			t.Errorf("DecodeCursor(%q): %v", bad, err)
		}
	}
}
