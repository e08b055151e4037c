// Package rate is "N messages per rolling window", the one way pai-notifier writes a robot's
// message limit: the notifier's per-robot budget (DINGTALK_RATE_LIMIT) and the connectivity
// function's per-robot test limit (CONNTEST_RATE_LIMIT) are both read by Parse.
package rate

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of messages allowed per rolling window.
type Rate struct {
	N   int
	Per time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Per) }

// Parse reads "20/1m", "20/m", "20/60s" or "20/minute".
func Parse(s string) (Rate, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("rate %q: want N/duration, e.g. 20/1m", s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 {
		return Rate{}, fmt.Errorf("rate %q: count must be a positive integer", s)
	}
	per = strings.TrimSpace(per)
	switch per {
	case "s", "sec", "second":
		per = "1s"
	case "m", "min", "minute":
		per = "1m"
	case "h", "hour":
		per = "1h"
	}
	d, err := time.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("rate %q: window must be a positive duration such as 1m or 60s", s)
	}
	return Rate{N: count, Per: d}, nil
}
