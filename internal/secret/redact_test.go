package secret

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Upper-case letters and digits only, so that any of them left in a page
// made of lower-case text and punctuation is part of a secret.
const (
	testToken  = "0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B" // 64, like DingTalk's
	testSecret = "SEC0A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6E7F8A9B0C1D2E3F4A5B6C7D8E9F0A1B"
)

func leftover(s string) string {
	s = strings.ReplaceAll(s, "<secret>", "")
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// TestCutRedactsBeforeCutting puts the secret at every offset of a long
// answer (a 502 page echoing the request URL, as a proxy's does) and cuts
// it to 120 bytes, as an error message does: no character of the secret
// may survive, whichever way the Redactor learnt it.
func TestCutRedactsBeforeCutting(t *testing.T) {
	webhook := "https://oapi.dingtalk.com/robot/send?access_token=" + testToken
	signed := webhook + "&timestamp=1700000000000&sign=" + url.QueryEscape("AB+CD/EF==")
	withURL := &Redactor{}
	withURL.AddURL(signed)
	withURL.Add(testSecret)
	for name, tc := range map[string]struct {
		r      *Redactor
		secret string
	}{
		"token in the URL":          {withURL, signed},
		"bare token":                {NewRedactor(testToken), testToken},
		"escaped token":             {NewRedactor(testToken), url.PathEscape(testToken)},
		"token never given":         {nil, "access_token=" + testToken},
		"signing secret":            {withURL, testSecret},
		"signing secret never seen": {&Redactor{}, testSecret},
	} {
		t.Run(name, func(t *testing.T) {
			filler := strings.Repeat("bad gateway: upstream said no. ", 20)
			for off := 0; off <= len(filler); off++ {
				page := "<html><body>" + filler[:off] + tc.secret + filler[off:] + "</body></html>"
				for _, max := range []int{40, 120, 500} {
					got := tc.r.Cut(page, max)
					if l := leftover(got); l != "" {
						t.Fatalf("offset %d, cut at %d: %q kept %q of the secret", off, max, got, l)
					}
					if len(got) > max+len("...") {
						t.Fatalf("offset %d: Cut(%d) gave %d bytes", off, max, len(got))
					}
				}
			}
		})
	}
}

func TestCutKeepsRunesWhole(t *testing.T) {
	s := strings.Repeat("失败", 30) // 3 bytes a rune
	for max := range 20 {
		got := NewRedactor().Cut(s, max)
		if !utf8.ValidString(got) || len(got) > max+3 {
			t.Errorf("Cut(%d) = %q", max, got)
		}
	}
	if got := NewRedactor().Cut("short\xff", 100); got != "short?" {
		t.Errorf("invalid UTF-8: %q", got)
	}
}

func TestRedactLeavesOrdinaryText(t *testing.T) {
	r := NewRedactor("abc", "", testToken) // "abc" is too short to be a secret
	const text = "abc: the robot answered 310000 sign not match; see SEC... in the settings"
	if got := r.Redact(text); got != text {
		t.Errorf("Redact changed ordinary text: %q", got)
	}
	if got := r.Redact("x" + testToken + "y"); got != "x<secret>y" {
		t.Errorf("Redact = %q", got)
	}
}
