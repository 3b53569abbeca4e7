package pact_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"pacte/pact"
)

// testSeed is "pacte-test-seed-0123456789abcdef"; its public key and the
// golden signature below were made with OpenSSL 3, not with Go.
const (
	testSeed      = "cGFjdGUtdGVzdC1zZWVkLTAxMjM0NTY3ODlhYmNkZWY="
	testPublicKey = "WcIgAoMBcqDX34XDy32YD3uzb/7tyG0V4/dPn4QsAeI="
	testKeyID     = "7c839f93d59685ae"
	goldenSig     = "K7Pcv948jMnLwZKPuyr1vMLiaDbcdDVZZ4d1Ky2JcbdQqCr+DbFe32fgRqEUFm4E8ywj2oq/CPMyqi9ANyoEAQ=="
)

func TestLoadSigner_FromEnvironment(t *testing.T) {
	s, err := pact.LoadSigner(t.TempDir(), testSeed)
	if err != nil {
		t.Fatal(err)
	}
	want := pact.PublicKeyDoc{Alg: "Ed25519", KeyID: testKeyID, PublicKey: testPublicKey}
	if s.KeyID() != testKeyID || s.PublicKey() != want {
		t.Errorf("key %s, doc %+v", s.KeyID(), s.PublicKey())
	}
	// The signature matches OpenSSL's over the documented canonical form.
	m := pact.NewManifest(goldenDoc(), "csv")
	s.Sign(&m)
	if m.KeyID != testKeyID || m.Signature != goldenSig {
		t.Errorf("signature %s by %s, want %s", m.Signature, m.KeyID, goldenSig)
	}
	j, _ := json.Marshal(s.PublicKey())
	if string(j) != `{"alg":"Ed25519","key_id":"`+testKeyID+`","public_key":"`+testPublicKey+`"}` {
		t.Errorf("public key JSON %s", j)
	}
}

func TestLoadSigner_RefusesBadEnvironmentValue(t *testing.T) {
	for name, v := range map[string]string{
		"NotBase64":    "not base64 at all!!",
		"TooShort":     base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"PrivateKey64": base64.StdEncoding.EncodeToString(make([]byte, 64)),
		"URLAlphabet":  base64.RawURLEncoding.EncodeToString([]byte("pacte-test-seed-0123456789abcd>>")),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := pact.LoadSigner(dir, v)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), "PACTE_SIGNING_KEY") || strings.Contains(err.Error(), v) {
				t.Errorf("unclear or leaking error: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, pact.SigningKeyFile)); err == nil {
				t.Error("fell back to a key file")
			}
		})
	}
}

func TestLoadSigner_MakesAndKeepsAKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a, err := pact.LoadSigner(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, pact.SigningKeyFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("not a PKCS#8 PEM file:\n%s", raw)
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		t.Fatal(err)
	} else if _, ok := k.(ed25519.PrivateKey); !ok {
		t.Fatalf("%T", k)
	}
	b, err := pact.LoadSigner(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.PublicKey() != b.PublicKey() {
		t.Error("a second start made another key")
	}
	// The environment wins over the file.
	c, _ := pact.LoadSigner(dir, testSeed)
	if c.KeyID() != testKeyID {
		t.Error("PACTE_SIGNING_KEY did not win")
	}
}

// Many starts at once on one empty data folder end with one key.
func TestLoadSigner_ConcurrentFirstStart(t *testing.T) {
	dir := t.TempDir()
	const n = 16
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s, err := pact.LoadSigner(dir, "")
			if err == nil {
				ids[i] = s.KeyID()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("two keys: %s and %s", ids[0], ids[i])
		}
	}
}

func TestLoadSigner_DamagedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, pact.SigningKeyFile), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := pact.LoadSigner(dir, ""); err == nil || !strings.Contains(err.Error(), "remove it") {
		t.Errorf("damaged key: %v", err)
	}
}

func TestVerifyManifest(t *testing.T) {
	s, _ := pact.LoadSigner("", testSeed)
	other, _ := pact.LoadSigner(t.TempDir(), "")
	pub, _ := s.PublicKey().Key()
	otherPub, _ := other.PublicKey().Key()
	signed := pact.NewManifest(goldenDoc(), "json")
	s.Sign(&signed)
	if err := pact.VerifyManifest(signed, pub); err != nil {
		t.Fatalf("fresh manifest: %v", err)
	}
	cases := map[string]func(m *pact.Manifest){
		"TextHash":   func(m *pact.Manifest) { m.Measures[0].SHA256 = strings.Replace(m.Measures[0].SHA256, "c", "d", 1) },
		"Revision":   func(m *pact.Manifest) { m.Measures[1].Revision++ },
		"Dropped":    func(m *pact.Manifest) { m.Measures = m.Measures[:1] },
		"Issuer":     func(m *pact.Manifest) { m.Issuer = "https://evil.example" },
		"Format":     func(m *pact.Manifest) { m.Format = "csv" },
		"Document":   func(m *pact.Manifest) { m.Document = &pact.DocumentDigest{Bytes: 1} },
		"Unsigned":   func(m *pact.Manifest) { m.Signature = "" },
		"Garbage":    func(m *pact.Manifest) { m.Signature = "!!" },
		"OtherKeyID": func(m *pact.Manifest) { m.KeyID = other.KeyID() },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			m := signed
			m.Measures = append([]pact.ManifestMeasure(nil), signed.Measures...)
			change(&m)
			if err := pact.VerifyManifest(m, pub); err == nil {
				t.Error("accepted")
			}
		})
	}
	if err := pact.VerifyManifest(signed, otherPub); err == nil || !strings.Contains(err.Error(), other.KeyID()) {
		t.Errorf("another key: %v", err)
	}
	// Signed by another key that claims our key id.
	forged := pact.NewManifest(goldenDoc(), "json")
	other.Sign(&forged)
	forged.KeyID = s.KeyID()
	if err := pact.VerifyManifest(forged, pub); err == nil {
		t.Error("a forged key id passed")
	}
}

func TestPublicKeyDoc_Key(t *testing.T) {
	good := pact.PublicKeyDoc{Alg: "Ed25519", KeyID: testKeyID, PublicKey: testPublicKey}
	if _, err := good.Key(); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]pact.PublicKeyDoc{
		"Alg":    {Alg: "RSA", KeyID: testKeyID, PublicKey: testPublicKey},
		"KeyID":  {Alg: "Ed25519", KeyID: "0000000000000000", PublicKey: testPublicKey},
		"Short":  {Alg: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(make([]byte, 31))},
		"NotB64": {Alg: "Ed25519", PublicKey: "%%%"},
	} {
		if _, err := d.Key(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
