package platform

import (
	"context"
	"io"
	"log/slog"
)

// Logger returns a JSON slog logger writing to w. Every record made with a *Context method carries
// requestId (and function, when the platform names it) from ctx, so packages that log never need
// to import platform: they take a *slog.Logger and pass their ctx along. FC and CloudWatch both
// index JSON log lines.
func Logger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(invocationHandler{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})})
}

// invocationHandler adds the invocation's attributes to each record. After WithGroup they land
// inside the group, as any attribute added at Handle time does.
type invocationHandler struct{ next slog.Handler }

func (h invocationHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h invocationHandler) Handle(ctx context.Context, r slog.Record) error {
	if inv := invocationFrom(ctx); inv.requestID != "" || inv.function != "" {
		r = r.Clone() // the caller may still hold r; AddAttrs must not write into its backing array
		if inv.requestID != "" {
			r.AddAttrs(slog.String("requestId", inv.requestID))
		}
		if inv.function != "" {
			r.AddAttrs(slog.String("function", inv.function))
		}
	}
	return h.next.Handle(ctx, r)
}

func (h invocationHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return invocationHandler{h.next.WithAttrs(as)}
}

func (h invocationHandler) WithGroup(name string) slog.Handler {
	return invocationHandler{h.next.WithGroup(name)}
}
