package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"github.com/pai-notifier/pai-notifier/internal/secret"
)

// A dry run prints what each channel's group would see, names the target by
// its id, never by its webhook, and sends nothing.
func TestPrintSenderEveryChannel(t *testing.T) {
	const cred = "credential0123456789"
	hooks := map[string]string{
		"dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=" + cred,
		"wecom":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + cred,
		"lark":     "https://open.feishu.cn/open-apis/bot/v2/hook/" + cred,
		"slack":    "https://hooks.slack.com/services/T0/B0/" + cred,
		"webhook":  "http://127.0.0.1:1/" + cred, // port 1: a send would fail
	}
	m := channel.Message{Title: "DLC job train-7 failed", Tone: channel.ToneBad,
		Fields: []channel.Field{{Label: "Job ID", Value: "dlcjob7"}}, Tasks: []channel.Task{{JobID: "dlcjob7"}}}
	for _, s := range channels.All {
		var out bytes.Buffer
		tg := channel.Target{Webhook: secret.String(hooks[s.Name]), Secret: "SECdry0123456789"}
		if err := NewPrintSender(&out).Send(context.Background(), s.New(0), tg, m); err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		got := out.String()
		id := channels.TargetID(s.Name, hooks[s.Name])
		if !strings.Contains(got, "dry run: "+s.Name+" message to "+id) || !strings.Contains(got, "dlcjob7") || !strings.Contains(got, "train-7") {
			t.Errorf("%s printed:\n%s", s.Name, got)
		}
		if strings.Contains(got, cred) || strings.Contains(got, "SECdry") {
			t.Errorf("%s: the dry run prints a credential:\n%s", s.Name, got)
		}
	}
}
