package event

import (
	"os"
	"reflect"
	"testing"
)

// FuzzParse: no body makes Parse panic, every Task it returns names a
// known source and carries a status, and ParseChunks reads the same.
func FuzzParse(f *testing.F) {
	for _, file := range sampleFiles(f) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `{`, `[`, `"`, `null`, `[1,"x",null]`, `{"Records":[{"body":"{\"Records\":1}"}]}`,
		`{"detail-type":"x","detail":"y"}`, `{"data":"{\"JobId\":\"dlc1\",\"Status\":\"Failed\"}","source":"acs.pai"}`,
		`{"source":"acs.pai","type":"pai:DLC:X","time":"2026-01-06T08:02:11.999999999999Asia/Shanghai","data":{"Status":"Failed","Duration":1e308,"GmtCreateTime":-1e308}}`,
		`[{"messageId":"m","messageBody":"W3sic291cmNlIjoiYWNzLnBhaSJ9XQ=="}]`, `{"data":{"topic":"t","body":"{\"data\":{\"topic\":\"t\",\"body\":\"[]\"}}"}}`,
		`{"Records":[{"messageId":"m1","body":"{\"data\":{\"messageId\":\"x\",\"messageBody\":\"{}\"}}"}]}`,
		"[\"{\\\"source\\\":\\\"acs.pai\\\",\\\"data\\\":{\\\"JobId\\\":\\\"dlc\\u00e9\\\",\\\"Status\\\":\\\"\\u00e9\\\"}}\"]",
	} {
		f.Add([]byte(s))
	}
	p, err := NewParser(map[Source]map[string]string{DLC: {"jobId": "data.detail.JobId", "started": "data.t"}, PAIFlow: {"status": "data.#.x"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// -inspect reads the same outside input: it must not panic either,
		// and agrees with Parse on whether the body is JSON.
		ins, ierr := p.Inspect(body)
		b, err := p.Parse(body, received)
		var chunked []Task
		rest, cerr := p.ParseChunks(body, received, 3, func(ts []Task) { chunked = append(chunked, ts...) })
		if (err == nil) != (cerr == nil) || !reflect.DeepEqual(chunked, b.Tasks) && len(chunked)+len(b.Tasks) > 0 ||
			!reflect.DeepEqual(rest.Skipped, b.Skipped) && len(rest.Skipped)+len(b.Skipped) > 0 ||
			!reflect.DeepEqual(rest.Unreadable, b.Unreadable) && len(rest.Unreadable)+len(b.Unreadable) > 0 {
			t.Fatalf("ParseChunks read %d tasks, %d skips, %d unreadable (%v); Parse %d, %d, %d (%v)",
				len(chunked), len(rest.Skipped), len(rest.Unreadable), cerr, len(b.Tasks), len(b.Skipped), len(b.Unreadable), err)
		}
		if (ierr == nil) != (err == nil) {
			t.Fatalf("Inspect error %v, Parse error %v", ierr, err)
		}
		for _, in := range ins {
			if in.Outcome == "" || len(in.Leaves) > maxLeaves {
				t.Fatalf("inspection without an outcome or with too many leaves: %+v", in)
			}
		}
		if err != nil {
			if len(b.Tasks) != 0 || len(b.Skipped) != 0 || len(b.Unreadable) != 0 {
				t.Fatalf("error %v with a non-empty batch", err)
			}
			return
		}
		for i, task := range b.Tasks {
			if !task.Source.Valid() || task.Status == "" {
				t.Fatalf("task %d: source %q, status %q", i, task.Source, task.Status)
			}
			if task.EventTime.IsZero() {
				t.Fatalf("task %d: zero EventTime", i)
			}
		}
		for _, s := range b.Skipped {
			if s.Reason == "" {
				t.Fatalf("skip without a reason: %+v", s)
			}
		}
		for _, u := range b.Unreadable {
			if u.Reason == "" || len(u.Paths) > maxPaths+1 {
				t.Fatalf("unreadable without a reason or with too many paths: %+v", u)
			}
		}
	})
}
