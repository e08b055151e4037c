package webhooktest_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/webhook/webhooktest"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// Vectors computed outside Go, so the receiver's verifier is checked
// against the spec and not against our signer.
//
// spec*: the Standard Webhooks reference library's signing test,
// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_test.go
// (TestWebhookSign); its body is not a pai.task.state payload, so the
// receiver answers 400 for the body after the signature passed, and 401
// when it did not.
//
// ours*: key bytes 0..31, computed with
//
//	python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(bytes(range(32)), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W.1674087231.{\"type\":\"pai.task.state\",\"timestamp\":\"2023-01-19T00:13:51Z\",\"data\":{\"jobName\":\"训练\"}}".encode(), hashlib.sha256).digest()).decode())'
//
// and the same with openssl dgst -sha256 -mac HMAC.
const (
	specSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTS     = 1614265330
	specBody   = `{"test": 2432232314}`
	specSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

	ourSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	ourID     = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
	ourTS     = 1674087231
	ourBody   = `{"type":"pai.task.state","timestamp":"2023-01-19T00:13:51Z","data":{"jobName":"训练"}}`
	ourSig    = "v1,YswhqlsfgxYzZOpzf7MXWO2Gvm5769AWmQAsbfG4xTY="
	otherSig  = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
)

type attempt struct {
	id, ts, sig, body, contentType string
}

func (a attempt) post(t *testing.T, url string) (int, string, string) {
	t.Helper()
	ct := a.contentType
	if ct == "" {
		ct = "application/json"
	}
	rep := channeltest.Request(t, http.MethodPost, url, ct, []byte(a.body),
		map[string]string{"webhook-id": a.id, "webhook-timestamp": a.ts, "webhook-signature": a.sig})
	return rep.Status, rep.Body, rep.RetryAfter
}

func TestVerify(t *testing.T) {
	c := channeltest.NewClock(time.Unix(ourTS, 0))
	r := webhooktest.New(webhooktest.WithSecret(ourSecret), webhooktest.WithClock(c.Now))
	defer r.Close()
	ts := strconv.Itoa(ourTS)
	for _, tc := range []struct {
		name string
		a    attempt
		at   time.Time
		want int
	}{
		{"valid", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 204},
		{"one of several signatures", attempt{id: ourID, ts: ts, sig: otherSig + " v1a,AAAA " + ourSig + " v2," + ourSig[3:], body: ourBody}, time.Unix(ourTS, 0), 204},
		{"right value under another version", attempt{id: ourID, ts: ts, sig: "v1a," + ourSig[3:], body: ourBody}, time.Unix(ourTS, 0), 401},
		{"wrong signature", attempt{id: ourID, ts: ts, sig: otherSig, body: ourBody}, time.Unix(ourTS, 0), 401},
		{"no signature", attempt{id: ourID, ts: ts, body: ourBody}, time.Unix(ourTS, 0), 401},
		{"body changed", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody + " "}, time.Unix(ourTS, 0), 401},
		{"id changed", attempt{id: ourID + "x", ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 401},
		{"timestamp changed", attempt{id: ourID, ts: strconv.Itoa(ourTS + 1), sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 401},
		{"5 minutes late: still in", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0).Add(5 * time.Minute), 204},
		{"5 minutes and 1 s late", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0).Add(5*time.Minute + time.Second), 401},
		{"5 minutes and 1 s early", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0).Add(-5*time.Minute - time.Second), 401},
		{"no id", attempt{ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 400},
		{"id with a dot", attempt{id: "msg.1", ts: ts, sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 400},
		{"milliseconds", attempt{id: ourID, ts: ts + "000", sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 401},
		{"not seconds", attempt{id: ourID, ts: "2023-01-19", sig: ourSig, body: ourBody}, time.Unix(ourTS, 0), 400},
		{"not JSON", attempt{id: ourID, ts: ts, sig: ourSig, body: ourBody, contentType: "text/plain"}, time.Unix(ourTS, 0), 415},
	} {
		c.Set(tc.at)
		if got, body, _ := tc.a.post(t, r.URL()); got != tc.want {
			t.Errorf("%s: HTTP %d %q, want %d", tc.name, got, body, tc.want)
		}
	}
	msgs := r.Messages()
	if len(msgs) != 3 || !msgs[0].Verified || msgs[0].Replay || !msgs[1].Replay || !msgs[2].Replay {
		t.Errorf("messages %+v, want 3 verified, the 2nd and 3rd replays of the 1st", msgs)
	}
}

func TestVerifySpecLibraryVector(t *testing.T) {
	r := webhooktest.New(webhooktest.WithSecret(specSecret), webhooktest.WithClock(func() time.Time { return time.Unix(specTS, 0) }))
	defer r.Close()
	ts := strconv.Itoa(specTS)
	if got, body, _ := (attempt{id: specID, ts: ts, sig: specSig, body: specBody}).post(t, r.URL()); got != 400 || body != "body needs type and a data object" {
		t.Errorf("the spec's vector: HTTP %d %q, want the signature accepted and the body refused", got, body)
	}
	if got, _, _ := (attempt{id: specID, ts: ts, sig: otherSig, body: specBody}).post(t, r.URL()); got != 401 {
		t.Errorf("a wrong signature on the spec's body: HTTP %d, want 401", got)
	}
}

func TestKeyRotation(t *testing.T) {
	r := webhooktest.New(webhooktest.WithSecret(specSecret, ourSecret), webhooktest.WithClock(func() time.Time { return time.Unix(ourTS, 0) }))
	defer r.Close()
	if got, body, _ := (attempt{id: ourID, ts: strconv.Itoa(ourTS), sig: ourSig, body: ourBody}).post(t, r.URL()); got != 204 {
		t.Errorf("signed by the second key: HTTP %d %q", got, body)
	}
}

func TestUnsignedReceiver(t *testing.T) {
	r := webhooktest.New(webhooktest.WithStatus(200))
	defer r.Close()
	for _, tc := range []struct {
		body string
		want int
	}{
		{ourBody, 200},
		{`{"type":"pai.task.state","timestamp":"yesterday","data":{}}`, 400},
		{`{"type":"pai.task.state","timestamp":"2023-01-19T00:13:51Z","data":[]}`, 400},
		{`{"type":"","timestamp":"2023-01-19T00:13:51Z","data":{}}`, 400},
		{`not json`, 400},
	} {
		if got, msg, _ := (attempt{id: ourID, ts: "1", body: tc.body}).post(t, r.URL()); got != tc.want {
			t.Errorf("%s: HTTP %d %q, want %d", tc.body, got, msg, tc.want)
		}
	}
	if m := r.Messages(); len(m) != 1 || m[0].Verified {
		t.Errorf("messages %+v, want one, unverified", m)
	}
}

func TestFaults(t *testing.T) {
	r := webhooktest.New()
	defer r.Close()
	r.Fault(1, webhooktest.StatusFault(429, "slow down", "30"))
	r.Fault(2, webhooktest.StatusFault(410, "gone", ""))
	a := attempt{id: ourID, ts: "1", body: ourBody}
	type ans struct {
		status      int
		body, retry string
	}
	for i, want := range []ans{{429, "slow down", "30"}, {410, "gone", ""}, {410, "gone", ""}, {204, "", ""}} {
		s, b, ra := a.post(t, r.URL())
		if (ans{s, b, ra}) != want {
			t.Errorf("request %d: %d %q %q, want %+v", i, s, b, ra, want)
		}
	}
	if reqs := r.Requests(); len(reqs) != 4 || !reqs[0].Fault || reqs[3].Fault || reqs[0].Reason != "slow down" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestHang(t *testing.T) {
	r := webhooktest.New()
	defer r.Close()
	r.Fault(1, webhooktest.HangFault())
	channeltest.AssertHangUntilDeadline(t, r.URL(), "application/json", []byte(ourBody))
	if reqs := r.Requests(); len(reqs) != 1 || reqs[0].HTTPStatus != 0 {
		t.Errorf("hang recorded as %+v", reqs)
	}
}

// TestCloseReleasesHang: Close lets a held request go, unanswered.
func TestCloseReleasesHang(t *testing.T) {
	r := webhooktest.New(webhooktest.WithMaxHang(time.Hour))
	r.Fault(1, webhooktest.HangFault())
	channeltest.AssertCloseReleases(t, r.Close, r.URL(), "application/json", []byte(ourBody), func() bool { return len(r.Requests()) > 0 })
}
