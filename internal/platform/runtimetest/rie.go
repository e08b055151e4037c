package runtimetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RIE is a Lambda binary run under AWS's own runtime interface emulator, aws-lambda-rie
// (github.com/aws/aws-lambda-runtime-interface-emulator), the program `sam local` and Lambda's
// container images run, instead of under this package's Lambda emulator. Build(t, pkg, RIE) builds
// the Lambda binary. `make tools` installs aws-lambda-rie (pinned) into GOBIN; without it Start
// skips the test, or fails it when CI=true.
//
// The emulator's differences show through Runtime: the timeout is the process's
// (AWS_LAMBDA_FUNCTION_TIMEOUT, whole seconds, in Start's env; 30 s by default), so Invoke takes no
// other WithTimeout; invocations run one at a time, as in one Lambda execution environment; and a
// result is told from an error by its shape ({"errorMessage", "errorType"}), since the emulator
// answers both with HTTP 200.
const RIE Kind = "rie"

const (
	rieName       = "aws-lambda-rie"
	rieInvokePath = "/2015-03-31/functions/function/invocations"
	// rieInit bounds the first invocation's extra time: the emulator starts the process then.
	rieInit = 5 * time.Second
)

// RIEPath finds the aws-lambda-rie binary: on PATH, else in GOBIN or GOPATH/bin, where `go install`
// puts it.
func RIEPath() (string, error) {
	if p, err := exec.LookPath(rieName); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("%s is not on PATH, and go env failed: %v", rieName, err)
	}
	lines := strings.Split(string(out), "\n") // GOBIN's line is empty when it is unset
	var dirs []string
	if len(lines) > 0 && strings.TrimSpace(lines[0]) != "" {
		dirs = append(dirs, strings.TrimSpace(lines[0]))
	}
	if len(lines) > 1 {
		for _, gp := range filepath.SplitList(strings.TrimSpace(lines[1])) {
			dirs = append(dirs, filepath.Join(gp, "bin"))
		}
	}
	for _, d := range dirs {
		p := filepath.Join(d, rieName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH nor in %s", rieName, strings.Join(dirs, ", "))
}

// startRIE is Start for RIE.
func startRIE(t testing.TB, binary string, env []string) *Runtime {
	t.Helper()
	rie, err := RIEPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("runtimetest: %v; CI needs it: run `make tools`", err)
		}
		t.Skipf("runtimetest: %v; `make tools` installs it (this test runs the function under it)", err)
	}
	timeout := DefaultTimeout
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_LAMBDA_FUNCTION_TIMEOUT="); ok {
			s, err := strconv.Atoi(v)
			if err != nil || s < 1 {
				t.Fatalf("runtimetest: AWS_LAMBDA_FUNCTION_TIMEOUT=%q: want whole seconds", v)
			}
			timeout = time.Duration(s) * time.Second
		}
	}
	// Free ports are picked, then bound by the emulator: another process may take one in between,
	// and then the emulator exits and the next attempt picks again.
	var last error
	for range 3 {
		r, err := tryRIE(rie, binary, env, timeout)
		if err == nil {
			t.Cleanup(r.Close)
			return r
		}
		last = err
	}
	t.Fatalf("runtimetest: %v", last)
	return nil
}

func tryRIE(rie, binary string, env []string, timeout time.Duration) (*Runtime, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freePort()
	if err != nil {
		return nil, err
	}
	r := &Runtime{
		kind:       RIE,
		function:   filepath.Base(filepath.Dir(binary)),
		exited:     make(chan struct{}),
		closing:    make(chan struct{}),
		rieURL:     "http://" + addr + rieInvokePath,
		rieTimeout: timeout,
		rieSlot:    make(chan struct{}, 1),
	}
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr, binary)
	cmd.Dir = filepath.Dir(binary) // Lambda runs bootstrap from its own directory (/var/task)
	// The emulator hands its whole environment to the function and adds AWS_LAMBDA_RUNTIME_API.
	cmd.Env = append([]string{"TMPDIR=" + os.TempDir(), "AWS_LAMBDA_FUNCTION_NAME=" + r.function,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST", "AWS_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(timeout/time.Second))}, env...)
	cmd.Stdout = &r.logs
	cmd.Stderr = &r.logs
	cmd.WaitDelay = 2 * time.Second
	ownProcessGroup(cmd) // Close then ends the emulator and the function it started together
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", rie, err)
	}
	r.cmd = cmd
	go func() {
		r.exitErr = cmd.Wait()
		close(r.exited)
	}()
	// Wait until the emulator listens: a bounded poll.
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return r, nil
		}
		select {
		case <-r.exited:
			return nil, fmt.Errorf("%s exited (%v) before listening on %s; its output ends:\n%s", rie, r.exitErr, addr, tail(r.Logs(), 2000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Close()
			return nil, fmt.Errorf("%s does not listen on %s after 10s; its output ends:\n%s", rie, addr, tail(r.Logs(), 2000))
		}
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("picking a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// invokeRIE is Invoke for RIE: one POST to the emulator's invoke endpoint.
func (r *Runtime) invokeRIE(ctx context.Context, payload []byte, id string, o invokeOptions) (Result, error) {
	if o.timeoutSet && o.timeout != r.rieTimeout {
		return Result{}, fmt.Errorf("runtimetest: under %s the timeout is the process's (%v): set AWS_LAMBDA_FUNCTION_TIMEOUT in Start's env instead of WithTimeout(%v)", rieName, r.rieTimeout, o.timeout)
	}
	limit := time.NewTimer(r.rieTimeout + grace + rieInit)
	defer limit.Stop()
	select { // one invocation at a time: the emulator refuses a second one in flight
	case r.rieSlot <- struct{}{}:
		defer func() { <-r.rieSlot }()
	case <-ctx.Done():
		return Result{}, fmt.Errorf("runtimetest: invocation %s not started: %w", id, ctx.Err())
	case <-r.exited:
		return Result{}, r.died(id)
	case <-r.closing:
		return Result{}, fmt.Errorf("runtimetest: invocation %s: runtime closed", id)
	case <-limit.C:
		return Result{}, fmt.Errorf("runtimetest: invocation %s not started: another one is still running", id)
	}
	ctx, cancel := context.WithTimeout(ctx, r.rieTimeout+grace+rieInit)
	defer cancel()
	go func() { // end the request when the process dies or the runtime closes
		select {
		case <-r.exited:
		case <-r.closing:
		case <-ctx.Done():
		}
		cancel()
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.rieURL, bytes.NewReader(payload))
	if err != nil {
		return Result{}, fmt.Errorf("runtimetest: %w", err)
	}
	req.Header.Set("X-Amzn-RequestId", id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		switch {
		case r.Exited():
			return Result{}, r.died(id)
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return Result{}, fmt.Errorf("runtimetest: invocation %s: no answer from %s within %v", id, rieName, r.rieTimeout+grace+rieInit)
		}
		return Result{}, fmt.Errorf("runtimetest: invocation %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResult))
	if err != nil {
		return Result{}, fmt.Errorf("runtimetest: invocation %s: reading the answer: %w", id, err)
	}
	var fe struct {
		Message *string `json:"errorMessage"`
		Type    *string `json:"errorType"`
	}
	isError := json.Unmarshal(body, &fe) == nil && fe.Message != nil && fe.Type != nil
	switch {
	case isError && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusBadGateway):
		// 502 carries the errors of the environment rather than the handler, such as
		// Runtime.ExitError when the process died; the emulator then starts it afresh for the next
		// invocation, as Lambda does.
		return Result{Err: &FunctionError{Message: *fe.Message, Type: *fe.Type}}, nil
	case resp.StatusCode != http.StatusOK:
		return Result{}, fmt.Errorf("runtimetest: invocation %s: %s answered HTTP %d: %s", id, rieName, resp.StatusCode, tail(string(body), 2000))
	case bytes.HasPrefix(body, []byte("Task timed out after")):
		return Result{}, fmt.Errorf("runtimetest: invocation %s: no result within its %v timeout (%s: %s)", id, r.rieTimeout, rieName, body)
	}
	return Result{Payload: body}, nil
}
