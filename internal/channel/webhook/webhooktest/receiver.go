// Package webhooktest is a Standard Webhooks receiver for tests and the
// demo. It verifies what a careful receiver verifies, with its own code
// written from the specification's text
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md),
// not with the sender's signer, so a test against it checks the sender
// against the spec:
//
//   - POST with a JSON body (else 400 or 415);
//   - webhook-id and webhook-timestamp present, the id without a "." and the
//     timestamp integer Unix seconds (else 400);
//   - with a secret: the timestamp within the tolerance (5 minutes) of its
//     clock, and one of the space-separated webhook-signature entries a
//     "v1," HMAC-SHA256 over id.timestamp.body keyed with the base64-decoded
//     whsec_ secret, compared in constant time (else 401); other versions
//     (v1a, …) are skipped;
//   - the body {"type":…, "timestamp": RFC 3339, "data": {…}} (else 400);
//   - a webhook-id seen before is still accepted (receivers answer
//     duplicates with success) and recorded as a replay.
//
// Scripted answers (410, 429 with Retry-After, 500, a hang) and recording
// of every attempt and accepted message complete it.
package webhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// DefaultTolerance is how far webhook-timestamp may be from the receiver's
// clock, either way.
const DefaultTolerance = 5 * time.Minute

const maxReadBytes = 1 << 20

// Receiver is the fake endpoint (Close and Shutdown come from
// channeltest.Server). Safe for concurrent use.
type Receiver struct {
	*channeltest.Server

	keys      [][]byte
	now       func() time.Time
	tolerance time.Duration
	okStatus  int
	maxHang   time.Duration

	faults   channeltest.Script[Fault]
	requests channeltest.Log[Request]
	messages channeltest.Log[Received]

	mu   sync.Mutex
	seen map[string]int // webhook-id -> accepted deliveries
}

// Option configures a Receiver.
type Option func(*Receiver) error

// WithSecret makes the receiver require a valid signature by one of the
// secrets ("whsec_<base64>"; several during a key rotation).
func WithSecret(secrets ...string) Option {
	return func(r *Receiver) error {
		for _, s := range secrets {
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
			if err != nil {
				return fmt.Errorf("webhooktest: secret is not whsec_<base64>")
			}
			r.keys = append(r.keys, key)
		}
		return nil
	}
}

// WithClock sets the clock the timestamp is checked against.
func WithClock(now func() time.Time) Option {
	return func(r *Receiver) error { r.now = now; return nil }
}

// WithTolerance sets how far the timestamp may be off (default 5 minutes).
func WithTolerance(d time.Duration) Option {
	return func(r *Receiver) error { r.tolerance = d; return nil }
}

// WithStatus sets the success answer (default 204 No Content).
func WithStatus(status int) Option {
	return func(r *Receiver) error { r.okStatus = status; return nil }
}

// WithMaxHang bounds a Hang fault when the client does not give up first
// (default 30 s; then HTTP 504).
func WithMaxHang(d time.Duration) Option {
	return func(r *Receiver) error { r.maxHang = d; return nil }
}

// New starts a receiver on 127.0.0.1 with a free port. Like
// httptest.NewServer it panics when it cannot: it is for tests.
func New(opts ...Option) *Receiver {
	r, err := NewReceiver("127.0.0.1:0", opts...)
	if err != nil {
		panic(err)
	}
	return r
}

// NewReceiver starts a receiver listening on addr (the demo's fixed port).
func NewReceiver(addr string, opts ...Option) (*Receiver, error) {
	r := &Receiver{
		now:       time.Now,
		tolerance: DefaultTolerance,
		okStatus:  http.StatusNoContent,
		maxHang:   channeltest.DefaultMaxHang,
		seen:      map[string]int{},
	}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	var err error
	if r.Server, err = channeltest.Listen(addr); err != nil {
		return nil, fmt.Errorf("webhooktest: %w", err)
	}
	r.Serve(r)
	return r, nil
}

// URL is the endpoint's address (any path is served the same).
func (r *Receiver) URL() string { return r.Server.URL() + "/hooks/pai" }

// Fault is a scripted answer: StatusFault or HangFault.
type Fault struct {
	hang       bool
	status     int
	body       string
	retryAfter string
}

// StatusFault answers status with body and, when retryAfter is not "", a
// Retry-After header (e.g. 429 and "30").
func StatusFault(status int, body, retryAfter string) Fault {
	return Fault{status: status, body: body, retryAfter: retryAfter}
}

// HangFault holds the request until the client gives up, the receiver
// closes or WithMaxHang passes (then HTTP 504).
func HangFault() Fault { return Fault{hang: true} }

// Fault makes the next n requests answer f, after faults scripted earlier.
// A scripted answer comes before any check, as a proxy's or a broken
// receiver's would.
func (r *Receiver) Fault(n int, f Fault) { r.faults.Add("", n, f) }

// Request is one attempt and the answer it got.
type Request struct {
	ID         string // webhook-id
	Timestamp  string // webhook-timestamp
	Signature  string // webhook-signature, as sent
	HTTPStatus int    // 0 when the client gave up on a hang
	Reason     string // why it was refused; "" when accepted
	Fault      bool
	Time       time.Time
}

// Received is one accepted message.
type Received struct {
	ID        string
	Timestamp int64 // webhook-timestamp
	Verified  bool  // a signature matched (false when the receiver has no secret)
	Replay    bool  // this webhook-id was accepted before
	Type      string
	EventTime string          // the payload's timestamp
	Data      json.RawMessage // the payload's data, as sent
	Raw       []byte
	Time      time.Time
}

// Requests returns a copy of every attempt, oldest first.
func (r *Receiver) Requests() []Request { return r.requests.All() }

// Messages returns a copy of the accepted messages, oldest first.
func (r *Receiver) Messages() []Received { return r.messages.All() }

// ServeHTTP implements http.Handler.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	defer r.Enter()()
	rec := Request{
		ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
		Signature: req.Header.Get("webhook-signature"), Time: r.now(),
	}
	f, faulty := r.faults.Take("")
	rec.Fault = faulty
	idx := r.requests.Add(rec)

	if faulty {
		r.fault(w, req, idx, f)
		return
	}
	raw, err := io.ReadAll(io.LimitReader(req.Body, maxReadBytes))
	if err != nil {
		r.answer(w, idx, http.StatusBadRequest, "reading the body: "+err.Error(), "")
		return
	}
	m, status, reason := r.check(req, raw)
	if status != 0 {
		r.answer(w, idx, status, reason, "")
		return
	}
	r.mu.Lock()
	m.Replay = r.seen[m.ID] > 0
	r.seen[m.ID]++
	r.mu.Unlock()
	m.Time = rec.Time
	r.messages.Add(m)
	r.answer(w, idx, r.okStatus, "", "")
}

func (r *Receiver) fault(w http.ResponseWriter, req *http.Request, idx int, f Fault) {
	if !f.hang {
		r.answer(w, idx, f.status, f.body, f.retryAfter)
		return
	}
	if r.Hold(req, r.maxHang) != channeltest.HangDone {
		panic(http.ErrAbortHandler)
	}
	r.answer(w, idx, http.StatusGatewayTimeout, channeltest.HangDone, "")
}

func (r *Receiver) answer(w http.ResponseWriter, idx, status int, reason, retryAfter string) {
	r.requests.Update(idx, func(rq *Request) {
		rq.HTTPStatus = status
		if status < 200 || status > 299 {
			rq.Reason = reason
		}
	})
	if status == http.StatusNoContent {
		channeltest.Write(w, status, "", "", retryAfter)
		return
	}
	channeltest.Write(w, status, "text/plain; charset=utf-8", reason, retryAfter)
}

// check verifies one request. It returns the message, or the status and
// the reason to refuse it with.
func (r *Receiver) check(req *http.Request, raw []byte) (Received, int, string) {
	if req.Method != http.MethodPost {
		return Received{}, http.StatusMethodNotAllowed, "POST only"
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return Received{}, http.StatusUnsupportedMediaType, "Content-Type must be application/json"
	}
	id, tsText := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	if id == "" || tsText == "" {
		return Received{}, http.StatusBadRequest, "missing webhook-id or webhook-timestamp"
	}
	if strings.Contains(id, ".") {
		// The spec: the id must not hold a "." (it delimits the signed content).
		return Received{}, http.StatusBadRequest, "webhook-id holds a '.'"
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return Received{}, http.StatusBadRequest, "webhook-timestamp is not integer seconds"
	}
	m := Received{ID: id, Timestamp: ts, Raw: raw}
	if len(r.keys) > 0 {
		if d := r.now().Sub(time.Unix(ts, 0)); d > r.tolerance || d < -r.tolerance {
			return Received{}, http.StatusUnauthorized, fmt.Sprintf("webhook-timestamp is %s off the receiver's clock", d.Round(time.Second))
		}
		if !r.verify(id, tsText, raw, req.Header.Get("webhook-signature")) {
			return Received{}, http.StatusUnauthorized, "no valid v1 signature"
		}
		m.Verified = true
	}
	var p struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return Received{}, http.StatusBadRequest, "body is not JSON"
	}
	if p.Type == "" || len(bytes.TrimSpace(p.Data)) == 0 || bytes.TrimSpace(p.Data)[0] != '{' {
		return Received{}, http.StatusBadRequest, "body needs type and a data object"
	}
	if _, err := time.Parse(time.RFC3339Nano, p.Timestamp); err != nil {
		return Received{}, http.StatusBadRequest, "body timestamp is not RFC 3339"
	}
	m.Type, m.EventTime, m.Data = p.Type, p.Timestamp, p.Data
	return m, 0, ""
}

// verify reports whether one entry of the space-separated signature list
// is a v1 signature of id.ts.body by one of the receiver's keys.
func (r *Receiver) verify(id, ts string, body []byte, header string) bool {
	signed := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	signed = append(append(append(append(append(signed, id...), '.'), ts...), '.'), body...)
	want := make([][]byte, len(r.keys))
	for i, k := range r.keys {
		h := hmac.New(sha256.New, k)
		h.Write(signed)
		want[i] = []byte(base64.StdEncoding.EncodeToString(h.Sum(nil)))
	}
	for _, entry := range strings.Fields(header) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		for _, w := range want {
			if subtle.ConstantTimeCompare(w, []byte(sig)) == 1 {
				return true
			}
		}
	}
	return false
}
