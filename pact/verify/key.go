package verify

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"pacte/pact"
)

// WellKnownKeyPath is where an installation publishes its public key.
const WellKnownKeyPath = "/.well-known/pacte-signing-key"

// maxKeyDoc bounds what is read from a key's address: the JSON is ~120 bytes.
const maxKeyDoc = 64 << 10

// loadKey finds the public key: --key, or else the manifest's issuer.
func loadKey(ctx context.Context, opts Options, issuer string) (ed25519.PublicKey, error) {
	where := opts.Key
	if where == "" {
		u, err := url.Parse(issuer)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, &ReadError{"the key", fmt.Errorf("the manifest's issuer %q is not a web address: give the key with --key", issuer)}
		}
		where = strings.TrimRight(issuer, "/") + WellKnownKeyPath
	}
	var (
		raw []byte
		err error
	)
	if strings.HasPrefix(where, "https://") || strings.HasPrefix(where, "http://") {
		raw, err = fetch(ctx, opts.Client, where)
	} else {
		raw, err = os.ReadFile(where)
		err = unwrapPath(err)
	}
	if err != nil {
		return nil, &ReadError{"the key at " + where, err}
	}
	pub, err := parseKey(raw)
	if err != nil {
		return nil, &ReadError{"the key at " + where, err}
	}
	return pub, nil
}

func fetch(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %s", resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxKeyDoc+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxKeyDoc {
		return nil, errors.New("the answer is far too long for a key")
	}
	return raw, nil
}

// parseKey reads the JSON of /.well-known/pacte-signing-key, or a bare
// base64 key.
func parseKey(raw []byte) (ed25519.PublicKey, error) {
	raw = bytes.TrimSpace(bytes.TrimPrefix(raw, []byte("\uFEFF")))
	if bytes.HasPrefix(raw, []byte("{")) {
		var doc pact.PublicKeyDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("not the JSON of a Pacte signing key: %w", err)
		}
		return doc.Key()
	}
	return pact.ParsePublicKey(string(raw))
}
