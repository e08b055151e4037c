package message

import (
	"strings"
	"testing"
)

func BenchmarkRender(b *testing.B) {
	task := sampleC()
	o := Options{AtMobiles: []string{"13800000000"}}
	b.ReportAllocs()
	for b.Loop() {
		render(task, o)
	}
}

func BenchmarkRenderEnActionCard(b *testing.B) {
	task := sampleC()
	o := Options{Lang: "en", Format: "actionCard", Keyword: "PAI"}
	b.ReportAllocs()
	for b.Loop() {
		render(task, o)
	}
}

// A reason that must be cut: the fitting loop's cost.
func BenchmarkRenderGiantReason(b *testing.B) {
	task := sampleC()
	task.ReasonMessage = strings.Repeat("Traceback: 显存不足 CUDA out of memory; ", 2000)
	b.ReportAllocs()
	for b.Loop() {
		render(task, Options{})
	}
}

func BenchmarkDigest500(b *testing.B) {
	ts := manyTasks(500)
	b.ReportAllocs()
	for b.Loop() {
		digestDT(ts, Options{})
	}
}
