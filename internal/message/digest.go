package message

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// A digest replaces many messages with few when a batch would spend more of
// a robot's 20-a-minute budget than it has (dingtalk.md A3: DingTalk itself
// advises a markdown summary). One compact line per task, failures first.

// Caps on the parts of a digest line, in runes.
const (
	maxDigestName      = 128
	maxDigestID        = 128
	maxDigestWorkspace = 64
	maxTitleGroups     = 5 // status groups named in a digest title before "…"
)

// Digest returns messages naming every task in ts, failures first, in as few
// messages as fit dingtalk.MaxBodyBytes (greedy packing; parts are titled
// (1/3), (2/3), ...). Nil tasks are skipped; no tasks give no messages.
func Digest(ts []*event.Task, o Options) []dingtalk.Message {
	var msgs []dingtalk.Message
	for _, p := range digest(ts, o, 0) {
		msgs = append(msgs, p.Message)
	}
	return msgs
}

// DigestPart is one digest message and the tasks it names, as indexes into
// the tasks given, so that a caller knows what each message delivers
// without ordering or rendering the tasks again.
type DigestPart struct {
	Message dingtalk.Message
	Tasks   []int
}

// DigestAtMost is Digest limited to max messages, each with the tasks it
// names. When the tasks do not all fit, the last message ends with "… 另有 N
// 个任务，请到控制台查看", and the tasks no part names are the ones left out
// (failures are named first). max < 1 gives no messages.
func DigestAtMost(ts []*event.Task, o Options, max int) []DigestPart {
	if max < 1 {
		return nil
	}
	return digest(ts, o, max)
}

type digester struct {
	l        *lang
	o        *Options
	summary  string // "12个任务（3失败，9成功）"
	colour   string
	tail     string // "\n\n@a @b" or ""
	mobiles  []string
	users    []string
	baseSize map[[2]int]int // (part, parts) -> body size with no lines
}

func digest(ts []*event.Task, o Options, max int) []DigestPart {
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
	d := &digester{l: l, o: &o, summary: summary(tasks, l), baseSize: map[[2]int]int{}}
	d.colour = "#00B42A"
	if event.Failed(tasks[0].Status) {
		d.colour = "#FF0000"
	}
	var line string
	line, d.mobiles, d.users = mentions(&o)
	if line != "" {
		d.tail = "\n\n" + line
	}
	items := make([]item, len(tasks))
	for k, t := range tasks {
		items[k] = item{md: d.line(t), plain: d.plainLine(t), task: idx[k]}
	}

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

// item is one task's digest line, its plain-text form for cutting, and the
// task's index in the caller's slice.
type item struct {
	md, plain string
	task      int
}

// packed is one part's lines and the tasks they name.
type packed struct {
	lines []string
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
		w := shorten(inline(l.statusWord(t.Status)), 32)
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

// line is one task in a digest: status word, name linked to the console,
// id, workspace.
func (d *digester) line(t *event.Task) string {
	var b strings.Builder
	b.WriteString(`- <font color="` + colour(t.Status) + `">`)
	b.WriteString(shorten(inline(d.l.statusWord(t.Status)), 32))
	b.WriteString("</font> ")
	name := shorten(linkText(t.JobName), maxDigestName)
	id := shorten(inline(t.JobID), maxDigestID)
	if name == "" {
		name = shorten(linkText(t.JobID), maxDigestName)
		id = ""
	}
	if name == "" {
		name = "?"
	}
	if u := consoleLink(t.ConsoleURL); u != "" {
		b.WriteString("[" + name + "](" + u + ")")
	} else {
		b.WriteString(name)
	}
	ws := t.WorkspaceName
	if strings.TrimSpace(ws) == "" {
		ws = t.WorkspaceID
	}
	for _, s := range []string{id, shorten(inline(ws), maxDigestWorkspace)} {
		if s != "" {
			b.WriteString(" · " + s)
		}
	}
	return b.String()
}

// plainLine is the fallback for a line too long to fit even alone: its
// words without the link and font markup, so it may be cut anywhere.
func (d *digester) plainLine(t *event.Task) string {
	ws := t.WorkspaceName
	if strings.TrimSpace(ws) == "" {
		ws = t.WorkspaceID
	}
	parts := []string{inline(d.l.statusWord(t.Status)), inline(t.JobName), inline(t.JobID), inline(ws)}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return "- " + strings.Join(out, " · ")
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
	b.WriteString(titlePrefix(d.o.Keyword))
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

func (d *digester) message(part, parts int, lines []string, more string) dingtalk.Message {
	title := d.title(part, parts)
	var b strings.Builder
	b.WriteString("#### <font color=\"" + d.colour + "\">" + title + "</font>\n\n")
	for i, s := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(s)
	}
	if more != "" {
		if len(lines) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(more)
	}
	b.WriteString(d.tail)
	return dingtalk.Message{
		Type:      dingtalk.TypeMarkdown,
		Title:     title,
		Text:      b.String(),
		AtMobiles: d.mobiles,
		AtUserIDs: d.users,
		AtAll:     d.o.AtAll,
	}
}

func (d *digester) messages(parts []packed, more string) []DigestPart {
	out := make([]DigestPart, len(parts))
	for i, p := range parts {
		m := ""
		if i == len(parts)-1 {
			m = more
		}
		out[i] = DigestPart{Message: d.message(i+1, len(parts), p.lines, m), Tasks: p.tasks}
	}
	return out
}

// base is the body size of part i of n with no lines. The size of a part
// is then base plus the JSON length of its lines and their "\n"
// separators: JSON string escaping is per character, so lengths add up and
// each candidate line costs no re-encoding.
func (d *digester) base(part, parts int) int {
	k := [2]int{part, parts}
	if n, ok := d.baseSize[k]; ok {
		return n
	}
	n := bodySize(d.message(part, parts, nil, ""))
	d.baseSize[k] = n
	return n
}

// packN fills at most limit parts (-1: as many as needed) greedily, titled
// as parts of n, leaving room in each for a trailing more line. Items that
// do not fit into the allowed parts are left out.
func (d *digester) packN(items []item, n, limit int, more string) []packed {
	var out []packed
	reserve := 0
	if more != "" {
		reserve = jsonLen(more) + 2 // "\n" before it
	}
	for i := 0; i < len(items) && (limit < 0 || len(out) < limit); {
		size := d.base(len(out)+1, n) + reserve
		var part packed
		for ; i < len(items); i++ {
			cost := jsonLen(items[i].md)
			if len(part.lines) > 0 {
				cost += 2 // "\n"
			}
			if size+cost > dingtalk.MaxBodyBytes {
				break
			}
			size += cost
			part.lines = append(part.lines, items[i].md)
			part.tasks = append(part.tasks, items[i].task)
		}
		if len(part.lines) == 0 {
			// One line too long to fit even alone: cut it rather than drop
			// the task, and always make progress.
			part.lines = append(part.lines, d.cutLine(items[i].plain, dingtalk.MaxBodyBytes-size))
			part.tasks = append(part.tasks, items[i].task)
			i++
		}
		out = append(out, part)
	}
	return out
}

// cutLine shortens a plain line to budget JSON bytes. Plain, because a cut
// must not leave half a link or tag behind.
func (d *digester) cutLine(s string, budget int) string {
	if jsonLen(s) <= budget {
		return s
	}
	return cutJSON(s, budget-jsonLen(d.l.truncated)) + d.l.truncated
}
