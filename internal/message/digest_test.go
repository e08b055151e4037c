package message

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
)

// manyTasks builds n tasks with long names, every third one failed, ids
// dlc-00000-x ... so a test can find each one in the text.
func manyTasks(n int) []*event.Task {
	ts := make([]*event.Task, n)
	for i := range ts {
		status := "Succeeded"
		if i%3 == 0 {
			status = "Failed"
		}
		id := fmt.Sprintf("dlc-%05d-x", i)
		ts[i] = &event.Task{
			Source: event.DLC, JobID: id, Status: status,
			JobName:       fmt.Sprintf("%s-%05d", strings.Repeat("超长的训练任务名称-llm-pretrain-", 4), i),
			WorkspaceID:   "249407",
			WorkspaceName: "pre_train",
			ConsoleURL:    console249407 + id + "&page=jobs",
		}
	}
	return ts
}

var idRE = regexp.MustCompile(`dlc-\d{5}-x`)

// idsIn returns the job ids named in the messages, in order.
func idsIn(msgs []dingtalk.Message) []string {
	var ids []string
	for _, m := range msgs {
		// Each id appears twice per line (in the link and as the id); count
		// lines, not occurrences.
		for _, line := range strings.Split(m.Text, "\n") {
			if strings.HasPrefix(line, "- ") {
				ids = append(ids, idRE.FindString(line))
			}
		}
	}
	return ids
}

// wantOrder is the digest order: failures first, otherwise as given.
func wantOrder(ts []*event.Task) []string {
	var failed, rest []string
	for _, t := range ts {
		if event.Failed(t.Status) {
			failed = append(failed, t.JobID)
		} else {
			rest = append(rest, t.JobID)
		}
	}
	return append(failed, rest...)
}

func TestDigestEveryJobOnceInFewestParts(t *testing.T) {
	for _, o := range []Options{zhMD, {Lang: "en", Keyword: "PAI", AtMobiles: []string{"13800000000"}}} {
		ts := manyTasks(500)
		msgs := digestDT(ts, o)
		if len(msgs) < 2 {
			t.Fatalf("500 long lines in %d message(s): the test needs a split", len(msgs))
		}
		for i, m := range msgs {
			checkWire(t, m)
			if suffix := fmt.Sprintf(" (%d/%d)", i+1, len(msgs)); !strings.HasSuffix(m.Title, suffix) {
				t.Errorf("part %d title %q lacks %q", i+1, m.Title, suffix)
			}
			if !strings.Contains(m.Title, "500") || (o.Keyword != "" && !strings.Contains(m.Text, o.Keyword)) {
				t.Errorf("part %d title %q", i+1, m.Title)
			}
		}
		got, want := idsIn(msgs), wantOrder(ts)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("ids across parts (%d) differ from every task once, failures first (%d)", len(got), len(want))
		}

		// Greedy and minimal: no part could have taken the next part's
		// first item, measured on the real wire body.
		neutral := Digest(dt, ts, o)
		for i := 0; i+1 < len(neutral); i++ {
			grown := neutral[i]
			grown.Items = append(slices.Clone(grown.Items), neutral[i+1].Items[0])
			grown.Tasks = append(slices.Clone(grown.Tasks), neutral[i+1].Tasks[0])
			if n := len(mustBody(t, grown)); n <= dt.MaxBodyBytes() {
				t.Errorf("part %d had room for the next item (%d bytes with it): not greedy", i+1, n)
			}
		}
		// And a reference greedy packing by real measurement gives the same
		// count.
		if n := referenceGreedy(t, ts, o, len(msgs)); n != len(msgs) {
			t.Errorf("reference greedy packing needs %d parts, Digest made %d", n, len(msgs))
		}
	}
}

// referenceGreedy packs the digest items one Body call per candidate:
// slow, obviously right.
func referenceGreedy(t *testing.T, ts []*event.Task, o Options, parts int) int {
	d := &digester{ch: dt, l: pickLang(o), o: &o, tone: channel.ToneBad}
	sorted := make([]*event.Task, 0, len(ts))
	for _, id := range wantOrder(ts) {
		for _, t := range ts {
			if t.JobID == id {
				sorted = append(sorted, t)
			}
		}
	}
	d.summary = summary(sorted, d.l)
	n := 0
	var cur []channel.Item
	var data []channel.Task
	for _, task := range sorted {
		it := d.item(task)
		try := append(slices.Clone(cur), it)
		m := d.message(n+1, parts, try, "")
		m.Tasks = append(slices.Clone(data), TaskData(task))
		if len(cur) > 0 && len(mustBody(t, m)) > dt.MaxBodyBytes() {
			n++
			cur, data = []channel.Item{it}, []channel.Task{TaskData(task)}
			continue
		}
		cur, data = try, m.Tasks
	}
	return n + 1
}

func mustBody(t *testing.T, m channel.Message) []byte {
	t.Helper()
	b, err := dt.Body(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDigestSmall(t *testing.T) {
	if got := digestDT(nil, zhMD); got != nil {
		t.Errorf("digestDT(nil) = %d messages", len(got))
	}
	if got := digestDT([]*event.Task{nil, nil}, zhMD); got != nil {
		t.Errorf("digestDT(nils) = %d messages", len(got))
	}
	msgs := digestDT([]*event.Task{nil, sampleD(), sampleC()}, enMD)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	checkWire(t, msgs[0])
	if msgs[0].Title != "PAI jobs: 2 (1 failed, 1 succeeded)" {
		t.Errorf("title %q", msgs[0].Title)
	}
	if ids := idsIn(msgs); len(ids) != 2 {
		t.Errorf("%d lines", len(ids))
	}
	// Hostile names cannot escape their link or line.
	h := hostileTask()
	msgs = digestDT([]*event.Task{h, sampleD()}, zhMD)
	checkWire(t, msgs[0])
	if lines := strings.Split(msgs[0].Text, "\n"); len(lines) != 4 {
		t.Errorf("hostile digest has %d lines, want heading, blank, 2 tasks:\n%s", len(lines), msgs[0].Text)
	}
	if strings.Count(msgs[0].Text, "](") != 2 || strings.Contains(msgs[0].Text, "@") {
		t.Errorf("hostile name broke out of its line:\n%s", msgs[0].Text)
	}
}

// A line that cannot fit even alone (here: a huge mention list leaves
// little room) is cut, never dropped.
func TestDigestCutsLineThatCannotFit(t *testing.T) {
	var users []string
	for i := range 418 { // leaves under 100 bytes: less than any line
		users = append(users, fmt.Sprintf("user-%05d-abcdefghij", i))
	}
	o := Options{AtUserIDs: users}
	ts := manyTasks(3)
	msgs := digestDT(ts, o)
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want one per task", len(msgs))
	}
	for _, m := range msgs {
		checkWire(t, m)
		if !strings.Contains(m.Text, "…(已截断)") {
			t.Errorf("%q: line not marked as cut", m.Title)
		}
		if !strings.HasSuffix(m.Text, "@"+users[len(users)-1]) {
			t.Errorf("%q: mentions lost", m.Title)
		}
	}
}

// partsOf splits DigestAtMost's answer into its messages and, per message,
// the ids of the tasks it says it names.
func partsOf(ts []*event.Task, parts []DigestPart) (msgs []dingtalk.Message, ids [][]string, listed int) {
	for _, p := range parts {
		msgs = append(msgs, dingtalk.Render(p.Message))
		var part []string
		for _, i := range p.Tasks {
			part = append(part, ts[i].JobID)
		}
		ids = append(ids, part)
		listed += len(p.Tasks)
	}
	return msgs, ids, listed
}

func TestDigestAtMost(t *testing.T) {
	ts := manyTasks(500)
	all := digestDT(ts, zhMD)
	if msgs, _, listed := partsOf(ts, digestAtMost(ts, zhMD, len(all))); len(msgs) != len(all) || listed != 500 {
		t.Errorf("digestAtMost(%d) = %d messages, %d listed; want %d, 500", len(all), len(msgs), listed, len(all))
	}
	if parts := digestAtMost(ts, zhMD, 0); parts != nil {
		t.Errorf("digestAtMost(0) = %d parts", len(parts))
	}
	for _, max := range []int{1, 2} {
		for _, o := range []Options{zhMD, enMD} {
			parts := digestAtMost(ts, o, max)
			msgs, ids, listed := partsOf(ts, parts)
			if len(msgs) != max || listed <= 0 || listed >= 500 {
				t.Fatalf("digestAtMost(%d) = %d messages, %d listed", max, len(msgs), listed)
			}
			for i, m := range msgs {
				checkWire(t, m)
				// Each part's Tasks are exactly the tasks its text names.
				if got := idsIn([]dingtalk.Message{m}); strings.Join(got, ",") != strings.Join(ids[i], ",") {
					t.Errorf("max %d part %d: text names %d ids, Tasks says %d (or another order)", max, i, len(got), len(ids[i]))
				}
			}
			got := idsIn(msgs)
			if want := wantOrder(ts)[:listed]; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("max %d: named %d ids, want the first %d in digest order", max, len(got), listed)
			}
			more := fmt.Sprintf("… 另有 %d 个任务，请到控制台查看", 500-listed)
			if o.Lang == "en" {
				more = fmt.Sprintf("… %d more, see console", 500-listed)
			}
			if last := msgs[len(msgs)-1].Text; !strings.HasSuffix(last, more) {
				t.Errorf("max %d: last message ends %q, want %q", max, last[len(last)-60:], more)
			}
			// It filled what it had: the last part has little room left.
			if n := len(mustBody(t, parts[len(parts)-1].Message)); n < dingtalk.MaxBodyBytes-600 {
				t.Errorf("max %d: last part only %d bytes", max, n)
			}
		}
	}
}

// Tasks are indexes into the caller's slice, nils and all, so that a caller
// maps each part back to its own records without sorting them itself.
func TestDigestPartsIndexTheCallersTasks(t *testing.T) {
	ts := manyTasks(200)
	in := []*event.Task{nil}
	for _, t := range ts {
		in = append(in, t, nil)
	}
	parts := digestAtMost(in, zhMD, 100)
	seen := map[int]int{}
	for _, p := range parts {
		text := dingtalk.Render(p.Message).Text
		for _, i := range p.Tasks {
			if in[i] == nil {
				t.Fatalf("part lists index %d, a nil task", i)
			}
			if !strings.Contains(text, in[i].JobID) {
				t.Errorf("part lists %s but its text does not name it", in[i].JobID)
			}
			seen[i]++
		}
	}
	for i, task := range in {
		if task != nil && seen[i] != 1 {
			t.Errorf("task %d (%s) listed %d times, want 1", i, task.JobID, seen[i])
		}
	}
}
