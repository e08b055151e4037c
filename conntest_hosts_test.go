package painotifier_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
)

// TestConnTestAllowedHostsDefault: both descriptors set CONNTEST_ALLOWED_HOSTS explicitly, so
// their default must be the function's own (the registry's official hosts), or a deployment would
// quietly allow fewer services than the code and the README promise.
func TestConnTestAllowedHostsDefault(t *testing.T) {
	want := strings.Join(channels.OfficialHosts(), ",")
	if got := readYAML(t, "template.yml").str("Parameters", "ConnTestAllowedHosts", "Default"); got != want {
		t.Errorf("template.yml ConnTestAllowedHosts default %q, want %q", got, want)
	}
	b, err := os.ReadFile("s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`CONNTEST_ALLOWED_HOSTS: \$\{env\('CONNTEST_ALLOWED_HOSTS', '([^']*)'\)\}`).FindSubmatch(b)
	switch {
	case m == nil:
		t.Errorf("s.yaml sets no CONNTEST_ALLOWED_HOSTS: ${env('CONNTEST_ALLOWED_HOSTS', '...')} default")
	case string(m[1]) != want:
		t.Errorf("s.yaml CONNTEST_ALLOWED_HOSTS default %q, want %q", m[1], want)
	}
}
