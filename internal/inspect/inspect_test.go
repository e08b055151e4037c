package inspect

import (
	"bytes"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(env(nil), []string{"../../events/pai-unknown-keys.json", "../../events/dlc-failed.json"}, nil, &out, &errOut)
	if code != 1 {
		t.Errorf("exit %d, want 1 (one event unreadable)", code)
	}
	for _, s := range []string{
		"== ../../events/pai-unknown-keys.json, event 0, id 6f1e2d3c-0000-4a5b-9c8d-0000000000aa: unreadable: ",
		"    jobId: data.jobInfo.uuid\n",
		"== ../../events/dlc-failed.json, event 0, id 6f1e2d3c-0000-4a5b-9c8d-000000000001: task (dlc, status Failed)",
		"data.Status ",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}

	// The rules' fields: apply: with the guessed mapping the event reads.
	out.Reset()
	doc := "fields:\n  dlc:\n    jobId: data.jobInfo.uuid\n    status: data.jobInfo.lifecycle.current\n" +
		"rules:\n  - name: a\n    source: dlc\n    target: {webhook: \"https://oapi.dingtalk.com/robot/send?access_token=x\"}\n"
	code = Run(env(map[string]string{"NOTIFY_RULES": doc}), []string{"-"}, strings.NewReader(readFile(t, "../../events/pai-unknown-keys.json")), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), ": task (dlc, status Failed)") || !hasLine(out.String(), "data.jobInfo.uuid", "jobId") {
		t.Errorf("exit %d with the mapping:\n%s\n%s", code, out.String(), errOut.String())
	}

	errOut.Reset()
	if code := Run(env(nil), []string{"/nonexistent.json"}, nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "nonexistent.json") {
		t.Errorf("missing file: exit %d, %q", code, errOut.String())
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := read(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hasLine reports whether a line of out starts (after spaces) with the path
// and names the field next.
func hasLine(out, path, field string) bool {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == path && f[1] == field {
			return true
		}
	}
	return false
}
