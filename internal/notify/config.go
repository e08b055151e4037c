package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/event"
	"github.com/pai-notifier/pai-notifier/internal/rules"
)

// Environment variables read by FromEnv (besides those rules.Load reads).
const (
	EnvRateLimit   = "DINGTALK_RATE_LIMIT" // per-robot budget, e.g. 20/1m (the default)
	EnvSendTimeout = "DINGTALK_TIMEOUT"    // one send attempt, e.g. 5s (default 10s)
)

// FromEnv builds the Notifier of one function instance: rules, field
// mapping, rate budget and DingTalk client, loaded and validated once. An
// invalid configuration does not stop the instance: every invocation then
// fails with the validation error, so events wait in retry or the
// dead-letter queue instead of being dropped.
func FromEnv(getenv func(string) string, logger *slog.Logger, explain bool) *Notifier {
	cfg := Config{Logger: logger, Explain: explain}
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
		} else if explain {
			cfg.Parser = cfg.Parser.Traced() // explain shows where each field was read
		}
	}
	if v := getenv(EnvRateLimit); v != "" {
		if cfg.Rate, err = ParseRate(v); err != nil {
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
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = 10 * time.Second
	}
	cfg.Sender = dingtalk.NewClient(cfg.SendTimeout)
	if len(errs) > 0 {
		cfg.ConfErr = fmt.Errorf("configuration: %w", errors.Join(errs...))
		if logger != nil {
			logger.Error("configuration is invalid; every invocation will fail until it is fixed", "error", cfg.ConfErr)
		}
	}
	return New(cfg)
}
