package event

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/tidwall/gjson"
)

// timeOf reads a time in any form PAI, EventBridge or SageMaker is known to
// send. A value it cannot read gives the zero time, never an error: a bad
// timestamp must not cost a notification.
func timeOf(v gjson.Result) time.Time {
	switch v.Type {
	case gjson.Number:
		return epoch(v.Num)
	case gjson.String:
		return parseTime(v.Str)
	}
	return time.Time{}
}

// maxEpochMs is 9999-12-31T23:59:59.999Z; anything later is garbage.
const maxEpochMs = 253402300799999

// epoch reads Unix milliseconds or seconds. Values from 1e11 up are taken as
// milliseconds: as seconds they would be past the year 5000, as milliseconds
// they start in 1973.
func epoch(n float64) time.Time {
	if !(n > 0) || n > maxEpochMs { // !(n > 0) also catches NaN
		return time.Time{}
	}
	if n >= 1e11 {
		return time.UnixMilli(int64(n)).UTC()
	}
	sec, frac := math.Modf(n)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// parseTime reads RFC 3339 (with or without a fraction), the zone-name forms
// EventBridge really sends ("2020-11-19T21:04:42.179PRC",
// "2020-08-17T16:04:46.149Asia/Shanghai"), "2006-01-02 15:04:05" and epoch
// numbers written as strings. A time without a zone is UTC: PAI's Gmt*
// fields are documented as UTC.
func parseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if numeric(s) {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}
		}
		return epoch(n)
	}
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	// Parse takes a fraction after the seconds whether or not the layout has one.
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05Z07", localLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	// Or a zone name right after the seconds and fraction. The date is read
	// first, so that garbage never costs a zone lookup.
	if len(s) <= 19 {
		return time.Time{}
	}
	at := strings.IndexFunc(s[19:], unicode.IsLetter)
	if at < 0 {
		return time.Time{}
	}
	at += 19
	t, err := time.Parse(localLayout, s[:at])
	if err != nil {
		return time.Time{}
	}
	loc := zoneByName(s[at:])
	if loc == nil {
		return time.Time{}
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// localLayout is a time without a zone.
const localLayout = "2006-01-02T15:04:05"

// numeric reports whether s is digits with at most one '.'.
func numeric(s string) bool {
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
		case c == '.' && !dot && i > 0:
			dot = true
		default:
			return false
		}
	}
	return true
}

// Zone names in timestamps, read through the embedded zone database
// (zone.go), so they read the same on minimal images with no zoneinfo. PRC
// is asked for as Asia/Shanghai: newer zone databases moved PRC to
// "tzdata-legacy".
var (
	zoneAliases = map[string]string{"PRC": "Asia/Shanghai"}
	zones       = struct {
		sync.RWMutex
		m map[string]*time.Location
	}{m: map[string]*time.Location{}}
)

// maxZones bounds the zone cache: names come from outside input.
const maxZones = 64

// zoneByName returns the location named in a timestamp, or nil when unknown.
func zoneByName(name string) *time.Location {
	if name == "UTC" || name == "GMT" {
		return time.UTC
	}
	zones.RLock()
	loc, ok := zones.m[name]
	zones.RUnlock()
	if ok {
		return loc
	}
	if !zoneNameOK(name) {
		return nil
	}
	loc = loadZone(name, time.LoadLocation)
	zones.Lock()
	if len(zones.m) < maxZones {
		zones.m[name] = loc // unknown names too (nil), so they cost one disk lookup
	}
	zones.Unlock()
	return loc
}

// loadZone resolves name (or its alias) with load; nil when unknown.
func loadZone(name string, load func(string) (*time.Location, error)) *time.Location {
	iana := name
	if a, ok := zoneAliases[name]; ok {
		iana = a
	}
	loc, err := load(iana)
	if err != nil {
		return nil
	}
	return loc
}

// zoneNameOK accepts what an IANA name can look like and nothing that could
// wander the file system.
func zoneNameOK(s string) bool {
	if len(s) == 0 || len(s) > 40 || !isLetter(s[0]) || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !('0' <= c && c <= '9') && c != '/' && c != '_' && c != '-' && c != '+' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
