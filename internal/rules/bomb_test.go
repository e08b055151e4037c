package rules

import (
	"fmt"
	"strings"
	"testing"
)

// Aliases and merge keys can describe a huge document in a few lines; the
// reader stops with an error instead of expanding it. Each bomb must be
// stopped by the work budget itself (the "too complex" error), not by an
// earlier complaint about its shape.
func TestAliasBombs(t *testing.T) {
	// 40 mappings, each merging the previous one twice: 2^40 merged keys.
	var merge strings.Builder
	merge.WriteString("rules:\n  - &m0 {name: a, source: dlc, target: {webhook: \"" + testHook + "\"}}\n")
	for k := 1; k < 40; k++ {
		fmt.Fprintf(&merge, "  - &m%d {<<: [*m%d, *m%d]}\n", k, k-1, k-1)
	}
	// Lists through aliases: one rule naming 2,000 pipelines, and 400 rules
	// that are that rule again, so a 10 kB document holds 800,000 values.
	// (A list nested in a list is refused without being read, so nesting
	// cannot multiply; repetition can.)
	var lists strings.Builder
	lists.WriteString("rules:\n  - &r {name: a, source: paiflow, scope: pipelines, pipelines: [" +
		strings.TrimSuffix(strings.Repeat("p,", 2000), ",") + "], target: {webhook: \"" + testHook + "\"}}\n")
	for range 400 {
		lists.WriteString("  - *r\n")
	}
	for name, d := range map[string]string{"merge keys": merge.String(), "lists through aliases": lists.String()} {
		_, err := Parse([]byte(d), nil)
		if err == nil || !strings.Contains(err.Error(), "the document is too complex (aliases and merge keys expand to more than") {
			t.Errorf("%s (%d bytes): got %.300v, want the document is too complex", name, len(d), err)
		}
	}
}
