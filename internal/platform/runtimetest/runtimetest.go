// Package runtimetest runs built function binaries against in-process emulators of the Function
// Compute and Lambda runtime APIs, so that end-to-end tests exercise the real SDK invoke loops,
// headers, deadlines and error reporting without a cloud account or Docker; and Lambda binaries
// also under AWS's own runtime interface emulator (RIE), when it is installed.
//
// The emulators follow what fc-runtime-go-sdk v0.3.1 and aws-lambda-go v1.55.1 speak: FC's
// /2020-11-11/runtime/invocation/ API (answers 200; x-fc-function-deadline and
// x-fc-function-timeout are mandatory, or the SDK silently never answers) and Lambda's
// /2018-06-01/runtime/invocation/ API (answers 202).
package runtimetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Kind is the platform a binary is built for and driven through.
type Kind string

const (
	FC     Kind = "fc"
	Lambda Kind = "lambda"
)

// Defaults an invocation gets unless its options say otherwise.
const (
	DefaultTimeout = 30 * time.Second
	// grace is how long past its deadline an invocation may still answer before the emulator gives
	// up on it, as the platforms do when they stop a function at its timeout.
	grace = time.Second
	// maxResult bounds a posted result; both platforms cap theirs well below this.
	maxResult = 64 << 20
)

type buildKey struct {
	pkg  string
	kind Kind
}

type build struct {
	once sync.Once
	path string
	err  error
}

var builds sync.Map // buildKey -> *build

// Build compiles pkg (a package path relative to the module root, e.g. "./functions/notifier")
// for kind, once per test process, and returns the binary's path. Binaries are built for the host
// OS and architecture so they can run here, with CGO_ENABLED=0 and the deployed ones' tags
// (lambda.norpc and the kind: fc or lambda). They are kept in a per-user cache directory (one file
// per package and kind, replaced atomically) rather than a temp dir, which no test owns across the
// process.
func Build(t testing.TB, pkg string, kind Kind) string {
	t.Helper()
	switch kind {
	case FC, Lambda:
	case RIE:
		kind = Lambda // the same binary, run by another emulator
	default:
		t.Fatalf("runtimetest: unknown kind %q (want %q, %q or %q)", kind, FC, Lambda, RIE)
	}
	v, _ := builds.LoadOrStore(buildKey{pkg, kind}, &build{})
	b := v.(*build)
	b.once.Do(func() { b.path, b.err = compile(pkg, kind) })
	if b.err != nil {
		t.Fatalf("runtimetest: %v", b.err)
	}
	return b.path
}

func compile(pkg string, kind Kind) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	sum := sha256.Sum256([]byte(root + "\x00" + pkg + "\x00" + string(kind)))
	name := "main" // FC's handler is the executable's name
	if kind == Lambda {
		name = "bootstrap"
	}
	dir := filepath.Join(cache, "pai-notifier-runtimetest", hex.EncodeToString(sum[:8]), filepath.Base(pkg))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	out := filepath.Join(dir, name)
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	// The kind's own tag (fc or lambda) and lambda.norpc, like the Makefile.
	args := []string{"build", "-tags", "lambda.norpc," + string(kind), "-o", tmp, pkg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// `go test` puts its own GOROOT/bin first on PATH, so this is the toolchain running the test.
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s for %s: %v\n%s", pkg, kind, err, msg)
	}
	if err := os.Rename(tmp, out); err != nil { // atomic: parallel test processes may build the same
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	return out, nil
}

// moduleRoot walks up from the working directory (the test's package directory) to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
		d = parent
	}
}

// Result is what an invocation returned.
type Result struct {
	Payload []byte         // the posted response body (nil on error)
	Err     *FunctionError // nil on success
}

// FunctionError is an error the function reported through the runtime API.
type FunctionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// InvokeOption adjusts one invocation.
type InvokeOption func(*invokeOptions)

type invokeOptions struct {
	timeout    time.Duration
	timeoutSet bool // else DefaultTimeout, or under RIE the process's
	requestID  string
	retry      int
}

// WithTimeout sets the function timeout: the deadline headers say now+d, and the emulator gives up
// waiting shortly after it.
func WithTimeout(d time.Duration) InvokeOption {
	return func(o *invokeOptions) { o.timeout, o.timeoutSet = d, true }
}

// WithRequestID sets the request id (letters, digits, '-', '_', '.'), which otherwise is generated.
func WithRequestID(id string) InvokeOption { return func(o *invokeOptions) { o.requestID = id } }

// WithRetryCount sets FC's x-fc-retry-count (Lambda has no such header).
func WithRetryCount(n int) InvokeOption { return func(o *invokeOptions) { o.retry = n } }

var validID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Runtime is one running function process and the runtime API it polls.
type Runtime struct {
	kind     Kind
	function string
	srv      *httptest.Server
	cmd      *exec.Cmd
	logs     SyncBuffer
	seq      atomic.Int64

	invocations chan *pending // handed to a waiting next long-poll
	mu          sync.Mutex
	pending     map[string]*pending

	exited    chan struct{} // closed when the process has exited
	exitErr   error         // set before exited is closed
	closing   chan struct{}
	closeOnce sync.Once

	// RIE only: the emulator's invoke URL, the process's timeout, and the one invocation slot.
	rieURL     string
	rieTimeout time.Duration
	rieSlot    chan struct{}
}

type pending struct {
	id       string
	payload  []byte
	deadline time.Time
	timeout  time.Duration
	retry    int
	result   chan Result // buffered: the poster never blocks
}

// Start launches binary with env plus the runtime-API variable of kind pointing at a fresh
// emulator, and returns the runtime. The child gets no other environment from the test process (so
// a developer's real DINGTALK_* variables cannot leak into a test), only a few platform defaults
// that env may override. The runtime is closed when the test ends. For RIE it starts aws-lambda-rie
// with binary (see RIE), or skips the test when that is not installed.
func Start(t testing.TB, kind Kind, binary string, env []string) *Runtime {
	t.Helper()
	switch kind {
	case FC, Lambda:
	case RIE:
		return startRIE(t, binary, env)
	default:
		t.Fatalf("runtimetest: unknown kind %q (want %q, %q or %q)", kind, FC, Lambda, RIE)
	}
	r := newRuntime(kind, filepath.Base(filepath.Dir(binary)))
	host := r.srv.Listener.Addr().String()

	cmd := exec.Command(binary)
	cmd.Env = []string{"TMPDIR=" + os.TempDir()}
	if kind == FC {
		cmd.Env = append(cmd.Env, "FC_FUNCTION_NAME="+r.function, "FC_REGION=cn-hangzhou")
	} else {
		cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_NAME="+r.function, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
			"AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_REGION=us-east-1")
	}
	cmd.Env = append(cmd.Env, env...)
	if kind == FC {
		cmd.Env = append(cmd.Env, "FC_RUNTIME_API="+host)
	} else {
		cmd.Env = append(cmd.Env, "AWS_LAMBDA_RUNTIME_API="+host)
	}
	cmd.Stdout = &r.logs
	cmd.Stderr = &r.logs
	cmd.WaitDelay = 2 * time.Second // bounds Wait should the child leave a descendant holding the pipes
	if err := cmd.Start(); err != nil {
		r.srv.Close()
		t.Fatalf("runtimetest: start %s: %v", binary, err)
	}
	r.cmd = cmd
	go func() {
		r.exitErr = cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(r.Close)
	return r
}

// newRuntime starts the emulator alone; Start adds the process.
func newRuntime(kind Kind, function string) *Runtime {
	r := &Runtime{
		kind:        kind,
		function:    function,
		invocations: make(chan *pending),
		pending:     map[string]*pending{},
		exited:      make(chan struct{}),
		closing:     make(chan struct{}),
	}
	r.srv = httptest.NewServer(r.routes())
	return r
}

func (r *Runtime) prefix() string {
	if r.kind == FC {
		return "/2020-11-11/runtime/"
	}
	return "/2018-06-01/runtime/"
}

// accepted is the status each runtime API answers a posted result with; the FC SDK treats anything
// but 200 as a failure, the Lambda one anything but 202.
func (r *Runtime) accepted() int {
	if r.kind == FC {
		return http.StatusOK
	}
	return http.StatusAccepted
}

func (r *Runtime) routes() http.Handler {
	mux := http.NewServeMux()
	p := r.prefix()
	mux.HandleFunc("GET "+p+"invocation/next", r.next)
	mux.HandleFunc("POST "+p+"invocation/{id}/response", r.post)
	mux.HandleFunc("POST "+p+"invocation/{id}/error", r.post)
	mux.HandleFunc("POST "+p+"init/error", func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r.note("init error: %s", body)
		w.WriteHeader(r.accepted())
	})
	return mux
}

// next is the long-poll: it blocks until an invocation is handed over, the client goes away or the
// runtime closes.
func (r *Runtime) next(w http.ResponseWriter, req *http.Request) {
	select {
	case p := <-r.invocations:
		h := w.Header()
		if r.kind == FC {
			h.Set("x-fc-request-id", p.id)
			h.Set("x-fc-function-deadline", strconv.FormatInt(p.deadline.UnixMilli(), 10))
			h.Set("x-fc-function-timeout", strconv.Itoa(int(math.Ceil(p.timeout.Seconds()))))
			h.Set("x-fc-function-name", r.function)
			h.Set("x-fc-function-handler", "main")
			h.Set("x-fc-function-memory", "128")
			h.Set("x-fc-region", "cn-hangzhou")
			h.Set("x-fc-account-id", "1234567890123456")
			h.Set("x-fc-retry-count", strconv.Itoa(p.retry))
		} else {
			h.Set("Lambda-Runtime-Aws-Request-Id", p.id)
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(p.deadline.UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:"+r.function)
			sum := sha256.Sum256([]byte(p.id))
			h.Set("Lambda-Runtime-Trace-Id", fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0",
				p.deadline.Unix(), hex.EncodeToString(sum[:12]), hex.EncodeToString(sum[12:20])))
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(p.payload)
	case <-req.Context().Done():
	case <-r.closing:
		w.WriteHeader(http.StatusServiceUnavailable)
	}
}

// post receives a response or an error and hands it to the waiting Invoke, matched by id: FC runs
// invocations concurrently, so results arrive in any order.
func (r *Runtime) post(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(req.Body, maxResult))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	p := r.pending[id]
	delete(r.pending, id)
	r.mu.Unlock()
	// Answer the success status even for an unknown id (one whose Invoke gave up): the Lambda SDK
	// exits on any other answer, which would turn one late result into a dead process.
	w.WriteHeader(r.accepted())
	if p == nil {
		r.note("dropped a result for request id %q: no invocation is waiting for it", id)
		return
	}
	var res Result
	if filepath.Base(req.URL.Path) == "error" {
		fe := &FunctionError{}
		if json.Unmarshal(body, fe) != nil || (fe.Message == "" && fe.Type == "") {
			fe = &FunctionError{Message: string(body), Type: "unparsable"}
		}
		res.Err = fe
	} else {
		res.Payload = body
	}
	p.result <- res
}

// note adds an emulator remark to the logs, marked so it is not mistaken for the function's output.
func (r *Runtime) note(format string, args ...any) {
	fmt.Fprintf(&r.logs, "[runtimetest] "+format+"\n", args...)
}

// Invoke sends payload to the function and waits for its result. It is safe for concurrent use.
// The error is for invocations that produced no result: the process died (the error quotes the end
// of its output), the timeout passed, ctx ended or the runtime closed.
func (r *Runtime) Invoke(ctx context.Context, payload []byte, opts ...InvokeOption) (Result, error) {
	var o invokeOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeoutSet && o.timeout <= 0 {
		return Result{}, fmt.Errorf("runtimetest: timeout %v is not positive", o.timeout)
	}
	id := o.requestID
	if id == "" {
		id = fmt.Sprintf("%s-req-%d", r.kind, r.seq.Add(1))
	}
	if !validID.MatchString(id) {
		return Result{}, fmt.Errorf("runtimetest: request id %q: want 1-128 of [A-Za-z0-9._-]", id)
	}
	if r.kind == RIE {
		return r.invokeRIE(ctx, payload, id, o)
	}
	if !o.timeoutSet {
		o.timeout = DefaultTimeout
	}
	p := &pending{id: id, payload: payload, deadline: time.Now().Add(o.timeout), timeout: o.timeout,
		retry: o.retry, result: make(chan Result, 1)}
	r.mu.Lock()
	if _, dup := r.pending[id]; dup {
		r.mu.Unlock()
		return Result{}, fmt.Errorf("runtimetest: request id %q is already in flight", id)
	}
	r.pending[id] = p
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.pending, id)
		r.mu.Unlock()
	}()

	limit := time.NewTimer(o.timeout + grace)
	defer limit.Stop()
	select {
	case r.invocations <- p:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("runtimetest: invocation %s not picked up: %w", id, ctx.Err())
	case <-r.exited:
		return Result{}, r.died(id)
	case <-r.closing:
		return Result{}, fmt.Errorf("runtimetest: invocation %s: runtime closed", id)
	case <-limit.C:
		return Result{}, fmt.Errorf("runtimetest: invocation %s not picked up within %v: the function is not polling", id, o.timeout+grace)
	}
	select {
	case res := <-p.result:
		return res, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("runtimetest: invocation %s: %w", id, ctx.Err())
	case <-r.exited:
		select { // the result may have landed just before the process went
		case res := <-p.result:
			return res, nil
		default:
		}
		return Result{}, r.died(id)
	case <-r.closing:
		return Result{}, fmt.Errorf("runtimetest: invocation %s: runtime closed", id)
	case <-limit.C:
		return Result{}, fmt.Errorf("runtimetest: invocation %s: no result within its %v timeout (+%v grace)", id, o.timeout, grace)
	}
}

func (r *Runtime) died(id string) error {
	return fmt.Errorf("runtimetest: %s process exited (%v) before answering %s; its output ends:\n%s",
		r.kind, r.exitErr, id, tail(r.Logs(), 2000))
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// Logs returns the child's stdout and stderr so far, plus the emulator's own [runtimetest] notes.
func (r *Runtime) Logs() string { return r.logs.String() }

// Exited reports whether the function process has exited.
func (r *Runtime) Exited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// Close kills the process, then stops the emulator: in that order, because the FC SDK retries a
// failing next call without any backoff and would spin on a closed server. Close is idempotent.
func (r *Runtime) Close() {
	r.closeOnce.Do(func() {
		if r.cmd != nil && r.cmd.Process != nil {
			killGroup(r.cmd) // an error means it has exited already
			<-r.exited
		}
		close(r.closing)
		if r.srv != nil {
			r.srv.Close()
		}
	})
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers and readers: a child process's
// output-copying goroutines, a logger shared by handlers, and the test reading them.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
