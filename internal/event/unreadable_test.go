package event

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// An event from PAI that gives no job id or status is Unreadable, with its
// key paths and never a value.
func TestUnreadableCarriesPathsNotValues(t *testing.T) {
	body := `{"id":"ev-1","source":"acs.pai.unknown","aliyuneventbusname":"pai-system-ws","type":"pai:DLC:Changed",` +
		`"data":{"job":{"ident":"dlcSECRETVALUE","lifecycle":{"now":"FAILED-VALUE"}},"list":[{"a":"v1"},{"a":"v2","b":"v3"}],"empty":{},"none":[]}}`
	b := mustParse(t, &Parser{}, body)
	if len(b.Tasks) != 0 || len(b.Skipped) != 0 || len(b.Unreadable) != 1 {
		t.Fatalf("got %+v, want one unreadable", b)
	}
	u := b.Unreadable[0]
	want := []string{"id", "source", "aliyuneventbusname", "type", "data.job.ident", "data.job.lifecycle.now",
		"data.list.#.a", "data.list.#.b", "data.empty", "data.none"}
	if u.EventID != "ev-1" || u.Reason != "no job id and no status field" || !slices.Equal(u.Paths, want) {
		t.Errorf("got %+v\nwant paths %v", u, want)
	}
	for _, p := range u.Paths {
		for _, v := range []string{"SECRET", "VALUE", "v1", "v2", "v3", "ev-1", "acs.pai"} {
			if strings.Contains(p, v) {
				t.Errorf("path %q carries the value %q", p, v)
			}
		}
	}
}

func TestKeyPathsBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"data":{`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":1`, i)
	}
	b.WriteString(`},"deep":` + strings.Repeat(`{"d":`, 20) + `1` + strings.Repeat(`}`, 20) + `}`)
	paths := KeyPaths(parseJSON(b.String()))
	if len(paths) != maxPaths+1 || paths[maxPaths] != "…" {
		t.Errorf("got %d paths ending %q, want %d and …", len(paths), paths[len(paths)-1], maxPaths+1)
	}
	deep := KeyPaths(parseJSON(`{"deep":` + strings.Repeat(`{"d":`, 20) + `1` + strings.Repeat(`}`, 20) + `}`))
	if len(deep) != 1 || !strings.HasSuffix(deep[0], ".…") || strings.Count(deep[0], ".") > maxPathDepth+1 {
		t.Errorf("deep: %v", deep)
	}
	if got := KeyPaths(parseJSON(`{"a.b":{"c*":1}}`)); !slices.Equal(got, []string{`a\.b.c\*`}) {
		t.Errorf("escaping: %v", got)
	}
}

// Known keys are found below data, case-insensitively; a shallower key beats
// a deeper one whatever their synonyms; configuration objects and anything
// past maxDepth are not searched.
func TestDeepKeys(t *testing.T) {
	tests := []struct {
		name, data string
		check      func(Task) string
		want       string
	}{
		{"status one object down", `{"job":{"JOBID":"dlc1","STATE":"failed"}}`, func(t Task) string { return t.Status }, "Failed"},
		{"phase", `{"JobId":"dlc1","detail":{"phase":"Running"}}`, func(t Task) string { return t.Status }, "Running"},
		{"identifier", `{"job":{"identifier":"x9","status":"Failed"}}`, func(t Task) string { return t.JobID }, "x9"},
		{"shallow weak synonym beats deep strong one", `{"JobId":"dlc1","State":"Running","x":{"Status":"Failed"}}`, func(t Task) string { return t.Status }, "Running"},
		{"Envs are not searched", `{"JobId":"dlc1","Status":"Failed","Envs":{"REGION_ID":"cn-x"},"Settings":{"Region":"cn-y"}}`, func(t Task) string { return t.Region }, ""},
		{"four objects down is found", `{"JobId":"dlc1","a":{"b":{"c":{"d":{"Status":"Failed"}}}}}`, func(t Task) string { return t.Status }, "Failed"},
		{"arrays are not searched", `{"JobId":"dlc1","Status":"Failed","Pods":[{"Name":"p"}],"x":[{"DisplayName":"n"}]}`, func(t Task) string { return t.JobName }, ""},
		{"path recorded", `{"job":{"id":"dlc1","meta.data":{"State":"Failed"}}}`, func(t Task) string { return t.From.Path("status") }, `data.job.meta\.data.State`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"id":"e","source":"acs.pai","type":"pai:DLC:X","data":` + tt.data + `}`
			b := mustParse(t, (&Parser{}).Traced(), body)
			if len(b.Tasks) != 1 {
				t.Fatalf("got %+v", b)
			}
			if got := tt.check(b.Tasks[0]); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Five objects down is past maxDepth: no status, so unreadable.
	b := mustParse(t, &Parser{}, `{"source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"dlc1","a":{"b":{"c":{"d":{"e":{"Status":"Failed"}}}}}}}`)
	if len(b.Unreadable) != 1 {
		t.Errorf("a status five objects down was read: %+v", b)
	}
}

func TestStatusTrimmed(t *testing.T) {
	for _, raw := range []string{"FAILED", "failed ", `\n Failed\t`, `\ufeffFailed`, `\u00a0failed\r\n`} {
		b := mustParse(t, &Parser{}, `{"source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"dlc1","Status":"`+raw+`"}}`)
		if len(b.Tasks) != 1 || b.Tasks[0].Status != "Failed" {
			t.Errorf("status %q: got %+v", raw, b)
		}
	}
	if got, ok := CanonicalStatus(DLC, " \ufeffsucceeded\n"); got != "Succeeded" || !ok {
		t.Errorf("CanonicalStatus = %q, %v", got, ok)
	}
	if got, ok := CanonicalStatus(DLC, " Exploded\n"); got != "Exploded" || ok {
		t.Errorf("unknown status = %q, %v; want it trimmed", got, ok)
	}
	// Only blanks is no status at all.
	b := mustParse(t, &Parser{}, `{"source":"acs.pai","type":"pai:DLC:X","data":{"JobId":"dlc1","Status":" \ufeff "}}`)
	if len(b.Unreadable) != 1 {
		t.Errorf("blank status read as %+v", b)
	}
}

func TestStatusFromType(t *testing.T) {
	tests := []struct{ typ, want string }{
		{"pai:DLC:JobFailed", "Failed"},
		{"pai:DLC:JobSucceeded", "Succeeded"},
		{"pai.dlc.job.stopped", "Stopped"},
		{"pai:DLC:JobSubmitFailed", "SubmitFailed"},
		{"pai:PAIFlow:RunTerminated", "Terminated"},
		{"pai:DLC:JobStatusChanged", ""},
	}
	for _, tt := range tests {
		b := mustParse(t, (&Parser{}).Traced(), `{"id":"e","source":"acs.pai","type":"`+tt.typ+`","data":{"JobId":"j1"}}`)
		if tt.want == "" {
			if len(b.Unreadable) != 1 || b.Unreadable[0].Reason != "no status field" {
				t.Errorf("%s: got %+v, want unreadable", tt.typ, b)
			}
			continue
		}
		if len(b.Tasks) != 1 || b.Tasks[0].Status != tt.want || b.Tasks[0].From.Path("status") != "type" {
			t.Errorf("%s: got %+v, want status %s from type", tt.typ, b, tt.want)
		}
	}
	// A status key wins over the type.
	b := mustParse(t, &Parser{}, `{"source":"acs.pai","type":"pai:DLC:JobFailed","data":{"JobId":"j1","Status":"Running"}}`)
	if len(b.Tasks) != 1 || b.Tasks[0].Status != "Running" {
		t.Errorf("got %+v", b)
	}
}

func TestConsoleLink(t *testing.T) {
	for s, want := range map[string]bool{
		"https://pai.console.aliyun.com/?regionId=cn-hangzhou#/job/detail?jobId=dlc1": true,
		"https://PAI.console.aliyun.com/x":                                            true,
		"https://pai.console.alibabacloud.com/x":                                      true,
		"https://us-east-1.console.aws.amazon.com/sagemaker/home":                     true,
		"https://console.aws.amazon.com/":                                             true,
		"http://pai.console.aliyun.com/x":                                             false,
		"https://pai.console.aliyun.com.evil.example/x":                               false,
		"https://evil.example/pai.console.aliyun.com":                                 false,
		"https://user:pw@pai.console.aliyun.com/x":                                    false,
		"https://pai.console.aliyun.com:8443/x":                                       false,
		"https://xconsole.aws.amazon.com/":                                            false,
		"javascript:alert(1)":                                                         false,
		" https://pai.console.aliyun.com/x":                                           false,
		"":                                                                            false,
	} {
		if got := ConsoleLink(s); got != want {
			t.Errorf("ConsoleLink(%q) = %v, want %v", s, got, want)
		}
	}
}

func parseJSON(s string) gjson.Result { return gjson.Parse(s) }
