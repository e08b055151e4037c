package message

import (
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/golden"
)

// wire is the pretty-printed request body DingTalk would receive.
func wire(t *testing.T, m dingtalk.Message) []byte {
	t.Helper()
	b, err := dingtalk.Body(m)
	if err != nil {
		t.Fatalf("dingtalk.Body(%q): %v", m.Title, err)
	}
	if len(b) > dingtalk.MaxBodyBytes {
		t.Errorf("%q: body is %d bytes, over %d", m.Title, len(b), dingtalk.MaxBodyBytes)
	}
	return golden.JSON(t, b)
}

var (
	zhMD   = Options{}
	enMD   = Options{Lang: "en"}
	zhCard = Options{Format: "actionCard"}
	enCard = Options{Lang: "en", Format: "actionCard", AtMobiles: []string{"13800000000"}, AtUserIDs: []string{"manager01"}}
	zhAll  = Options{Keyword: "PAI", AtMobiles: []string{"13800000000", "+852-12345678"}, AtUserIDs: []string{"user123"}, AtAll: true}
	enKW   = Options{Lang: "en", Keyword: "alert", AtUserIDs: []string{"user123"}}
)

func TestRenderGolden(t *testing.T) {
	giant := sampleC()
	giant.ReasonMessage = strings.Repeat("Traceback: 显存不足 CUDA out of memory; ", 1200)
	for _, c := range []struct {
		name string
		m    dingtalk.Message
	}{
		{"dlc-failed-zh", render(sampleC(), zhMD)},
		{"dlc-failed-en", render(sampleC(), enMD)},
		{"dlc-failed-zh-actioncard", render(sampleC(), zhCard)},
		{"dlc-failed-en-actioncard-mentions", render(sampleC(), enCard)},
		{"dlc-failed-zh-keyword-mentions", render(sampleC(), zhAll)},
		{"dlc-succeeded-zh", render(sampleD(), zhMD)},
		{"dlc-succeeded-en-keyword", render(sampleD(), enKW)},
		{"dlc-stopped-zh", render(sampleE(), zhMD)},
		{"dlc-stopped-en", render(sampleE(), enMD)},
		{"paiflow-failed-zh", render(sampleF(), zhMD)},
		{"paiflow-failed-en-actioncard", render(sampleF(), Options{Lang: "en", Format: "actionCard"})},
		{"paiflow-succeeded-zh", render(sampleG(), zhMD)},
		{"paiflow-succeeded-en", render(sampleG(), enMD)},
		{"batch-h-zh", render(sampleH()[0], zhMD)},
		{"sagemaker-training-en", render(sampleI(), enMD)},
		{"sagemaker-training-zh-actioncard", render(sampleI(), zhCard)},
		{"sagemaker-pipeline-zh", render(sampleJ(), zhMD)},
		{"truncated-reason-zh", render(giant, zhAll)},
		{"truncated-reason-en", render(giant, enMD)},
		{"test-zh", testMsg(zhMD, "", at("2026-01-06T07:18:21Z"))},
		{"test-en-keyword-mentions", testMsg(enKW, "", at("2026-01-06T07:18:21Z"))},
		{"test-zh-custom-text", testMsg(zhAll, "来自运维：请忽略 @all [x](http://evil)", at("2026-01-06T07:18:21Z"))},
	} {
		t.Run(c.name, func(t *testing.T) { golden.Check(t, c.name, wire(t, c.m)) })
	}
}

func TestDigestGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		ms   []dingtalk.Message
	}{
		{"digest-5-zh", digestDT(fiveTasks(), zhMD)},
		{"digest-5-en-keyword-mentions", digestDT(fiveTasks(), enKW)},
		{"digest-batch-h-zh", digestDT(sampleH(), zhAll)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if len(c.ms) != 1 {
				t.Fatalf("got %d messages, want 1", len(c.ms))
			}
			golden.Check(t, c.name, wire(t, c.ms[0]))
		})
	}
}
