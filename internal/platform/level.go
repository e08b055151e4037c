package platform

import (
	"log/slog"
	"strings"
)

// LogLevel reads a LOG_LEVEL value the way slog.Level.UnmarshalText does
// (debug, info, warn, error, in any case, optionally with an offset such as
// info+2), plus "warning" for warn. Anything else, and "", is info.
func LogLevel(s string) slog.Level {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "warning") {
		return slog.LevelWarn
	}
	var l slog.Level
	if l.UnmarshalText([]byte(s)) != nil {
		return slog.LevelInfo
	}
	return l
}
