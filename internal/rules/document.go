package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pai-notifier/pai-notifier/internal/channel/channels"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// This file reads a document into raw values that keep their line numbers
// and env-expansion details; validate.go turns them into Rules. Walking the
// node tree, rather than decoding into structs, is what lets every problem be
// reported at once with its line, numbers such as 211790764591639068 keep
// their exact digits, and a field accept a string or a number.

// maxDocBytes bounds the document; real ones are a few kilobytes, and
// 8 MiB still holds some 50,000 rules.
const maxDocBytes = 8 << 20

// maxVisits, plus one per byte of the document, bounds the work done
// following YAML aliases and merge keys, which can otherwise describe
// exponentially large documents in a few lines. A document without aliases
// never reaches it: each value it holds takes at least one byte.
const maxVisits = 100_000

// scalar is one string value of the document.
type scalar struct {
	raw   string   // as written
	val   string   // after ${VAR} expansion
	line  int      // 1-based
	tag   string   // YAML short tag, e.g. !!str, !!int, !!bool, !!null
	unset []string // variables referenced without a default that were empty
	bad   string   // a malformed ${...} reference, when there was one
}

type rawDoc struct {
	fields     map[string]map[string]*scalar
	fieldsLine int
	kinds      []*rawKind
	mentions   []*rawMention
	alarm      *scalar // unreadableAlarm: the rule whose target hears of unreadable events
	rules      []*rawRule
	rulesSeen  bool
	rulesBad   bool // rules: was there but not a list (already reported)
}

type rawRule struct {
	line      int
	bad       bool // not a mapping (already reported)
	where     string
	name      *scalar
	source    *scalar
	scope     *scalar
	workspace *scalar
	owner     *scalar
	pipelines []*scalar
	hasPipes  bool
	pipesLine int
	models    []*scalar
	hasModels bool
	timezone  *scalar
	atOwner   *scalar
	events    []*scalar
	eventsSet bool
	lang      *scalar
	format    *scalar
	target    *rawTarget
}

// rawMention is one entry of the mentions: section: a PAI user id or name
// and whom to mention for them in each channel.
type rawMention struct {
	user string
	line int
	ats  []*rawAt // one per channel named, in order
}

// rawAt is whom to mention on one channel.
type rawAt struct {
	channel   string
	atMobiles []*scalar
	atUserIDs []*scalar
}

// rawKind is one entry of the kinds: section.
type rawKind struct {
	name     string
	line     int
	types    []*scalar
	statuses []*scalar
	path     *scalar
}

type rawTarget struct {
	line      int
	bad       bool // not a mapping (already reported)
	typ       *scalar
	webhook   *scalar
	secret    *scalar
	keyword   *scalar
	atMobiles []*scalar
	atUserIDs []*scalar
	atAll     *scalar
	rateLimit *scalar
}

var (
	topKeys     = []string{"fields", "kinds", "mentions", "unreadableAlarm", "rules"}
	ruleKeys    = []string{"name", "source", "scope", "workspaceId", "owner", "pipelines", "models", "events", "timezone", "lang", "format", "atOwner", "target"}
	channelKeys = mentionChannels()
	atKeys      = []string{"atMobiles", "atUserIds"}
	kindKeys    = []string{"types", "statuses", "path"}
	targetKeys  = []string{"type", "webhook", "secret", "keyword", "atMobiles", "atUserIds", "atAll", "rateLimit"}
)

type reader struct {
	getenv func(string) string
	ps     *problems
	visits int
	budget int
	spent  bool
}

// read parses doc (YAML, or JSON when it starts with { or [) into a rawDoc.
// Syntax errors end the reading; everything else is recorded in ps.
func read(doc []byte, getenv func(string) string, ps *problems) *rawDoc {
	if len(doc) > maxDocBytes {
		ps.add(0, "", "the document is %d bytes; the limit is %d", len(doc), maxDocBytes)
		return nil
	}
	var root *yaml.Node
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		// JSON is read as JSON: YAML rejects some valid JSON (the \/ escape)
		// and its syntax errors would be confusing for a JSON author.
		n, err := jsonNode(doc)
		if err != nil {
			ps.add(0, "", "%v", err)
			return nil
		}
		root = n
	} else {
		n, err := yamlNode(doc)
		if err != nil {
			ps.add(0, "", "%v", err)
			return nil
		}
		root = n
	}
	r := &reader{getenv: getenv, ps: ps, budget: maxVisits + len(doc)}
	return r.doc(root)
}

func yamlNode(doc []byte) (n *yaml.Node, err error) {
	defer func() {
		// The YAML library recovers its own panics; this is a last guard so
		// that bad input can never take the function down.
		if p := recover(); p != nil {
			n, err = nil, fmt.Errorf("YAML: cannot parse the document (%v)", p)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return &first, nil
		}
		return nil, err
	}
	var second yaml.Node
	if err := dec.Decode(&second); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: the file holds more than one YAML document (---); put every rule in one", second.Line)
	}
	return &first, nil
}

// jsonNode parses JSON into the same node tree YAML gives, with lines.
func jsonNode(doc []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	// Token offsets only grow, so lineAt walks the document once in all,
	// counting lines from where it last stopped: rescanning from the start
	// for every token made a one-line document of 10,000 rules take seconds.
	var seenOff, seenLine, seenLineStart int // lines before seenOff; offset of seenOff's line
	seenLine = 1
	lineAt := func(off int64) (line, col int) {
		o := int(min(max(off, 0), int64(len(doc))))
		if o < seenOff {
			seenOff, seenLine, seenLineStart = 0, 1, 0
		}
		for {
			i := bytes.IndexByte(doc[seenOff:o], '\n')
			if i < 0 {
				break
			}
			seenLine++
			seenOff += i + 1
			seenLineStart = seenOff
		}
		seenOff = o
		return seenLine, o - seenLineStart + 1
	}
	wrap := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			l, c := lineAt(se.Offset)
			return fmt.Errorf("JSON: line %d, column %d: %v", l, c, err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("JSON: the document ends too early (a missing } or ])")
		}
		return fmt.Errorf("JSON: %v", err)
	}
	var value func(depth int) (*yaml.Node, error)
	value = func(depth int) (*yaml.Node, error) {
		if depth > 100 {
			return nil, errors.New("JSON: nested more than 100 levels deep")
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, wrap(err)
		}
		line, col := lineAt(dec.InputOffset())
		n := &yaml.Node{Line: line, Column: col}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				n.Kind, n.Tag = yaml.MappingNode, "!!map"
				for dec.More() {
					kt, err := dec.Token()
					if err != nil {
						return nil, wrap(err)
					}
					kl, kc := lineAt(dec.InputOffset())
					key, _ := kt.(string)
					k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: kl, Column: kc}
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, k, v)
				}
			case '[':
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
				for dec.More() {
					v, err := value(depth + 1)
					if err != nil {
						return nil, err
					}
					n.Content = append(n.Content, v)
				}
			}
			if _, err := dec.Token(); err != nil { // the closing delimiter
				return nil, wrap(err)
			}
		case string:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
		case json.Number:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!int", t.String()
			if strings.ContainsAny(n.Value, ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", fmt.Sprint(t)
		case nil:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
		}
		return n, nil
	}
	root, err := value(0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		l, c := lineAt(dec.InputOffset())
		return nil, fmt.Errorf("JSON: line %d, column %d: text after the end of the document", l, c)
	}
	return root, nil
}

// resolve follows aliases and unwraps the document node.
func (r *reader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && i < 100; i++ {
		switch n.Kind {
		case yaml.AliasNode:
			n = n.Alias
		case yaml.DocumentNode:
			if len(n.Content) == 0 {
				return nil
			}
			n = n.Content[0]
		default:
			return n
		}
	}
	return nil
}

// visit spends one unit of the work budget; false when it is spent.
func (r *reader) visit() bool {
	r.visits++
	if r.visits > r.budget {
		if !r.spent {
			r.spent = true
			r.ps.add(0, "", "the document is too complex (aliases and merge keys expand to more than %d values)", r.budget)
		}
		return false
	}
	return true
}

type pair struct {
	key   string
	kline int
	val   *yaml.Node
}

// pairs returns the entries of a mapping with YAML merge keys (<<) applied,
// reporting duplicate and unknown keys. It returns ok=false, after reporting,
// when n is not a mapping.
func (r *reader) pairs(n *yaml.Node, where, field string, known []string) ([]pair, bool) {
	n = r.resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		r.ps.add(lineOf(n), where, "%swant a mapping (key: value lines)", prefix(field))
		return nil, false
	}
	seen := map[string]bool{}
	var out, merged []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !r.visit() {
			return nil, false
		}
		k, v := r.resolve(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			r.ps.add(lineOf(n.Content[i]), where, "%skeys must be plain names", prefix(field))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, r.merge(v, where, field, known)...)
			continue
		}
		if seen[k.Value] {
			r.ps.add(k.Line, where, "%sduplicate key %q", prefix(field), k.Value)
			continue
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			r.ps.add(k.Line, where, "%sunknown key %q%s", prefix(field), k.Value, suggestOr(k.Value, known))
			continue
		}
		out = append(out, pair{key: k.Value, kline: k.Line, val: v})
	}
	// Merged entries are defaults: keys written in the mapping win, and the
	// first merged mapping wins over later ones.
	for _, p := range merged {
		if !seen[p.key] {
			seen[p.key] = true
			out = append(out, p)
		}
	}
	return out, true
}

func (r *reader) merge(v *yaml.Node, where, field string, known []string) []pair {
	v = r.resolve(v)
	if v == nil {
		return nil
	}
	if v.Kind == yaml.SequenceNode {
		var out []pair
		for _, m := range v.Content {
			out = append(out, r.merge(m, where, field, known)...)
		}
		return out
	}
	ps, _ := r.pairs(v, where, field, known)
	return ps
}

func suggestOr(got string, known []string) string {
	if s := suggest(got, known); s != "" {
		return s
	}
	return " (known: " + strings.Join(known, ", ") + ")"
}

func prefix(field string) string {
	if field == "" {
		return ""
	}
	return field + ": "
}

func lineOf(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

func (r *reader) doc(root *yaml.Node) *rawDoc {
	d := &rawDoc{}
	root = r.resolve(root)
	if root == nil || root.Kind == 0 || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		return d
	}
	if root.Kind != yaml.MappingNode {
		r.ps.add(root.Line, "", "the document: want a mapping with a rules: list")
		return nil
	}
	top, _ := r.pairs(root, "", "", topKeys)
	for _, p := range top {
		switch p.key {
		case "fields":
			d.fieldsLine = p.kline
			d.fields = r.fields(p.val)
		case "kinds":
			d.kinds = r.kinds(p.val)
		case "mentions":
			d.mentions = r.mentions(p.val)
		case "unreadableAlarm":
			d.alarm = r.scalar(p.val, "", p.key)
		case "rules":
			d.rulesSeen = true
			seq := r.resolve(p.val)
			if seq != nil && seq.Kind == yaml.ScalarNode && seq.ShortTag() == "!!null" {
				continue
			}
			if seq == nil || seq.Kind != yaml.SequenceNode {
				r.ps.add(lineOf(p.val), "", "rules: want a list of rules (lines starting with -)")
				d.rulesBad = true
				continue
			}
			for i, n := range seq.Content {
				if !r.visit() {
					break
				}
				d.rules = append(d.rules, r.rule(i, n))
			}
		}
	}
	return d
}

func (r *reader) fields(n *yaml.Node) map[string]map[string]*scalar {
	out := map[string]map[string]*scalar{}
	if rn := r.resolve(n); rn != nil && rn.Kind == yaml.ScalarNode && rn.ShortTag() == "!!null" {
		return out
	}
	srcs, ok := r.pairs(n, "", "fields", nil)
	if !ok {
		return out
	}
	for _, s := range srcs {
		m := map[string]*scalar{}
		out[s.key] = m
		fs, ok := r.pairs(s.val, "", "fields."+s.key, nil)
		if !ok {
			continue
		}
		for _, f := range fs {
			if sc := r.scalar(f.val, "", "fields."+s.key+"."+f.key); sc != nil {
				m[f.key] = sc
			}
		}
	}
	return out
}

// mentions reads the mentions: section: user -> {channel: {atMobiles,
// atUserIds}}, one entry per channel (dingtalk, wecom, lark, slack).
func (r *reader) mentions(n *yaml.Node) []*rawMention {
	if rn := r.resolve(n); rn != nil && rn.Kind == yaml.ScalarNode && rn.ShortTag() == "!!null" {
		return nil
	}
	users, ok := r.pairs(n, "", "mentions", nil)
	if !ok {
		return nil
	}
	var out []*rawMention
	for _, u := range users {
		m := &rawMention{user: u.key, line: u.kline}
		field := "mentions." + u.key
		channels, ok := r.pairs(u.val, "", field, channelKeys)
		if !ok {
			continue
		}
		for _, c := range channels {
			ats, ok := r.pairs(c.val, "", field+"."+c.key, atKeys)
			if !ok {
				continue
			}
			at := &rawAt{channel: c.key}
			for _, a := range ats {
				list := r.list(a.val, "", field+"."+c.key+"."+a.key, true)
				if a.key == "atMobiles" {
					at.atMobiles = list
				} else {
					at.atUserIDs = list
				}
			}
			m.ats = append(m.ats, at)
		}
		out = append(out, m)
	}
	return out
}

// kinds reads the kinds: section: kind name -> {types, statuses, path}.
func (r *reader) kinds(n *yaml.Node) []*rawKind {
	if rn := r.resolve(n); rn != nil && rn.Kind == yaml.ScalarNode && rn.ShortTag() == "!!null" {
		return nil
	}
	names, ok := r.pairs(n, "", "kinds", nil)
	if !ok {
		return nil
	}
	var out []*rawKind
	for _, k := range names {
		rk := &rawKind{name: k.key, line: k.kline}
		field := "kinds." + k.key
		entries, ok := r.pairs(k.val, "", field, kindKeys)
		if !ok {
			continue
		}
		for _, e := range entries {
			switch e.key {
			case "types":
				rk.types = r.list(e.val, "", field+".types", true)
			case "statuses":
				rk.statuses = r.list(e.val, "", field+".statuses", true)
			case "path":
				rk.path = r.scalar(e.val, "", field+".path")
			}
		}
		out = append(out, rk)
	}
	return out
}

func (r *reader) rule(i int, n *yaml.Node) *rawRule {
	rr := &rawRule{line: lineOf(n), where: fmt.Sprintf("rules[%d]", i)}
	// The name labels every other message, so find it first.
	if m := r.resolve(n); m != nil && m.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == "name" {
				if v := r.resolve(m.Content[j+1]); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
					if name, _, _ := expand(v.Value, r.getenv); name != "" {
						rr.where = fmt.Sprintf("rules[%d] %q", i, name)
					}
				}
				break
			}
		}
	}
	ps, ok := r.pairs(n, rr.where, "", ruleKeys)
	if !ok {
		rr.bad = true
		return rr
	}
	for _, p := range ps {
		switch p.key {
		case "name":
			rr.name = r.scalar(p.val, rr.where, "name")
		case "source":
			rr.source = r.scalar(p.val, rr.where, p.key)
		case "scope":
			rr.scope = r.scalar(p.val, rr.where, p.key)
		case "workspaceId":
			rr.workspace = r.scalar(p.val, rr.where, p.key)
		case "owner":
			rr.owner = r.scalar(p.val, rr.where, p.key)
		case "pipelines":
			rr.hasPipes, rr.pipesLine = true, p.kline
			rr.pipelines = r.list(p.val, rr.where, p.key, false)
		case "models":
			rr.hasModels = true
			rr.models = r.list(p.val, rr.where, p.key, false)
		case "events":
			rr.eventsSet = true
			rr.events = r.list(p.val, rr.where, p.key, true)
		case "timezone":
			rr.timezone = r.scalar(p.val, rr.where, p.key)
		case "atOwner":
			rr.atOwner = r.scalar(p.val, rr.where, p.key)
		case "lang":
			rr.lang = r.scalar(p.val, rr.where, p.key)
		case "format":
			rr.format = r.scalar(p.val, rr.where, p.key)
		case "target":
			rr.target = r.target(p.val, rr.where)
		}
	}
	return rr
}

func (r *reader) target(n *yaml.Node, where string) *rawTarget {
	t := &rawTarget{line: lineOf(n)}
	ps, ok := r.pairs(n, where, "target", targetKeys)
	if !ok {
		t.bad = true
		return t
	}
	for _, p := range ps {
		field := "target." + p.key
		switch p.key {
		case "type":
			t.typ = r.scalar(p.val, where, field)
		case "webhook":
			t.webhook = r.scalar(p.val, where, field)
		case "secret":
			t.secret = r.scalar(p.val, where, field)
		case "keyword":
			t.keyword = r.scalar(p.val, where, field)
		case "atMobiles":
			t.atMobiles = r.list(p.val, where, field, false)
		case "atUserIds":
			t.atUserIDs = r.list(p.val, where, field, false)
		case "atAll":
			t.atAll = r.scalar(p.val, where, field)
		case "rateLimit":
			t.rateLimit = r.scalar(p.val, where, field)
		}
	}
	return t
}

// list reads a sequence of scalars; with single, one scalar is accepted as a
// list of one.
func (r *reader) list(n *yaml.Node, where, field string, single bool) []*scalar {
	rn := r.resolve(n)
	if rn != nil && rn.Kind == yaml.ScalarNode {
		if rn.ShortTag() == "!!null" {
			return []*scalar{}
		}
		if single {
			if s := r.scalar(rn, where, field); s != nil {
				return []*scalar{s}
			}
			return []*scalar{}
		}
	}
	if rn == nil || rn.Kind != yaml.SequenceNode {
		r.ps.add(lineOf(n), where, "%s: want a list", field)
		return []*scalar{}
	}
	out := []*scalar{}
	for i, item := range rn.Content {
		if !r.visit() {
			break
		}
		if s := r.scalar(item, where, fmt.Sprintf("%s[%d]", field, i)); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// scalar reads one value and expands ${VAR} references in it. It returns nil,
// after reporting, when n is a mapping or a list.
func (r *reader) scalar(n *yaml.Node, where, field string) *scalar {
	rn := r.resolve(n)
	if rn == nil || rn.Kind != yaml.ScalarNode {
		r.ps.add(lineOf(n), where, "%s: want a single value, not a list or mapping", field)
		return nil
	}
	s := &scalar{raw: rn.Value, line: rn.Line, tag: rn.ShortTag()}
	if s.tag == "!!null" {
		s.raw = ""
	}
	s.val, s.unset, s.bad = expand(s.raw, r.getenv)
	return s
}

// expand replaces ${VAR} and ${VAR:-default} with values from getenv. $${
// stands for a literal ${. An empty variable counts as unset. It returns the
// variables that were unset without a default, and the first malformed
// reference.
func expand(s string, getenv func(string) string) (out string, unset []string, bad string) {
	if !strings.Contains(s, "${") {
		return s, nil, ""
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			if bad == "" {
				bad = "unterminated ${"
			}
			b.WriteString(s[i:])
			break
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validVarName(name) {
			if bad == "" {
				bad = "bad variable name in ${...} (want letters, digits and _)"
			}
			continue
		}
		v := getenv(name)
		switch {
		case v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			unset = append(unset, name)
		}
	}
	return b.String(), unset, bad
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// mentionChannels are the channels a mentions: entry may name: those that
// can mention someone.
func mentionChannels() []string {
	var out []string
	for _, s := range channels.All {
		if s.Mentions.Mobiles || s.Mentions.UserIDs {
			out = append(out, s.Name)
		}
	}
	return out
}
