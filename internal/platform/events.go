package platform

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
)

// EventHandler handles one event invocation. The payload is the raw bytes the platform delivered;
// the result is marshalled as JSON (a []byte or json.RawMessage result is taken as JSON text, never
// base64). On FC invocations run concurrently, so a handler must be safe for concurrent use.
type EventHandler func(ctx context.Context, payload []byte) (any, error)

// PanicError is what a handler's panic becomes: an invocation error, so that one malformed
// invocation fails alone instead of killing the process (Lambda's SDK would exit on it).
type PanicError struct {
	Value any    // the value passed to panic
	Stack string // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.Value) }

// maxLocalEvent bounds what local mode reads from one file or stdin: FC's synchronous limit
// (32 MB) is the largest payload either platform delivers.
const maxLocalEvent = 32 << 20

// RunEvents runs h as an event function. With FC_RUNTIME_API set it serves FC's runtime API, with
// AWS_LAMBDA_RUNTIME_API set Lambda's; neither returns. Otherwise (local mode) each path in args is
// one invocation ("-" or no args at all: stdin), each result is printed to stdout as one JSON line,
// with an "error" member when the invocation failed; RunEvents returns when all succeeded and
// exits with status 1 when any failed or returned an Incomplete result.
func RunEvents(h EventHandler, args []string) {
	if m := detect(os.Getenv); m != modeLocal {
		serve, ok := eventServers[m]
		if !ok {
			notBuiltFor(m)
		}
		serve(h)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	failed := runLocalEvents(ctx, h, args, os.Stdin, os.Stdout)
	stop()
	if failed {
		os.Exit(1)
	}
}

// invokeEvent calls h, turning a panic into *PanicError and the result into JSON text.
func invokeEvent(ctx context.Context, h EventHandler, payload []byte) (json.RawMessage, error) {
	res, err := callEvent(ctx, h, payload)
	if err != nil {
		return nil, err
	}
	return resultJSON(res)
}

// callEvent calls h, turning a panic into *PanicError.
func callEvent(ctx context.Context, h EventHandler, payload []byte) (res any, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, &PanicError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	if len(payload) >= largePayload {
		defer collectEagerly()()
	}
	return h(ctx, payload)
}

// Incomplete is implemented by a result that can say some of its work was
// not done although the invocation succeeded: a failure no retry can fix
// (a wrong secret) is not an invocation error on a platform, which would
// only retry it, but a person running the function locally must see it in
// the exit status.
type Incomplete interface {
	Incomplete() bool
}

// resultJSON marshals a handler result. Byte slices are JSON text already: marshalling them again
// would give a base64 string, which is never what a handler meant.
func resultJSON(v any) (json.RawMessage, error) {
	var raw []byte
	switch v := v.(type) {
	case nil:
		return json.RawMessage("null"), nil
	case json.RawMessage:
		raw = v
	case []byte:
		raw = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("platform: handler result %T is not JSON-encodable: %w", v, err)
		}
		return b, nil
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("platform: handler returned %d bytes that are not JSON", len(raw))
	}
	return raw, nil
}

// runLocalEvents is local mode: one invocation per path (stdin when there are none), one JSON line
// per invocation on out: the handler's result, with an "error" member added when the invocation
// failed (the result still says what was done), or {"error": "..."} when there is no result. It
// reports whether any invocation failed or returned an Incomplete result.
func runLocalEvents(ctx context.Context, h EventHandler, args []string, stdin io.Reader, out io.Writer) (failed bool) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, path := range args {
		res, err := localInvoke(ctx, h, path, stdin)
		if inc, ok := res.(Incomplete); err != nil || ok && inc.Incomplete() {
			failed = true
		}
		w.Write(localLine(res, err))
		w.WriteByte('\n')
		w.Flush() // one line per invocation as it happens, not all at the end
	}
	return failed
}

// localLine is the JSON line local mode prints for one invocation.
func localLine(res any, err error) []byte {
	var line json.RawMessage
	if res != nil {
		var merr error
		if line, merr = resultJSON(res); merr != nil {
			line, err = nil, cmp.Or(err, merr)
		}
	}
	if err == nil {
		return line
	}
	msg, _ := json.Marshal(err.Error())
	if len(line) > 1 && line[0] == '{' { // the result, with the error first
		rest := line[1:]
		if len(bytes.TrimSpace(rest)) > 1 {
			rest = append([]byte{','}, rest...)
		}
		return slices.Concat([]byte(`{"error":`), msg, rest)
	}
	if line != nil {
		return slices.Concat([]byte(`{"error":`), msg, []byte(`,"result":`), line, []byte("}"))
	}
	return slices.Concat([]byte(`{"error":`), msg, []byte("}"))
}

func localInvoke(ctx context.Context, h EventHandler, path string, stdin io.Reader) (any, error) {
	payload, err := readLocal(path, stdin)
	if err != nil {
		return nil, err
	}
	return callEvent(withInvocation(ctx, nextLocalID(), ""), h, payload)
}

func readLocal(path string, stdin io.Reader) ([]byte, error) {
	name := path
	var r io.Reader = stdin
	if path == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read event: %w", err) // *PathError names the file
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxLocalEvent+1))
	if err != nil {
		return nil, fmt.Errorf("read event from %s: %w", name, err)
	}
	if len(b) > maxLocalEvent {
		return nil, fmt.Errorf("read event from %s: larger than %d bytes", name, maxLocalEvent)
	}
	return b, nil
}
