package event

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"
)

// -inspect on an event with unknown keys guesses a fields: block, and that
// block, given to the parser, reads the event.
func TestInspectGuessReadsTheEvent(t *testing.T) {
	body := []byte(readSample(t, "pai-unknown-keys.json"))
	ins, err := (&Parser{}).Inspect(body)
	if err != nil || len(ins) != 1 {
		t.Fatalf("Inspect = %+v, %v", ins, err)
	}
	in := ins[0]
	if !strings.HasPrefix(in.Outcome, "unreadable: ") || in.Missing[0] != "jobId" || in.Missing[1] != "status" {
		t.Errorf("outcome %q, missing %v", in.Outcome, in.Missing)
	}
	want := map[string]string{"jobId": "data.jobInfo.uuid", "status": "data.jobInfo.lifecycle.current"}
	if !maps.Equal(in.Guess, want) {
		t.Errorf("guess = %v, want %v", in.Guess, want)
	}
	for _, l := range in.Leaves {
		if l.Field != "unused" && l.Field != "" && l.Field != "envelope" {
			t.Errorf("leaf %s read into %s in an unreadable event", l.Path, l.Field)
		}
	}

	p, err := NewParser(map[Source]map[string]string{DLC: in.Guess})
	if err != nil {
		t.Fatal(err)
	}
	b := mustParse(t, p, string(body))
	if len(b.Tasks) != 1 || b.Tasks[0].JobID != "dlc7unknownkeys" || b.Tasks[0].Status != "Failed" || b.Tasks[0].Source != DLC {
		t.Fatalf("with the guessed fields: %+v", b)
	}

	var out bytes.Buffer
	WriteInspection(&out, "pai-unknown-keys.json", in)
	for _, s := range []string{
		"data.jobInfo.lifecycle.current   unused",
		"missing: jobId (required), status (required), ",
		"fields:\n  dlc:\n    jobId: data.jobInfo.uuid\n    status: data.jobInfo.lifecycle.current\n",
	} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("inspection lacks %q:\n%s", s, out.String())
		}
	}
}

// For a readable event every leaf names its field, and the envelope and
// the keys no field takes are told apart.
func TestInspectReadable(t *testing.T) {
	ins, err := (&Parser{}).Inspect([]byte(`[{"id":"e","source":"acs.pai","type":"pai:DLC:X","aliyunregionid":"cn-x",` +
		`"data":{"job":{"JobId":"dlc1","State":" failed"},"extra":[1,{"k":"v"}]}},"junk"]`))
	if err != nil || len(ins) != 1 {
		t.Fatalf("Inspect = %+v, %v", ins, err)
	}
	in := ins[0]
	got := map[string]string{}
	for _, l := range in.Leaves {
		got[l.Path] = l.Field
	}
	want := map[string]string{"id": "envelope", "source": "envelope", "type": "envelope", "aliyunregionid": "region",
		"data.job.JobId": "jobId", "data.job.State": "status", "data.extra.0": "", "data.extra.1.k": ""}
	if !maps.Equal(got, want) {
		t.Errorf("leaves = %v\nwant     %v", got, want)
	}
	if in.Outcome != "task" || in.Status != "Failed" || in.Source != DLC || len(in.Guess) != 0 {
		t.Errorf("got %+v", in)
	}
	if _, err := (&Parser{}).Inspect([]byte(`nope`)); err == nil {
		t.Error("Inspect of non-JSON: no error")
	}
}

// Missing leaves out what does not apply to the source and what the Task
// has without a key (a worked-out duration, a built console link).
func TestInspectMissing(t *testing.T) {
	for name, want := range map[string][]string{
		"aws-sagemaker-training-failed.json": nil,
		"dlc-failed.json":                    {"started"},
		"model-version-approved.json":        {"reasonCode", "reasonMessage", "eventLabel", "eventMessage", "created"},
	} {
		ins, err := (&Parser{}).Inspect([]byte(readSample(t, name)))
		if err != nil || len(ins) != 1 {
			t.Fatalf("%s: %+v, %v", name, ins, err)
		}
		if !slices.Equal(ins[0].Missing, want) {
			t.Errorf("%s: missing %q, want %q", name, ins[0].Missing, want)
		}
	}
}
