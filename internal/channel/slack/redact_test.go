package slack

import (
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channeltest"
)

// TestJudgedRedactsAtEveryOffset: the webhook's secret path echoed at every
// offset of an answer (plain, as Slack answers, across the 120 bytes Judge
// quotes, on 200, 400 and 503), and nothing printed holds 8 characters of
// the team, bot or token in a row.
func TestJudgedRedactsAtEveryOffset(t *testing.T) {
	const team, bot, token = "T0SECRETTEAM", "B0SECRETBOT", "xYz9SeCrEtToKeN42abc"
	hook := "https://hooks.slack.com/services/" + team + "/" + bot + "/" + token
	red := credentials(hook)
	channeltest.EveryOffset(t, channel.SnippetBytes+len(hook), nil, func(pad string) []string {
		return []string{pad + hook, pad + token + " tail", "<html>" + pad + "/services/" + team + "/" + bot + "/" + token}
	}, func(status int, body []byte) *channel.Error {
		return judged(channel.Answer{Status: status, Body: body}, red)
	}, team, bot, token)
}
