package platform

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// HTTPRequest is one HTTP request, whichever way it arrived.
type HTTPRequest struct {
	Method   string
	Path     string            // decoded path, e.g. "/connectivity"
	RawQuery string            // encoded query, without "?"
	Headers  map[string]string // lower-case keys; repeated headers comma-joined
	Body     []byte            // decoded (never base64)
	SourceIP string
}

// HTTPResponse is the handler's answer. Status 0 means 200.
type HTTPResponse struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// HTTPHandler answers one HTTP request. It must enforce its own body limit; the adapters only cap
// local-mode bodies at MaxLocalBody.
type HTTPHandler func(ctx context.Context, r HTTPRequest) HTTPResponse

// MaxLocalBody caps request bodies in local mode. The cloud platforms cap theirs (FC 32 MB, Lambda
// 6 MB) before the function runs.
const MaxLocalBody = 1 << 20

// RunHTTP runs h as an HTTP function: an FC 3.0 HTTP trigger (an event invoke carrying
// events.HTTPTriggerEvent); on Lambda, a function URL or API Gateway HTTP API route (payload format
// 2.0) or an API Gateway REST API proxy integration (payload format 1.0, which an HTTP API can also
// be set to send); or, locally, a net/http server on 127.0.0.1:${PORT:-9000} until SIGINT/SIGTERM.
// An Application Load Balancer event is refused with an invocation error saying so. It never
// returns; a local server that cannot start exits with status 1.
func RunHTTP(h HTTPHandler) {
	if m := detect(os.Getenv); m != modeLocal {
		serve, ok := httpServers[m]
		if !ok {
			notBuiltFor(m)
		}
		serve(h)
	}
	port := os.Getenv(envPort)
	if port == "" {
		port = "9000"
	}
	logger := Logger(os.Stderr, slog.LevelInfo)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		logger.Error("local HTTP server cannot listen", "port", port, "error", err.Error())
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("local HTTP server listening", "url", "http://"+ln.Addr().String())
	if err := serveLocal(ctx, ln, h, logger); err != nil {
		logger.Error("local HTTP server stopped", "error", err.Error())
		os.Exit(1)
	}
	os.Exit(0)
}

// httpServers are the HTTP trigger adapters this binary was built with (fc.go, lambda.go). Each
// serves an HTTPHandler and never returns.
var httpServers = map[mode]func(HTTPHandler){}

// errNotHTTPEvent is the invocation error of an HTTP function invoked with some other event.
var errNotHTTPEvent = errors.New("platform: payload is not an HTTP trigger event: want an FC HTTP trigger event, " +
	"a Lambda function URL or API Gateway HTTP API event (requestContext.http.method), or an API Gateway REST API proxy event (httpMethod)")

// errALBEvent refuses Application Load Balancer events, which look like REST API ones but expect
// another response (statusDescription, and multi-value headers when the target group enables them).
var errALBEvent = errors.New("platform: Application Load Balancer events are not supported: " +
	"put the function behind a function URL or an API Gateway HTTP or REST API")

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func lowerKeys(in map[string]string, size int) map[string]string {
	out := make(map[string]string, size)
	for k, v := range in {
		k = strings.ToLower(k)
		if prev, ok := out[k]; ok { // "Foo" and "foo" both present: keep both values
			v = prev + ", " + v
		}
		out[k] = v
	}
	return out
}

func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("request body flagged isBase64Encoded is not valid base64: %w", err)
	}
	return b, nil
}

// encodeBody returns the body as a string, base64-encoded when it is not valid UTF-8: both
// platforms carry the body in a JSON string, which cannot hold arbitrary bytes.
func encodeBody(b []byte) (string, bool) {
	if utf8.Valid(b) {
		return string(b), false
	}
	return base64.StdEncoding.EncodeToString(b), true
}

func status(s int) int {
	if s == 0 {
		return http.StatusOK
	}
	return s
}

func jsonError(code int, msg string) HTTPResponse {
	b, _ := json.Marshal(struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}{false, msg})
	return HTTPResponse{Status: code, Headers: map[string]string{"content-type": "application/json"}, Body: b}
}

func badRequest(err error) HTTPResponse { return jsonError(http.StatusBadRequest, err.Error()) }

// panicLogger reports handler panics in HTTP mode, where the client only gets a plain 500.
var panicLogger = Logger(os.Stderr, slog.LevelError)

// serveHTTP calls h, turning a panic into a 500 whose body says nothing about the panic: the
// details (which may quote request data) go to the log, not to the client.
func serveHTTP(ctx context.Context, h HTTPHandler, req HTTPRequest) (resp HTTPResponse) {
	defer func() {
		if v := recover(); v != nil {
			panicLogger.ErrorContext(ctx, "HTTP handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp = jsonError(http.StatusInternalServerError, "internal error (request id "+RequestID(ctx)+")")
		}
	}()
	return h(ctx, req)
}

// serveLocal serves h on ln until ctx is done, then shuts down gracefully.
func serveLocal(ctx context.Context, ln net.Listener, h HTTPHandler, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           localHandler(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdown)
	<-errc // Serve has returned ErrServerClosed
	return err
}

// localHandler adapts h to net/http for local mode.
func localHandler(h HTTPHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxLocalBody))
		if err != nil {
			resp := badRequest(fmt.Errorf("reading request body: %w", err))
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				resp = jsonError(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxLocalBody))
			}
			writeResponse(w, resp)
			return
		}
		req := HTTPRequest{
			Method:   r.Method,
			Path:     r.URL.Path,
			RawQuery: r.URL.RawQuery,
			Headers:  make(map[string]string, len(r.Header)+1),
			Body:     body,
		}
		for k, vs := range r.Header {
			req.Headers[strings.ToLower(k)] = strings.Join(vs, ", ")
		}
		req.Headers["host"] = r.Host // net/http moves Host out of the header map
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			req.SourceIP = host
		}
		ctx := withInvocation(r.Context(), nextLocalID(), "")
		writeResponse(w, serveHTTP(ctx, h, req))
	})
}

func writeResponse(w http.ResponseWriter, r HTTPResponse) {
	for k, v := range r.Headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status(r.Status))
	w.Write(r.Body)
}
