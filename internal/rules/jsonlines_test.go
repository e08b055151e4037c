package rules

import (
	"bytes"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// jsonNode counts lines incrementally (a full rescan per token made big
// one-line documents quadratic); every node's position must still be what
// counting from the start of the document gives.
func TestJSONNodePositions(t *testing.T) {
	doc := []byte("{\n  \"rules\": [\n    {\"name\": \"a\",\n     \"events\": [\"failed\",\n \"Running\"]},\r\n\n    {\"name\":\"b\"}  ]\n}\n")
	root, err := jsonNode(doc)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(n *yaml.Node)
	checked := 0
	walk = func(n *yaml.Node) {
		// A node's position is just past its token: find that offset from
		// the line and column, then recount both from the start.
		lines := bytes.SplitAfter(doc, []byte("\n"))
		if n.Line < 1 || n.Line > len(lines) {
			t.Fatalf("node %q: line %d out of range", n.Value, n.Line)
		}
		off := len(bytes.Join(lines[:n.Line-1], nil)) + n.Column - 1
		before := doc[:off]
		wantLine := bytes.Count(before, []byte("\n")) + 1
		wantCol := off - bytes.LastIndexByte(before, '\n')
		if n.Line != wantLine || n.Column != wantCol {
			t.Errorf("node %q at %d:%d, want %d:%d", n.Value, n.Line, n.Column, wantLine, wantCol)
		}
		if n.Kind == yaml.ScalarNode && n.Value != "" && !strings.Contains(string(lines[n.Line-1]), n.Value) {
			t.Errorf("node %q placed on line %d: %q", n.Value, n.Line, lines[n.Line-1])
		}
		checked++
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if checked < 10 {
		t.Fatalf("walked %d nodes, want the whole document", checked)
	}
	// Syntax errors after many tokens still name the right line.
	_, err = jsonNode([]byte("{\"rules\": [\n{\"name\": \"a\"},\n{\"name\": \"b\" \"x\"}]}"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("error %v, want it on line 3", err)
	}
}
