package dingtalk

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestBody(t *testing.T) {
	tests := []struct {
		name    string
		m       Message
		want    string
		wantErr string
	}{
		{name: "markdown default type", m: Message{Title: "DLC 失败", Text: "### job <b> & \"x\"\n> @138", AtMobiles: []string{"138"}},
			want: `{"msgtype":"markdown","markdown":{"title":"DLC 失败","text":"### job <b> & \"x\"\n> @138"},"at":{"atMobiles":["138"],"atUserIds":[],"isAtAll":false}}`},
		{name: "markdown explicit, at all", m: Message{Type: TypeMarkdown, Title: "t", Text: "x", AtUserIDs: []string{"u1", "u2"}, AtAll: true},
			want: `{"msgtype":"markdown","markdown":{"title":"t","text":"x"},"at":{"atMobiles":[],"atUserIds":["u1","u2"],"isAtAll":true}}`},
		{name: "actionCard has no at", m: Message{Type: TypeActionCard, Title: "t", Text: "@u1 x", ButtonTitle: "打开", ButtonURL: "https://pai.console.aliyun.com/?a=1&b=2", AtUserIDs: []string{"u1"}},
			want: `{"msgtype":"actionCard","actionCard":{"title":"t","text":"@u1 x","singleTitle":"打开","singleURL":"https://pai.console.aliyun.com/?a=1&b=2","btnOrientation":"0"}}`},
		{name: "actionCard without button", m: Message{Type: TypeActionCard, Title: "t", Text: "x"}, wantErr: "needs ButtonTitle and ButtonURL"},
		{name: "unknown type", m: Message{Type: "text"}, wantErr: `unknown message type "text"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Body(tt.m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Body error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Body =\n%s, %v\nwant\n%s", got, err, tt.want)
			}
		})
	}
}

// FuzzBody checks that whatever the text, Body is valid JSON that carries
// the text back unchanged and is never HTML-escaped.
func FuzzBody(f *testing.F) {
	f.Add("markdown", "title", "text <b>&</b>", "btn", "https://x/?a=1&b=2", "138")
	f.Add("actionCard", "t", "\u2028\x00\"\\", "b", "u", "")
	f.Add("markdown", "", "\xff invalid utf8", "", "", "@all")
	f.Fuzz(func(t *testing.T, typ, title, text, btn, link, mobile string) {
		m := Message{Type: typ, Title: title, Text: text, ButtonTitle: btn, ButtonURL: link, AtMobiles: []string{mobile}}
		b, err := Body(m)
		if err != nil {
			return
		}
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("Body is not JSON: %v\n%s", err, b)
		}
		if strings.Contains(string(b), `\u003c`) || strings.Contains(string(b), `\u0026`) {
			t.Fatalf("Body HTML-escaped: %s", b)
		}
		want := typ
		if want == "" {
			want = TypeMarkdown
		}
		if v["msgtype"] != want {
			t.Fatalf("msgtype = %v, want %q", v["msgtype"], want)
		}
		inner, _ := v[want].(map[string]any)
		if s, _ := inner["text"].(string); s != jsonText(text) {
			t.Fatalf("%s.text = %q, want %q", want, s, text)
		}
	})
}

// jsonText is what encoding/json makes of s: each invalid UTF-8 byte
// becomes U+FFFD.
func jsonText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func BenchmarkBody(b *testing.B) {
	m := Message{Title: "DLC 任务失败: train-resnet50", Text: strings.Repeat("- **状态**: Failed <font color=\"#FF0000\">失败</font>\n", 40), AtMobiles: []string{"13800000000"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Body(m); err != nil {
			b.Fatal(err)
		}
	}
}
