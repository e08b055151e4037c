package event

import (
	"net/url"
	"strings"

	"github.com/tidwall/gjson"
)

// Bounds on KeyPaths: enough to recognise any real event's layout, small
// enough for one log line whatever arrives.
const (
	maxPaths     = 64
	maxPathDepth = 8
	maxPathLen   = 160
)

// KeyPaths lists the leaf key paths of an event object, names only, in
// document order: "id", "data.job.state", "data.Pods.#.Name". Values are
// never included, so the list is safe to log. Array elements share one "#"
// path; depth, length and count are bounded (a last "…" says some were left
// out).
func KeyPaths(v gjson.Result) []string {
	var out []string
	seen := map[string]bool{}
	more := false
	var walk func(v gjson.Result, prefix string, depth int)
	walk = func(v gjson.Result, prefix string, depth int) {
		add := func(p string) {
			if seen[p] {
				return
			}
			if len(out) == maxPaths {
				more = true
				return
			}
			seen[p] = true
			out = append(out, p)
		}
		switch {
		case depth > maxPathDepth || len(prefix) > maxPathLen:
			add(prefix + ".…")
		case v.IsObject():
			n := 0
			v.ForEach(func(k, val gjson.Result) bool {
				n++
				walk(val, join(prefix, k.Str), depth+1)
				return !more
			})
			if n == 0 && prefix != "" {
				add(prefix)
			}
		case v.IsArray():
			n := 0
			v.ForEach(func(_, el gjson.Result) bool {
				n++
				walk(el, prefix+".#", depth+1)
				return !more && n < maxPaths
			})
			if n == 0 {
				add(prefix)
			}
		default:
			add(prefix)
		}
	}
	walk(v, "", 0)
	if more {
		out = append(out, "…")
	}
	return out
}

// ConsoleLink reports whether a link read from an event may be shown as its
// console link: an https URL on a PAI console host (pai.console.aliyun.com,
// pai.console.alibabacloud.com) or the AWS console (console.aws.amazon.com
// and its regional hosts), without credentials or an odd port. Anything
// else, a phishing link an event could carry included, is replaced by the
// link built from the event's fields.
func ConsoleLink(s string) bool {
	if s == "" || strings.TrimSpace(s) != s {
		return false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || u.Opaque != "" {
		return false
	}
	h := strings.ToLower(u.Host)
	switch {
	case h == "pai.console.aliyun.com", h == "pai.console.alibabacloud.com":
		return true
	case h == "console.aws.amazon.com", strings.HasSuffix(h, ".console.aws.amazon.com"):
		return true
	}
	return false
}
