package message

import (
	"strings"
	"testing"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
)

// The fast paths taken for speed must give exactly what the careful code
// gives: sanitize's no-rewrite path (ASCII and Chinese text alike) and
// fit's skipping of the wire-size check for messages that cannot be too big.
func FuzzSanitizeFastPath(f *testing.F) {
	for _, s := range []string{"debug-webhook_clone", "任务已失败", " 显存不足 CUDA OOM ", "a\u2028b", "bad\xffbyte",
		"x\u0085y", "[a](b)", "a@b", "全角＠＜", "\ufffd", "\u3000全角空格\u3000", "tab\there"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, inLink := range []bool{false, true} {
			if needsSanitize(s, inLink) {
				continue
			}
			if fast, careful := sanitize(s, inLink), rewrite(s, inLink); fast != careful {
				t.Fatalf("sanitize(%q, %v): fast path %q, careful path %q", s, inLink, fast, careful)
			}
		}
	})
}

func TestSanitizeFastPathTakesChinese(t *testing.T) {
	for _, s := range []string{"任务已失败", "pre_train", "leilei (211790764591639068)", "Job failed: worker-0 exited with code 1"} {
		if needsSanitize(s, false) {
			t.Errorf("needsSanitize(%q) = true: plain text takes the allocating path", s)
		}
	}
	for _, s := range []string{"a\u2028b", "x\u0085y", "bad\xffbyte", "a@b", "<b>", "a](b", "line\nbreak"} {
		if !needsSanitize(s, false) {
			t.Errorf("needsSanitize(%q) = false: it must be rewritten", s)
		}
	}
	if got := inline("\u3000全角\u3000"); got != strings.TrimSpace("\u3000全角\u3000") {
		t.Errorf("inline trims %q to %q", "\u3000全角\u3000", got)
	}
}

func FuzzFitsAgreesWithBody(f *testing.F) {
	f.Add("标题", "正文 **x**", "", "", "138", false)
	f.Add("t", strings.Repeat("显存\x00\"<", 1500), "查看详情", "https://h/x", "", true)
	f.Add("", strings.Repeat("a", 3300), "", "", strings.Repeat("1", 40), false)
	f.Fuzz(func(t *testing.T, title, text, button, url, mobile string, card bool) {
		m := dingtalk.Message{Type: dingtalk.TypeMarkdown, Title: title, Text: text, AtMobiles: []string{mobile, mobile}}
		if card && button != "" && url != "" {
			m = dingtalk.Message{Type: dingtalk.TypeActionCard, Title: title, Text: text, ButtonTitle: button, ButtonURL: url}
		}
		if got, want := fits(m), bodySize(m) <= dingtalk.MaxBodyBytes; got != want {
			t.Fatalf("fits = %v, but the body is %d bytes", got, bodySize(m))
		}
	})
}

func TestFontTagIsColour(t *testing.T) {
	for _, s := range []string{"Failed", "Succeeded", "Stopped", "Terminated", "Running", "", "odd"} {
		if got, want := fontTag(s), `<font color="`+colour(s)+`">`; got != want {
			t.Errorf("fontTag(%q) = %q, want %q", s, got, want)
		}
	}
}

// Render keeps a task's fields in a fixed array; a task with every field set
// must fit in it, or fields would be dropped.
func TestEveryFieldFitsTheArray(t *testing.T) {
	full := sampleC()
	full.PipelineID, full.PipelineName, full.Started = "flow-1", "nightly", full.Created.Add(time.Minute)
	full.Version = "v3"
	var buf [maxFields + 8]field
	fs, _ := taskFields(buf[:0], full, pickLang(Options{}))
	if len(fs) > maxFields {
		t.Fatalf("a full task has %d fields, more than maxFields (%d)", len(fs), maxFields)
	}
	if len(fs) < 16 {
		t.Fatalf("a full task has %d fields, want all 16", len(fs))
	}
	text := Render(full, Options{}).Text
	for _, f := range fs {
		if !strings.Contains(text, f.label) {
			t.Errorf("field %q missing from the rendered text", f.label)
		}
	}
}
