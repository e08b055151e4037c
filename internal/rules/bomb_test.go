package rules

import (
	"fmt"
	"strings"
	"testing"
)

// Aliases and merge keys can describe a huge document in a few lines; the
// reader stops with an error instead of expanding it.
func TestAliasBombs(t *testing.T) {
	var merge strings.Builder
	merge.WriteString("rules:\n  - &m0 {name: a, source: dlc, target: {webhook: \"" + testHook + "\"}}\n")
	for k := 1; k < 40; k++ {
		fmt.Fprintf(&merge, "  - &m%d {<<: [*m%d, *m%d]}\n", k, k-1, k-1)
	}
	var rules strings.Builder
	rules.WriteString("rules:\n  - &r {name: a, source: dlc, target: {webhook: \"" + testHook + "\"}}\n  - &l [*r, *r, *r, *r, *r, *r, *r, *r]\n")
	for k := 0; k < 4; k++ {
		rules.WriteString("  - &l [*l, *l, *l, *l, *l, *l, *l, *l]\n")
	}
	for name, d := range map[string]string{"merge keys": merge.String(), "nested lists": rules.String()} {
		_, err := Parse([]byte(d), nil)
		if err == nil || !strings.Contains(err.Error(), "the document is too complex") && !strings.Contains(err.Error(), "want a mapping") {
			t.Errorf("%s: got %.300v", name, err)
		}
	}
	_, err := Parse([]byte(merge.String()), nil)
	if err == nil || !strings.Contains(err.Error(), "the document is too complex (aliases and merge keys expand to more than") {
		t.Errorf("merge bomb: %.300v", err)
	}
}
