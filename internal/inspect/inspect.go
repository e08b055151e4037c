// Package inspect is `notifier -inspect FILE...`: for each event in each
// file, what the parser read from which key, what it found no key for, and
// a fields: block to paste into the rules document. It is how a user maps
// PAI's real keys in minutes when they differ from the ones built in.
package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rules"
)

// Run inspects files ("-" or none: stdin) with the `fields:` of the rules
// the environment configures, if any, and writes the report to stdout. It
// returns the exit status: 0 when every event gave a task, 1 otherwise.
func Run(getenv func(string) string, files []string, stdin io.Reader, stdout, stderr io.Writer) int {
	p := parser(getenv, stderr)
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	for _, f := range files {
		body, err := read(f, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "inspect: %v\n", err)
			status = 1
			continue
		}
		ins, err := p.Inspect(body)
		if err != nil {
			fmt.Fprintf(stderr, "inspect: %s: %v\n", f, err)
			status = 1
			continue
		}
		if len(ins) == 0 {
			fmt.Fprintf(stdout, "== %s: no event object in it\n", f)
			status = 1
		}
		for _, in := range ins {
			event.WriteInspection(stdout, f, in)
			if in.Outcome != "task" {
				status = 1
			}
		}
	}
	return status
}

// parser is the notifier's parser: the document's fields: when rules are
// configured, else the built-in keys (a broken document is reported, and
// the built-in keys still show what they read).
func parser(getenv func(string) string, stderr io.Writer) *event.Parser {
	set, err := rules.Load(getenv)
	switch {
	case errors.Is(err, rules.ErrNoRules):
		return &event.Parser{}
	case err != nil:
		fmt.Fprintf(stderr, "inspect: the rules do not load, so their fields: are not applied: %v\n", err)
		return &event.Parser{}
	}
	p, err := event.NewParser(set.Fields(), set.Kinds()...)
	if err != nil { // rules validated the fields already; kept for safety
		fmt.Fprintf(stderr, "inspect: fields: %v\n", err)
		return &event.Parser{}
	}
	return p
}

func read(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, maxFile))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err == nil && len(b) > maxFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxFile)
	}
	return b, err
}

// maxFile is FC's synchronous invocation limit: no delivery is larger.
const maxFile = 32 << 20
