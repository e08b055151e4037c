//lint:file-ignore S1025 what fmt prints for each verb is the point of these tests

package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestStringNeverPrints(t *testing.T) {
	const value = "SECdeadbeef"
	s := String(value)
	if s.Reveal() != value {
		t.Fatalf("Reveal() = %q, want %q", s.Reveal(), value)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", s)
	js, err := json.Marshal(struct{ S String }{s})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("%s", s),
		"%q":   fmt.Sprintf("%q", s),
		"%#v":  fmt.Sprintf("%#v", s),
		"%+v":  fmt.Sprintf("%+v", struct{ S String }{s}),
		"json": string(js),
		"slog": logged.String(),
	} {
		if strings.Contains(got, value) {
			t.Errorf("%s printed the secret: %s", name, got)
		}
		if !strings.Contains(got, "<secret>") && !strings.Contains(got, `\u003csecret\u003e`) {
			t.Errorf("%s = %s, want <secret>", name, got)
		}
	}
}
