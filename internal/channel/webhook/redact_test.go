package webhook

import (
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// TestJudgedRedactsAtEveryOffset: the secret and the URL's tokens echoed
// at every offset of an answer (across the 120 bytes Judge quotes, on 400,
// 410, 429, 500 and 503: a 2xx is delivered whatever it says), and nothing
// printed holds 8 characters of them in a row.
func TestJudgedRedactsAtEveryOffset(t *testing.T) {
	const key, urlToken, pathToken = "c2VjcmV0LWtleS1mb3ItcGFpLW5vdGlmaWVyLXRlc3Rz", "tok3nInTheQuery9", "p4thT0kenSegment"
	hook := "https://receiver.example/hooks/" + pathToken + "?token=" + urlToken
	red := credentials(hook, SecretPrefix+key)
	channeltest.EveryOffset(t, channel.SnippetBytes+len(hook), []int{400, 410, 429, 500, 503}, func(pad string) []string {
		return []string{pad + hook, pad + urlToken + " " + pathToken, pad + SecretPrefix + key, pad + key}
	}, func(status int, body []byte) *channel.Error {
		return judged(channel.Answer{Status: status, Body: body}, red)
	}, key, urlToken, pathToken)
}
