package slack

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSectionsBlockLimit holds the packing under a block budget, which the
// byte bound reaches first in any real message (50 sections of up to 3000
// characters are far more than 40,000 bytes).
func TestSectionsBlockLimit(t *testing.T) {
	line := strings.Repeat("x", 1000)
	lines := []string{line, line, line, line, line, line, line}
	for _, tc := range []struct{ max, wantBlocks, wantUsed int }{
		{0, 0, 0},
		{1, 1, 2}, // 1000+1+1000+1+1000 = 3002 > 3000: two lines a section
		{2, 2, 4},
		{10, 4, 7},
	} {
		blocks, used := sections(lines, tc.max)
		if len(blocks) != tc.wantBlocks || used != tc.wantUsed {
			t.Errorf("sections(7 lines, max %d) = %d blocks holding %d lines, want %d holding %d", tc.max, len(blocks), used, tc.wantBlocks, tc.wantUsed)
		}
		for _, b := range blocks {
			if n := utf8.RuneCountInString(b.Text.Text); n > MaxSectionText {
				t.Errorf("section of %d characters", n)
			}
		}
	}
}

func TestCutEscaped(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"a&b", 7, "a&amp;b"},
		{"a&b", 6, "a…"}, // never "a&am…"
		{"名字很长", 3, "名字…"},
	} {
		if got := cutEscaped(tc.in, tc.max); got != tc.want {
			t.Errorf("cutEscaped(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
