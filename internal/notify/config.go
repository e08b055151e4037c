package notify

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rate"
	"github.com/pai-notifier/pai-notifier/internal/rules"
	"github.com/pai-notifier/pai-notifier/internal/state"
)

// Environment variables read by FromEnv (besides those rules.Load reads).
const (
	EnvRateLimit   = "DINGTALK_RATE_LIMIT" // per-robot budget of DingTalk targets, e.g. 20/1m (the default); other services keep their defaults
	EnvSendTimeout = "DINGTALK_TIMEOUT"    // one send attempt on any channel, e.g. 5s (default 10s)
	EnvGoneFor     = "NOTIFY_GONE_FOR"     // how long a disabled/dissolved/removed robot is skipped, e.g. 10m (default 5m)
	EnvStateURL    = "NOTIFY_STATE_URL"    // redis:// or rediss:// URL of shared state; the instance's memory when unset
	EnvLockout     = "NOTIFY_LOCKOUT"      // how long a robot that answered "too fast" without Retry-After is left alone (default 10m, DingTalk's lockout)
	EnvInstances   = "NOTIFY_INSTANCES"    // instances that may deliver at once without shared state: each target's budget is split among them (default 1)
)

// Flags are the notifier command's local-mode switches.
type Flags struct {
	Explain bool      // add every rule's verdict for each event to the Result
	DryRun  io.Writer // match and render, print each message here, send nothing
}

// FromEnv builds the Notifier of one function instance: rules, field
// mapping, rate budgets and the registry's channels, loaded and validated once. An
// invalid configuration does not stop the instance: every invocation then
// fails with the validation error, so events wait in retry or the
// dead-letter queue instead of being dropped.
func FromEnv(getenv func(string) string, logger *slog.Logger, flags Flags) *Notifier {
	cfg := Config{Logger: logger, Explain: flags.Explain}
	var errs []error

	set, err := rules.Load(getenv)
	if err != nil {
		errs = append(errs, err)
	} else {
		cfg.Rules = set
		if logger != nil {
			for _, w := range set.Warnings() {
				logger.Warn("rules: " + w)
			}
		}
		if cfg.Parser, err = event.NewParser(set.Fields(), set.Kinds()...); err != nil {
			errs = append(errs, err)
		} else if flags.Explain {
			cfg.Parser = cfg.Parser.Traced() // explain shows where each field was read
		}
	}
	if v := getenv(EnvRateLimit); v != "" {
		if cfg.Rate, err = rate.Parse(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvRateLimit, err))
		}
	}
	if v := getenv(EnvSendTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 5s", EnvSendTimeout, v))
		}
		cfg.SendTimeout = d
	}
	if v := getenv(EnvGoneFor); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 10m", EnvGoneFor, v))
		}
		cfg.GoneFor = d
	}
	if v := getenv(EnvLockout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 10m", EnvLockout, v))
		}
		cfg.Lockout = d
	}
	if v := getenv(EnvInstances); v != "" {
		k, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || k < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of instances such as 2", EnvInstances, v))
		}
		if getenv(EnvStateURL) == "" { // a shared store already counts every instance's sends
			cfg.Instances = k
		}
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	if flags.DryRun != nil {
		// A dry run sends nothing, so it claims nothing in a shared store
		// either: its claims would suppress the real deliveries.
		cfg.Sender, cfg.DryRun = NewPrintSender(flags.DryRun), true
	} else if cfg.State, err = state.Open(getenv(EnvStateURL), state.Options{Rate: cfg.Rate, Logger: logger}); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", EnvStateURL, err))
	}
	if len(errs) > 0 {
		cfg.ConfErr = fmt.Errorf("configuration: %w", errors.Join(errs...))
		if logger != nil {
			logger.Error("configuration is invalid; every invocation will fail until it is fixed", "error", cfg.ConfErr)
		}
	}
	return New(cfg)
}
