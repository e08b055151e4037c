package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks v1 (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
// the headers that carry a message's identity, attempt time and signature.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	SecretPrefix    = "whsec_"
	// MinKeyBytes and MaxKeyBytes bound a decoded signing key: the spec asks
	// for a random secret of at least 24 bytes and at most 512 bits.
	MinKeyBytes = 24
	MaxKeyBytes = 64
)

// ErrSecret is wrapped by every error about a malformed signing secret.
var ErrSecret = errors.New("malformed signing secret")

// ParseSecret reads a Standard Webhooks signing secret, "whsec_" followed
// by the base64 of the key, and returns the key. The prefix may be left
// out, as the spec's reference libraries allow; surrounding white space
// (a secret read from a file) is ignored; padded and unpadded base64 are
// both read. The error never holds the secret.
func ParseSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, SecretPrefix)
	if s == "" {
		return nil, fmt.Errorf("webhook: the signing secret is empty after %q: %w", SecretPrefix, ErrSecret)
	}
	key, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: the signing secret is not %q followed by standard base64 (A-Z a-z 0-9 + /, = padding): %w", SecretPrefix, ErrSecret)
	}
	if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("webhook: the signing secret's key is %d bytes; Standard Webhooks keys are %d to %d random bytes: %w", len(key), MinKeyBytes, MaxKeyBytes, ErrSecret)
	}
	return key, nil
}

// Sign returns the webhook-signature header value for one attempt:
// "v1," + base64(HMAC-SHA256(key, id + "." + unix seconds + "." + body)),
// where key is the decoded secret (see ParseSecret).
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := ParseSecret(secret)
	if err != nil {
		return "", err
	}
	return sign(key, id, ts.Unix(), body), nil
}

func sign(key []byte, id string, unix int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, unix, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
