package platform

import (
	"log/slog"
	"strings"
)

// LogLevel reads a LOG_LEVEL value: debug, info (the default, also for
// anything unrecognised), warn or error.
func LogLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
