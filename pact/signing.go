package pact

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SigningKeyFile is the name of the key Pacte makes in its data folder
// when PACTE_SIGNING_KEY is not set.
const SigningKeyFile = "signing-key.pem"

// Signer signs the manifests of the exports with the installation's
// Ed25519 key. Its public half is published at
// /.well-known/pacte-signing-key so anyone can check a document.
type Signer struct {
	key   ed25519.PrivateKey
	keyID string
}

// PublicKeyDoc is the JSON of /.well-known/pacte-signing-key.
type PublicKeyDoc struct {
	Alg       string `json:"alg"` // always "Ed25519"
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"` // base64 (standard) of the 32 bytes
}

// NewSigner signs with the key made from a 32-byte Ed25519 seed.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("an Ed25519 seed is %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	key := ed25519.NewKeyFromSeed(seed)
	return &Signer{key: key, keyID: KeyIDOf(key.Public().(ed25519.PublicKey))}, nil
}

// ParseSigningSeed reads the value of PACTE_SIGNING_KEY: the standard
// base64 of a 32-byte seed, as `openssl rand -base64 32` prints it. The
// error never repeats the value: it is a secret.
func ParseSigningSeed(s string) ([]byte, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("PACTE_SIGNING_KEY must be the base64 of a 32-byte Ed25519 seed (make one with: openssl rand -base64 32)")
	}
	return seed, nil
}

// LoadSigner finds the installation's key: fromEnv (the value of
// PACTE_SIGNING_KEY) when set, so that several instances sign alike;
// otherwise <dataDir>/signing-key.pem, made at first start.
func LoadSigner(dataDir, fromEnv string) (*Signer, error) {
	if strings.TrimSpace(fromEnv) != "" {
		seed, err := ParseSigningSeed(fromEnv)
		if err != nil {
			return nil, err
		}
		return NewSigner(seed)
	}
	path := filepath.Join(dataDir, SigningKeyFile)
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if err := createKeyFile(path); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("signing key: cannot create %s: %w", path, err)
	}
	return readKeyFile(path)
}

// createKeyFile writes a new key only if there is none: O_EXCL makes one of
// two processes starting together win, and the other reads the winner's.
func createKeyFile(path string) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readKeyFile reads the key, waiting a little while the file is still
// empty or half-written by another process that has just created it.
func readKeyFile(path string) (*Signer, error) {
	deadline := time.Now().Add(time.Second)
	for {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		s, perr := parseKeyPEM(raw)
		if perr == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("signing key %s: %w (if it is damaged, remove it to make a new key: documents signed with the old one will no longer verify)", path, perr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func parseKeyPEM(raw []byte) (*Signer, error) {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("a %T key, not Ed25519", k)
	}
	return NewSigner(key.Seed())
}

// KeyIDOf names a public key: the first 16 hex digits of its SHA-256.
func KeyIDOf(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// KeyID names the signer's public key.
func (s *Signer) KeyID() string { return s.keyID }

// PublicKey is what /.well-known/pacte-signing-key serves.
func (s *Signer) PublicKey() PublicKeyDoc {
	return PublicKeyDoc{Alg: "Ed25519", KeyID: s.keyID,
		PublicKey: base64.StdEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey))}
}

// Sign sets the manifest's key_id, then signs its canonical form (which
// includes the key_id).
func (s *Signer) Sign(m *Manifest) {
	m.KeyID = s.keyID
	m.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, m.Canonical()))
}

// Key decodes the published key and checks that it is an Ed25519 key whose
// key_id, when given, is its own.
func (d PublicKeyDoc) Key() (ed25519.PublicKey, error) {
	if d.Alg != "Ed25519" {
		return nil, fmt.Errorf("the key's algorithm is %q, not Ed25519", d.Alg)
	}
	pub, err := ParsePublicKey(d.PublicKey)
	if err != nil {
		return nil, err
	}
	if d.KeyID != "" && d.KeyID != KeyIDOf(pub) {
		return nil, fmt.Errorf("the key calls itself %s but its id is %s", d.KeyID, KeyIDOf(pub))
	}
	return pub, nil
}

// ParsePublicKey reads the standard base64 of a 32-byte Ed25519 public key.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("the public key is not the base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}

// VerifyManifest checks that m was signed by pub: the key_id must name pub
// and the signature must cover m's canonical form.
func VerifyManifest(m Manifest, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return errors.New("the public key is not an Ed25519 key")
	}
	if id := KeyIDOf(pub); m.KeyID != id {
		return fmt.Errorf("the manifest names key %q, but the key given is %s", m.KeyID, id)
	}
	if m.Signature == "" {
		return errors.New("the manifest is not signed")
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return errors.New("the manifest's signature is not the base64 of an Ed25519 signature")
	}
	if !ed25519.Verify(pub, m.Canonical(), sig) {
		return fmt.Errorf("the signature by key %s does not match the manifest: it was changed after signing", m.KeyID)
	}
	return nil
}
