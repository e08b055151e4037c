// Package secret holds values that must never reach a log line, an error or
// a result: signing secrets, and webhook URLs that carry a token, a key or a
// secret path (every chat channel's credential is in its URL).
package secret

import "log/slog"

// String is a secret text. Every way of printing it (fmt verbs, JSON, slog)
// yields "<secret>"; only Reveal returns the value, and only the code that
// signs or sends a request should call it.
type String string

const redacted = "<secret>"

// Reveal returns the secret value.
func (s String) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s String) IsZero() bool { return s == "" }

// String implements fmt.Stringer.
func (s String) String() string { return redacted }

// GoString implements fmt.GoStringer so that %#v redacts too.
func (s String) GoString() string { return redacted }

// MarshalJSON implements json.Marshaler.
func (s String) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s String) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue implements slog.LogValuer.
func (s String) LogValue() slog.Value { return slog.StringValue(redacted) }
