// Command echofn is the test function of internal/platform and runtimetest: a program as thin as
// the real mains, whose behaviour each invocation picks. ECHO_MODE=http runs it as an HTTP
// function, anything else as an event function.
//
// Event payloads are {"op": ..., "msg": ...}: echo (default; also any non-JSON payload), error,
// panic, log, bytes (returns a []byte result), wait (blocks until a release invocation or its
// deadline), release, exit (kills the process). HTTP requests are echoed as JSON; path /panic
// panics, ?binary=1 answers with non-UTF-8 bytes, ?status=N sets the status.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"sync"

	"github.com/pai-notifier/pai-notifier/internal/platform"
)

func main() {
	logger := platform.Logger(os.Stderr, slog.LevelDebug)
	if os.Getenv("ECHO_MODE") == "http" {
		platform.RunHTTP(httpHandler(logger))
		return
	}
	platform.RunEvents(eventHandler(logger), os.Args[1:])
}

type echo struct {
	RequestID   string          `json:"requestId"`
	HasDeadline bool            `json:"hasDeadline"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	Text        string          `json:"text,omitempty"`
}

func eventHandler(logger *slog.Logger) platform.EventHandler {
	release := make(chan struct{})
	var once sync.Once
	return func(ctx context.Context, payload []byte) (any, error) {
		var in struct{ Op, Msg string }
		_ = json.Unmarshal(payload, &in) // not JSON: plain echo
		_, hasDeadline := ctx.Deadline()
		out := echo{RequestID: platform.RequestID(ctx), HasDeadline: hasDeadline}
		if json.Valid(payload) {
			out.Payload = payload
		} else {
			out.Text = string(payload)
		}
		switch in.Op {
		case "error":
			return nil, errors.New(in.Msg)
		case "panic":
			panic(in.Msg)
		case "log":
			logger.InfoContext(ctx, "echo log", "text", in.Msg)
		case "bytes":
			return []byte(`{"raw":true}`), nil
		case "wait":
			select {
			case <-release:
			case <-ctx.Done():
				return nil, errors.New("wait: not released before the deadline")
			}
		case "release":
			once.Do(func() { close(release) })
		case "exit":
			os.Exit(3)
		}
		return out, nil
	}
}

func httpHandler(logger *slog.Logger) platform.HTTPHandler {
	return func(ctx context.Context, r platform.HTTPRequest) platform.HTTPResponse {
		if r.Path == "/panic" {
			panic("echofn: asked to panic")
		}
		logger.InfoContext(ctx, "echo http", "method", r.Method, "path", r.Path)
		q, _ := url.ParseQuery(r.RawQuery)
		st, _ := strconv.Atoi(q.Get("status"))
		if q.Get("binary") == "1" {
			return platform.HTTPResponse{Status: st, Headers: map[string]string{"content-type": "application/octet-stream"}, Body: []byte{0xff, 0xfe, 0x00, 0x01}}
		}
		b, _ := json.Marshal(map[string]any{
			"method": r.Method, "path": r.Path, "query": r.RawQuery, "headers": r.Headers,
			"body": r.Body, "sourceIp": r.SourceIP, "requestId": platform.RequestID(ctx),
		})
		return platform.HTTPResponse{Status: st, Headers: map[string]string{"content-type": "application/json"}, Body: b}
	}
}
