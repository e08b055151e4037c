package webhook_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
)

// TestSignKnownAnswer checks Sign against published and independent vectors.
//
// "spec library": the Standard Webhooks reference library's signing test,
// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_test.go
// (TestWebhookSign). Its expected value was recomputed here with both
//
//	python3 -c 'import hmac,hashlib,base64; k=base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); print(base64.b64encode(hmac.new(k, b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}", hashlib.sha256).digest()).decode())'
//	printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p | tr -d '\n') -binary | base64
//
// and both print g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=.
// "python 32-byte key": the key bytes 0..31, the spec's example id and
// timestamp, and a body with UTF-8, computed independently with
//
//	python3 -c 'import hmac,hashlib,base64; k=bytes(range(32)); print(base64.b64encode(hmac.new(k, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.{\"type\":\"pai.task.state\",\"data\":{\"jobName\":\"训练\"}}".encode(), hashlib.sha256).digest()).decode())'
//	printf '%s' 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.{"type":"pai.task.state","data":{"jobName":"训练"}}' | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f -binary | base64
//
// which both print Crpz0/S+765fyCr4Hwku2d1l2kSLf0X0slenoEay9y4=.
const pythonVector = "v1,Crpz0/S+765fyCr4Hwku2d1l2kSLf0X0slenoEay9y4="

func TestSignKnownAnswer(t *testing.T) {
	for _, tc := range []struct {
		name, secret, id string
		ts               int64
		body, want       string
	}{
		{"spec library", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"spec library without prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
			`{"test": 2432232314}`, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		{"python 32-byte key", "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", 1674087231,
			`{"type":"pai.task.state","data":{"jobName":"训练"}}`, pythonVector},
	} {
		got, err := webhook.Sign(tc.secret, tc.id, time.Unix(tc.ts, 0), []byte(tc.body))
		if err != nil || got != tc.want {
			t.Errorf("%s: Sign = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestParseSecret(t *testing.T) {
	key24 := bytes.Repeat([]byte{7}, 24)
	b64 := base64.StdEncoding.EncodeToString(key24)
	for _, tc := range []struct {
		in      string
		wantErr string // "" for valid
	}{
		{"whsec_" + b64, ""},
		{b64, ""},
		{"  whsec_" + b64 + "\n", ""},
		{"whsec_" + base64.RawStdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)), ""}, // unpadded
		{"", "empty"},
		{"whsec_", "empty"},
		{"whsec_not base64!!", "base64"},
		{"whsec_" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 24)), "base64"}, // - and _ are not standard base64
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)), "23 bytes"},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), "65 bytes"},
		{"whsk_" + b64, "base64"}, // an asymmetric key is not an HMAC secret
	} {
		key, err := webhook.ParseSecret(tc.in)
		switch {
		case tc.wantErr == "" && (err != nil || len(key) < webhook.MinKeyBytes):
			t.Errorf("ParseSecret(%q) = %d bytes, %v", tc.in, len(key), err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, webhook.ErrSecret)):
			t.Errorf("ParseSecret(%q) = %v, want an ErrSecret saying %q", tc.in, err, tc.wantErr)
		}
		if err != nil && len(tc.in) > 8 && strings.Contains(err.Error(), strings.TrimPrefix(strings.TrimSpace(tc.in), "whsec_")) {
			t.Errorf("ParseSecret's error holds the secret: %v", err)
		}
	}
}

// FuzzParseSecret: any text is read without panicking; a key it accepts
// has a legal length and reads back the same from its canonical spelling;
// its error never holds the input.
func FuzzParseSecret(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	f.Add("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
	f.Add("whsec_====")
	f.Add(" \twhsec_\n")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := webhook.ParseSecret(s)
		if err != nil {
			if core := strings.TrimPrefix(strings.TrimSpace(s), "whsec_"); len(core) >= 6 && strings.Contains(err.Error(), core) {
				t.Fatalf("error holds the secret: %v", err)
			}
			return
		}
		if len(key) < webhook.MinKeyBytes || len(key) > webhook.MaxKeyBytes {
			t.Fatalf("accepted a %d-byte key", len(key))
		}
		again, err := webhook.ParseSecret("whsec_" + base64.StdEncoding.EncodeToString(key))
		if err != nil || !bytes.Equal(again, key) {
			t.Fatalf("canonical spelling reads back %x, %v; want %x", again, err, key)
		}
	})
}
