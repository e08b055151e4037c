package channeltest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pai-notifier/pai-notifier/internal/channel"
)

// LeakRun is how many characters of a secret in a row count as a leak: a
// quoted answer may hold a piece of one.
const LeakRun = 8

// Printed is every text a caller can get out of err: Error(), %v, %+v,
// %#v, and for a *channel.Error its Msg and Hint and the text of every
// error it wraps.
func Printed(err error) map[string]string {
	texts := map[string]string{
		"Error()": err.Error(), "%v": fmt.Sprintf("%v", err), "%+v": fmt.Sprintf("%+v", err),
		"%#v": fmt.Sprintf("%#v", err),
	}
	var e *channel.Error
	if errors.As(err, &e) {
		texts["Msg"], texts["Hint"] = e.Msg, e.Hint
	}
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		texts[fmt.Sprintf("unwrapped %T", u)] += u.Error() + "\n"
	}
	return texts
}

// AssertNoLeak fails t when anything printed of err (Printed) holds
// LeakRun characters in a row of one of secrets.
func AssertNoLeak(t testing.TB, err error, secrets ...string) {
	t.Helper()
	for where, text := range Printed(err) {
		for _, s := range secrets {
			for i := 0; i+LeakRun <= len(s); i++ {
				if piece := s[i : i+LeakRun]; strings.Contains(text, piece) {
					t.Errorf("%s holds %q of a secret: %s", where, piece, text)
					break
				}
			}
		}
	}
}

// EveryOffset judges answers that echo a secret at every offset from 0 to
// upto: bodies(pad) gives the answers for a pad of that many bytes, each is
// judged with every HTTP status in statuses (nil: 200, 400 and 503), and
// none may be a delivery or leak one of secrets (AssertNoLeak). It stops at
// the first offset that fails.
func EveryOffset(t *testing.T, upto int, statuses []int, bodies func(pad string) []string, judge func(status int, body []byte) *channel.Error, secrets ...string) {
	t.Helper()
	if statuses == nil {
		statuses = []int{200, 400, 503}
	}
	for off := 0; off <= upto; off++ {
		pad := strings.Repeat("x", off)
		for _, body := range bodies(pad) {
			for _, status := range statuses {
				e := judge(status, []byte(body))
				if e == nil {
					t.Fatalf("offset %d, HTTP %d: judged delivered", off, status)
				}
				AssertNoLeak(t, e, secrets...)
				if t.Failed() {
					t.Fatalf("offset %d, HTTP %d leaks (body %q)", off, status, body)
				}
			}
		}
	}
}
