package channeltest

import (
	"strings"
	"unicode"
)

// Bilingual reports whether a hint has Chinese and then English in it, as
// every channel's hints must.
func Bilingual(h string) bool {
	han := strings.IndexFunc(h, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	latin := strings.LastIndexFunc(h, func(r rune) bool { return r >= 'a' && r <= 'z' })
	return han >= 0 && latin > han
}
