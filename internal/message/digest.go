package message

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// A digest replaces many messages with few when a batch would spend more of
// a target's budget than it has (DingTalk itself advises a markdown summary
// when its 20-a-minute limit is near). One compact item per task, failures
// first.

// Caps on the parts of a digest item, in runes.
const (
	maxDigestName      = 128
	maxDigestID        = 128
	maxDigestWorkspace = 64
	maxTitleGroups     = 5 // status groups named in a digest title before "…"
)

// Digest returns messages naming every task in ts, failures first, in as few
// messages as fit ch (greedy packing measured with ch.Body; parts are titled
// (1/3), (2/3), ...). Nil tasks are skipped; no tasks give no messages.
func Digest(ch channel.Channel, ts []*event.Task, o Options) []channel.Message {
	var msgs []channel.Message
	for _, p := range digest(ch, ts, o, 0) {
		msgs = append(msgs, p.Message)
	}
	return msgs
}

// DigestPart is one digest message and the tasks it names, as indexes into
// the tasks given, so that a caller knows what each message delivers
// without ordering or rendering the tasks again.
type DigestPart struct {
	Message channel.Message
	Tasks   []int
}

// DigestAtMost is Digest limited to max messages, each with the tasks it
// names. When the tasks do not all fit, the last message ends with "… 另有 N
// 个任务，请到控制台查看", and the tasks no part names are the ones left out
// (failures are named first). max < 1 gives no messages.
func DigestAtMost(ch channel.Channel, ts []*event.Task, o Options, max int) []DigestPart {
	if max < 1 {
		return nil
	}
	return digest(ch, ts, o, max)
}

type digester struct {
	ch      channel.Channel
	l       *lang
	o       *Options
	summary string // "12个任务（3失败，9成功）"
	tone    channel.Tone
	tasks   []*event.Task
	sep     int             // what one more item adds to a body besides the item itself
	bases   map[baseKey]int // body size with no items, by part, parts and more line
}

type baseKey struct {
	part, parts int
	more        string
}

func digest(ch channel.Channel, ts []*event.Task, o Options, max int) []DigestPart {
	var idx []int
	for i, t := range ts {
		if t != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	// Failures first; otherwise the caller's order.
	slices.SortStableFunc(idx, func(i, j int) int {
		return cmp.Compare(boolInt(!event.Failed(ts[i].Status)), boolInt(!event.Failed(ts[j].Status)))
	})
	tasks := make([]*event.Task, len(idx))
	for k, i := range idx {
		tasks[k] = ts[i]
	}
	l := pickLang(o)
	d := &digester{ch: ch, l: l, o: &o, summary: summary(tasks, l), tone: channel.ToneGood, tasks: ts}
	if event.Failed(tasks[0].Status) {
		d.tone = channel.ToneBad
	}
	items := make([]item, len(tasks))
	for k, t := range tasks {
		items[k] = item{it: d.item(t), task: idx[k]}
	}
	d.measure(items)

	// The title carries "(i/n)", so how much fits depends on n: pack, and
	// repack while the count changes. Wider titles never give fewer parts,
	// so n only grows and this settles, in practice in a round or two.
	parts := d.packN(items, 1, -1, "")
	for range 8 {
		n := len(parts)
		if n == 1 {
			break
		}
		parts = d.packN(items, n, -1, "")
		if len(parts) == n {
			break
		}
	}
	if max == 0 || len(parts) <= max {
		return d.messages(parts, "")
	}

	// Too many: fill max-1 parts greedily, then the last one leaving room
	// for the "N more" line (reserved with the largest N it could say).
	head := d.packN(items, max, max-1, "")
	used := 0
	for _, p := range head {
		used += len(p.tasks)
	}
	rest := items[used:]
	if len(rest) == 0 { // only when narrower "/max" titles let everything fit after all
		return d.messages(head, "")
	}
	last := d.packN(rest, max, 1, d.more(len(rest)))
	parts = append(head, last...)
	listed := used
	if len(last) > 0 {
		listed += len(last[0].tasks)
	}
	return d.messages(parts, d.more(len(items)-listed))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// item is one task's digest item, the task's index in the caller's slice,
// and what the item adds to a body (measured once, alone).
type item struct {
	it   channel.Item
	task int
	cost int
}

// packed is one part's items and the tasks they name.
type packed struct {
	items []channel.Item
	tasks []int
}

// summary is the title's count: "12个任务（3失败，9成功）" / "12 (3 failed,
// 9 succeeded)", status groups in the order they first appear (failures
// are sorted first).
func summary(tasks []*event.Task, l *lang) string {
	type group struct {
		word string
		n    int
	}
	var groups []group
	for _, t := range tasks {
		w := shorten(clean(l.statusWord(t.Status)), 32)
		if w == "" {
			w = "?"
		}
		found := false
		for i := range groups {
			if groups[i].word == w {
				groups[i].n++
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, group{w, 1})
		}
	}
	var b strings.Builder
	n := strconv.Itoa(len(tasks))
	if l.en {
		b.WriteString(n + " (")
	} else {
		b.WriteString(n + "个任务（")
	}
	for i, g := range groups {
		if i == maxTitleGroups {
			b.WriteString("…")
			break
		}
		if i > 0 {
			if l.en {
				b.WriteString(", ")
			} else {
				b.WriteString("，")
			}
		}
		if l.en {
			b.WriteString(strconv.Itoa(g.n) + " " + g.word)
		} else {
			b.WriteString(strconv.Itoa(g.n) + g.word)
		}
	}
	if l.en {
		b.WriteString(")")
	} else {
		b.WriteString("）")
	}
	return b.String()
}

// item is one task in a digest: status word, name, id, workspace, linked to
// the console page.
func (d *digester) item(t *event.Task) channel.Item {
	name := shorten(clean(t.JobName), maxDigestName)
	id := shorten(clean(t.JobID), maxDigestID)
	if name == "" {
		name, id = id, ""
	}
	if name == "" {
		name = "?"
	}
	ws := t.WorkspaceName
	if strings.TrimSpace(ws) == "" {
		ws = t.WorkspaceID
	}
	text := strings.Join(nonEmpty(shorten(clean(d.l.statusWord(t.Status)), 32), name), " ")
	for _, s := range []string{id, shorten(clean(ws), maxDigestWorkspace)} {
		if s != "" {
			text += " · " + s
		}
	}
	return channel.Item{Text: text, URL: strings.TrimSpace(t.ConsoleURL), Tone: tone(t.Status)}
}

func (d *digester) more(n int) string {
	if n <= 0 {
		return ""
	}
	if d.l.en {
		return "… " + strconv.Itoa(n) + " more, see console"
	}
	return "… 另有 " + strconv.Itoa(n) + " 个任务，请到控制台查看"
}

func (d *digester) title(part, parts int) string {
	var b strings.Builder
	if d.l.en {
		b.WriteString("PAI jobs: ")
	} else {
		b.WriteString("PAI任务通知：")
	}
	b.WriteString(d.summary)
	if parts > 1 {
		b.WriteString(" (" + strconv.Itoa(part) + "/" + strconv.Itoa(parts) + ")")
	}
	return b.String()
}

func (d *digester) message(part, parts int, items []channel.Item, more string) channel.Message {
	m := base(*d.o)
	m.Title = d.title(part, parts)
	m.Tone = d.tone
	m.Items = items
	m.Footer = more
	return m
}

// data are the tasks a part names, as data.
func (d *digester) data(tasks []int) []channel.Task {
	out := make([]channel.Task, len(tasks))
	for i, k := range tasks {
		out[i] = TaskData(d.tasks[k])
	}
	return out
}

func (d *digester) messages(parts []packed, more string) []DigestPart {
	out := make([]DigestPart, len(parts))
	for i, p := range parts {
		m := ""
		if i == len(parts)-1 {
			m = more
		}
		msg := d.message(i+1, len(parts), p.items, m)
		msg.Tasks = d.data(p.tasks)
		out[i] = DigestPart{Message: msg, Tasks: p.tasks}
	}
	return out
}

// bodyLen is the size of m's body on the channel; a body the channel cannot
// make counts as too large, so it never passes as fitting.
func (d *digester) bodyLen(m channel.Message) int {
	b, err := d.ch.Body(m)
	if err != nil {
		return d.ch.MaxBodyBytes() + 1
	}
	return len(b)
}

// measure finds what each item adds to a body, alone, and what separates
// two items: bodies are the sum of their parts for every channel (JSON
// escaping is per character, items are rendered one by one), so packing can
// add numbers and only check its result with a real body.
func (d *digester) measure(items []item) {
	d.bases = map[baseKey]int{}
	empty := d.bodyLen(d.message(1, 1, nil, ""))
	for i := range items {
		m := d.message(1, 1, []channel.Item{items[i].it}, "")
		m.Tasks = d.data([]int{items[i].task})
		items[i].cost = d.bodyLen(m) - empty
	}
	if len(items) > 0 {
		two := d.message(1, 1, []channel.Item{items[0].it, items[0].it}, "")
		two.Tasks = d.data([]int{items[0].task, items[0].task})
		d.sep = max(0, d.bodyLen(two)-empty-2*items[0].cost)
	}
}

// base is the body size of part (of parts) with the more line and no items.
func (d *digester) base(part, parts int, more string) int {
	k := baseKey{part, parts, more}
	if n, ok := d.bases[k]; ok {
		return n
	}
	n := d.bodyLen(d.message(part, parts, nil, more))
	d.bases[k] = n
	return n
}

// size is the real body size of part (of n) with items and the more line,
// measured with the channel's Body. The tasks' data count too: a channel
// that posts them (the signed webhook) must fit them as well.
func (d *digester) size(part, n int, items []item, more string) int {
	p := packed{}
	for _, it := range items {
		p.items = append(p.items, it.it)
		p.tasks = append(p.tasks, it.task)
	}
	m := d.message(part, n, p.items, more)
	m.Tasks = d.data(p.tasks)
	return d.bodyLen(m)
}

// slack bounds how much a sum of measured sizes may overstate a real body
// (a first item's wider separator, counted in every item's size): a next
// item whose measured size exceeds the room by more is surely too big.
const slack = 16

// packN fills at most limit parts (-1: as many as needed) greedily, titled
// as parts of n, leaving room in each for a trailing more line. Items that
// do not fit into the allowed parts are left out. A part is packed by adding
// the items' measured sizes, then checked with the channel's real body and
// adjusted item by item, so it costs about two bodies.
func (d *digester) packN(items []item, n, limit int, more string) []packed {
	var out []packed
	max := d.ch.MaxBodyBytes()
	for i := 0; i < len(items) && (limit < 0 || len(out) < limit); {
		part := len(out) + 1
		rest := items[i:]
		size, k := d.base(part, n, more), 0
		for k < len(rest) {
			c := rest[k].cost
			if k > 0 {
				c += d.sep
			}
			if size+c > max {
				break
			}
			size += c
			k++
		}
		real := 0
		for k > 0 {
			if real = d.size(part, n, rest[:k], more); real <= max {
				break
			}
			k--
		}
		// The sums overstate a little: take the next item while the real
		// body says it may fit and it does.
		for k > 0 && k < len(rest) && real+rest[k].cost+d.sep-slack <= max {
			next := d.size(part, n, rest[:k+1], more)
			if next > max {
				break
			}
			real, k = next, k+1
		}
		var p packed
		if k == 0 {
			// One item too long to fit even alone: cut it rather than drop
			// the task, and always make progress.
			p.items = []channel.Item{d.cutItem(part, n, rest[0], more)}
			p.tasks = []int{rest[0].task}
			k = 1
		} else {
			for _, it := range rest[:k] {
				p.items = append(p.items, it.it)
				p.tasks = append(p.tasks, it.task)
			}
		}
		out = append(out, p)
		i += k
	}
	return out
}

// cutItem shortens an item that cannot fit even alone, as the old plain
// line did: without its link, then cut on a rune boundary by the excess the
// channel measures, marked.
func (d *digester) cutItem(part, n int, it item, more string) channel.Item {
	marker := d.l.truncated
	c := it.it
	c.URL = ""
	for range 16 {
		m := d.message(part, n, []channel.Item{c}, more)
		m.Tasks = d.data([]int{it.task})
		body, err := d.ch.Body(m)
		if err != nil {
			return c
		}
		excess := len(body) - d.ch.MaxBodyBytes()
		if excess <= 0 {
			return c
		}
		raw := strings.TrimSuffix(c.Text, marker)
		if raw == "" {
			return c
		}
		c.Text = channel.Cut(raw, max(0, len(raw)-excess-len(marker))) + marker
	}
	return c
}
