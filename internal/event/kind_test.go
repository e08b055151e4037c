package event

import (
	"slices"
	"strings"
	"testing"
)

func TestKinds(t *testing.T) {
	tests := []struct {
		name, body string
		want       []Kind
		main       Kind
	}{
		{"dlc failed", dlc(`"Status":"Failed"`), []Kind{KindFailed, KindEnded}, KindFailed},
		{"dlc queuing", dlc(`"Status":"Queuing"`), []Kind{KindQueued}, KindQueued},
		{"dlc bidding", dlc(`"Status":"Bidding"`), []Kind{KindBidding}, KindBidding},
		{"dlc env preparing", dlc(`"Status":"EnvPreparing"`), []Kind{KindPreparing}, KindPreparing},
		{"dlc running", dlc(`"Status":"running"`), []Kind{KindRunning}, KindRunning},
		{"dlc retained on failure", dlc(`"Status":"FailedReserving"`), []Kind{KindRetained}, KindRetained},
		{"dlc stopped", dlc(`"Status":"Stopped"`), []Kind{KindStopped, KindEnded}, KindStopped},
		{"dlc creating is no kind", dlc(`"Status":"Creating"`), nil, ""},
		{"preempted by type", `{"source":"acs.pai","type":"pai:DLC:JobPreempted","data":{"JobId":"dlc1","Status":"Restarting"}}`, []Kind{KindPreempted}, KindPreempted},
		{"timeout by reason", dlc(`"Status":"Failed","ReasonCode":"QueueTimeout"`), []Kind{KindTimeout, KindFailed, KindEnded}, KindTimeout},
		{"fault tolerance in Chinese", dlc(`"Status":"Restarting","ReasonMessage":"任务触发自动容错"`), []Kind{KindFaultTolerance}, KindFaultTolerance},
		{"paiflow terminated is stopped", `{"source":"acs.pai","type":"pai:PAIFlow:X","data":{"RunId":"r","Status":"Terminated"}}`, []Kind{KindStopped, KindEnded}, KindStopped},
		{"dsw resource allocating is preparing", `{"source":"acs.pai","type":"pai:DSW:X","data":{"InstanceId":"dsw-1","Status":"ResourceAllocating"}}`, []Kind{KindPreparing}, KindPreparing},
		{"dsw save failed is failed", `{"source":"acs.pai","type":"pai:DSW:X","data":{"InstanceId":"dsw-1","Status":"SaveFailed"}}`, []Kind{KindFailed}, KindFailed},
		{"model approved ended", `{"source":"acs.pai","type":"pai:Model:X","data":{"ModelId":"m","ApprovalStatus":"approved"}}`, []Kind{KindEnded}, KindEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustParse(t, &Parser{}, tt.body)
			if len(b.Tasks) != 1 {
				t.Fatalf("got %+v", b)
			}
			k := b.Tasks[0].Kinds
			if !slices.Equal(k.List(), tt.want) || k.Main() != tt.main {
				t.Errorf("kinds %v (main %q), want %v (main %q)", k.List(), k.Main(), tt.want, tt.main)
			}
		})
	}
}

func dlc(data string) string {
	return `{"source":"acs.pai","type":"pai:DLC:JobStatusChanged","data":{"JobId":"dlc1",` + data + `}}`
}

// A document's kinds: entries add kinds by type pattern, status or path.
func TestKindRules(t *testing.T) {
	p, err := NewParser(nil,
		KindRule{Kind: "Preempted", Types: []string{"pai:DLC:*Evicted"}},
		KindRule{Kind: KindTimeout, Statuses: []string{" Dequeued "}},
		KindRule{Kind: KindFaultTolerance, Path: "data.Restart.Auto"},
	)
	if err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]Kind{
		`{"source":"acs.pai","type":"pai:DLC:JobEvicted","data":{"JobId":"dlc1","Status":"Restarting"}}`:                           KindPreempted,
		`{"source":"acs.pai","type":"pai:dlc:x","data":{"JobId":"dlc1","Status":"dequeued"}}`:                                      KindTimeout,
		`{"source":"acs.pai","type":"pai:DLC:x","data":{"JobId":"dlc1","Status":"Restarting","Restart":{"Auto":true}}}`:            KindFaultTolerance,
		`{"source":"acs.pai","type":"pai:DLC:x","data":{"JobId":"dlc1","Status":"Restarting","Restart":{"Auto":false}}}`:           "",
		`{"source":"acs.pai","type":"pai:DLC:JobEvictedLater","data":{"JobId":"dlc1","Status":"Restarting","Restart":{"Auto":0}}}`: "",
	} {
		b := mustParse(t, p, body)
		if len(b.Tasks) != 1 || b.Tasks[0].Kinds.Main() != want {
			t.Errorf("%s: kinds %v, want %q", body, b.Tasks[0].Kinds, want)
		}
	}
	for _, bad := range []struct {
		k    KindRule
		want string
	}{
		{KindRule{Kind: "explode", Types: []string{"x"}}, `kinds.explode: unknown kind "explode" (known: `},
		{KindRule{Kind: KindTimeout}, "kinds.timeout: give types, statuses or a path"},
		{KindRule{Kind: KindTimeout, Types: []string{" "}}, "kinds.timeout: types: empty type"},
	} {
		if _, err := NewParser(nil, bad.k); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("NewParser(%+v) = %v, want %q", bad.k, err, bad.want)
		}
	}
}
