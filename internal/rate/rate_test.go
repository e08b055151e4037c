package rate

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Rate{
		"20/1m": {20, time.Minute}, "20/m": {20, time.Minute}, "20/60s": {20, time.Minute}, " 3 / 10s ": {3, 10 * time.Second},
		"5/minute": {5, time.Minute}, "1/h": {1, time.Hour}, "2/sec": {2, time.Second},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "20", "0/1m", "-1/1m", "x/1m", "20/0s", "20/forever", "20/-1m"} {
		if _, err := Parse(bad); err == nil || !strings.Contains(err.Error(), "rate") {
			t.Errorf("Parse(%q): error %v, want one naming the rate", bad, err)
		}
	}
	if got := (Rate{5, time.Minute}).String(); got != "5/1m0s" {
		t.Errorf("String = %q", got)
	}
}

// FuzzParse: an operator's setting never panics, and what parses is positive.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"20/1m", "5/m", "1/1ns", "9999999999999999999/1m", "1/9999999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := Parse(s)
		if err == nil && (r.N < 1 || r.Per <= 0) {
			t.Errorf("Parse(%q) = %v without an error", s, r)
		}
	})
}
