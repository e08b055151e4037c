package event

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// Inspection is what the parser made of one event of a delivery: every leaf
// path with the field it was read into, the fields it found no key for, and
// a guess at the `fields:` entries that would read the rest. It is for a
// person mapping PAI's real keys (`notifier -inspect`), not for the hot path.
type Inspection struct {
	Index   int
	EventID string
	Source  Source // the source the event was read as; "" when none
	Outcome string // "task", or "unreadable: <reason>", or "skipped: <reason>"
	Status  string // the Task's status, when there is one
	Leaves  []Leaf
	Missing []string          // FieldNames with no value, required ones first
	Guess   map[string]string // field name -> path, for fields Missing names
}

// Leaf is one leaf of an event: its gjson path, a short preview of its value
// and the field it was read into ("" when unused, "envelope" for envelope
// keys read as such).
type Leaf struct {
	Path    string
	Preview string
	Field   string
}

// maxLeaves bounds one inspection: a real event has a few dozen leaves.
const maxLeaves = 400

// envelopeKeys are the top-level keys the parser reads as the envelope.
var envelopeKeys = map[string]bool{
	"id": true, "source": true, "type": true, "subject": true, "time": true, "specversion": true,
	"aliyunpublishtime": true, "detail-type": true, "datacontenttype": true, "aliyuneventbusname": true,
	"aliyunregionid": true, "aliyunaccountid": true, "aliyunpublishaddr": true, "region": true,
	"account": true, "version": true, "dataschema": true, "aliyunoriginalaccountid": true,
}

// notFor are the fields that do not apply to a source, left out of Missing.
var notFor = map[Source][]string{
	DLC:     {"runId", "pipelineId", "pipelineName", "version"},
	PAIFlow: {"jobType", "version"},
	DSW:     {"runId", "pipelineId", "pipelineName", "jobType", "version"},
	Model:   {"runId", "pipelineId", "pipelineName", "jobType", "started", "finished", "duration"},
	// SageMaker's keys are documented and read by name: nothing to map.
	SageMaker: {"runId", "jobType", "version", "workspaceId", "workspaceName", "creatorId", "creatorName",
		"pipelineId", "pipelineName", "reasonCode", "eventLabel", "eventMessage"},
}

// required are the fields without which a PAI event is Unreadable.
var required = []string{"jobId", "status"}

// Inspect parses body as Parse does and describes each event object in it.
func (p *Parser) Inspect(body []byte) ([]Inspection, error) {
	st := state{p: p.Traced(), received: time.Now(), inspect: true}
	if err := st.read(body, string(body)); err != nil {
		return nil, err
	}
	var out []Inspection
	for _, o := range st.objs {
		in := Inspection{Index: o.n, EventID: o.v.Get("id").String()}
		var from *Origins
		var derived []string // fields the Task has without a key: worked out, not read
		if i := slices.Index(st.taskIdx, o.n); i >= 0 {
			t := st.b.Tasks[i]
			in.Outcome, in.Source, in.Status, from = "task", t.Source, t.Status, t.From
			if t.Duration > 0 {
				derived = append(derived, "duration")
			}
			if t.ConsoleURL != "" {
				derived = append(derived, "consoleUrl")
			}
		}
		for _, u := range st.b.Unreadable {
			if u.Index == o.n {
				in.Outcome = "unreadable: " + u.Reason
			}
		}
		for _, s := range st.b.Skipped {
			if s.Index == o.n {
				in.Outcome = "skipped: " + s.Reason
			}
		}
		used := map[string]string{}
		for _, name := range FieldNames {
			if path := from.Path(name); path != "" && path != "type" {
				if used[path] == "" {
					used[path] = name
				} else {
					used[path] += ", " + name
				}
			}
		}
		if from.Path("status") == "type" {
			used["type"] = "status"
		}
		for _, l := range leaves(o.v) {
			if f, ok := used[l.Path]; ok {
				l.Field = f
			} else if !strings.Contains(l.Path, ".") && envelopeKeys[l.Path] {
				l.Field = "envelope"
			}
			in.Leaves = append(in.Leaves, l)
		}
		for _, name := range FieldNames {
			if from.Path(name) == "" && !slices.Contains(notFor[in.Source], name) && !slices.Contains(derived, name) {
				in.Missing = append(in.Missing, name)
			}
		}
		slices.SortStableFunc(in.Missing, func(a, b string) int {
			return boolInt(slices.Contains(required, b)) - boolInt(slices.Contains(required, a))
		})
		in.Guess = guess(in.Leaves, in.Missing)
		out = append(out, in)
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// leaves lists an event's leaf paths in document order with value previews.
func leaves(v gjson.Result) []Leaf {
	var out []Leaf
	var walk func(v gjson.Result, prefix string, depth int)
	walk = func(v gjson.Result, prefix string, depth int) {
		if len(out) >= maxLeaves {
			return
		}
		switch {
		case (v.IsObject() || v.IsArray()) && depth < maxPathDepth:
			i := 0
			v.ForEach(func(k, val gjson.Result) bool {
				key := k.Str
				if v.IsArray() {
					key = fmt.Sprint(i)
				}
				i++
				walk(val, join(prefix, key), depth+1)
				return len(out) < maxLeaves
			})
			if i == 0 {
				out = append(out, Leaf{Path: prefix, Preview: v.Raw})
			}
		default:
			out = append(out, Leaf{Path: prefix, Preview: preview(v)})
		}
	}
	walk(v, "", 0)
	return out
}

func preview(v gjson.Result) string {
	s := v.Raw
	if r := []rune(s); len(r) > 48 {
		s = string(r[:47]) + "…"
	}
	return s
}

// guess proposes a path for each missing field among the unused leaves, in
// three rounds so a close match is never taken by a loose one: a key that is
// one of the field's synonyms; a value that gives the field away (a known
// status, an id starting with dlc); a key that contains a synonym
// (jobState -> status). Each leaf is proposed once, in document order.
func guess(ls []Leaf, missing []string) map[string]string {
	out := map[string]string{}
	taken := map[string]bool{}
	for round := range 3 {
		for _, name := range missing {
			if _, done := out[name]; done {
				continue
			}
			for _, l := range ls {
				// Envelope keys are read as such, and a value inside an
				// array belongs to one of many (a pod, a node), not the job.
				if l.Field != "" || taken[l.Path] || envelopeKeys[l.Path] || inArray(l.Path) {
					continue
				}
				if fits(fieldByName[name], l, round) {
					out[name] = l.Path
					taken[l.Path] = true
					break
				}
			}
		}
	}
	return out
}

// fits says whether leaf l looks like field f in the given round of guess.
func fits(f field, l Leaf, round int) bool {
	_, key := cutLast(l.Path)
	var buf [maxKey]byte
	norm, ok := normKey(&buf, strings.ReplaceAll(key, `\`, ""))
	if !ok || norm == "" || isDigits(norm) {
		return false
	}
	switch round {
	case 0:
		_, ok := keyIndex[norm]
		return ok && keyIndex[norm].f == f
	case 1:
		val := gjson.Parse(l.Preview)
		switch f {
		case fStatus:
			_, known := CanonicalStatus("", val.Str)
			return known && val.Type == gjson.String
		case fJobID:
			return val.Type == gjson.String && hasPrefixFold(val.Str, "dlc")
		}
		return false
	}
	for _, syn := range fieldSpecs[f].keys {
		if s := strings.ToLower(syn); len(s) >= 4 && strings.Contains(norm, s) {
			return true
		}
	}
	return false
}

// inArray reports whether a leaf path goes through an array index.
func inArray(path string) bool {
	for _, seg := range strings.Split(path, ".") {
		if seg != "" && isDigits(seg) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// WriteInspection writes in for a person: the outcome, every leaf and its
// field, the missing fields, and a `fields:` block to paste into the rules
// document when something is missing.
func WriteInspection(w io.Writer, name string, in Inspection) {
	id := in.EventID
	if id == "" {
		id = "(no id)"
	}
	fmt.Fprintf(w, "== %s, event %d, id %s: %s", name, in.Index, id, in.Outcome)
	if in.Source != "" {
		fmt.Fprintf(w, " (%s, status %s)", in.Source, in.Status)
	}
	fmt.Fprintln(w)
	width := 0
	for _, l := range in.Leaves {
		width = max(width, len(l.Path))
	}
	width = min(width, 60)
	for _, l := range in.Leaves {
		f := l.Field
		if f == "" {
			f = "unused"
		}
		fmt.Fprintf(w, "  %-*s  %-16s %s\n", width, l.Path, f, l.Preview)
	}
	if len(in.Missing) > 0 {
		var ms []string
		for _, m := range in.Missing {
			if slices.Contains(required, m) {
				m += " (required)"
			}
			ms = append(ms, m)
		}
		fmt.Fprintf(w, "  missing: %s\n", strings.Join(ms, ", "))
	}
	if len(in.Guess) == 0 {
		return
	}
	src := in.Source
	if src == "" {
		src = DLC
		fmt.Fprintf(w, "  the product is a guess: a jobId (dlc) or runId (paiflow) path makes such events read as that source\n")
	}
	fmt.Fprintf(w, "  guessed from the key names and values; check, then paste into the rules document:\n")
	fmt.Fprintf(w, "fields:\n  %s:\n", src)
	for _, name := range FieldNames {
		if p, ok := in.Guess[name]; ok {
			fmt.Fprintf(w, "    %s: %s\n", name, yamlScalar(p))
		}
	}
}

// yamlScalar quotes a path when YAML would read it as something else.
func yamlScalar(s string) string {
	if strings.ContainsAny(s, `:#{}[],&*!|>'"%@`+"`\\") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}
