package golden

import (
	"fmt"
	"testing"
)

type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, a...))
}

func TestCheck(t *testing.T) {
	if *update {
		t.Skip("-update rewrites instead of comparing")
	}
	for got, differs := range map[string]bool{"hello\n": false, "hello": true, "hello\n\n": true, "": true} {
		r := &recorder{TB: t}
		Check(r, "hello", []byte(got))
		if (len(r.errs) > 0) != differs {
			t.Errorf("Check(%q): reported %v, want a difference %v", got, r.errs, differs)
		}
	}
}

func TestJSON(t *testing.T) {
	if got := string(JSON(t, []byte(`{"a":[1,{"b":"<"}]}`))); got != "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"<\"\n    }\n  ]\n}\n" {
		t.Errorf("JSON = %q", got)
	}
}
