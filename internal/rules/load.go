package rules

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pai-notifier/pai-notifier/internal/event"
)

// The environment variables Load reads.
const (
	EnvRules     = "NOTIFY_RULES"      // the document itself
	EnvRulesFile = "NOTIFY_RULES_FILE" // a path to it
	EnvWebhook   = "DINGTALK_WEBHOOK"  // no document: one default rule to this DingTalk robot
	EnvSecret    = "DINGTALK_SECRET"
	EnvKeyword   = "DINGTALK_KEYWORD"
	// No document, any service: one default rule to this webhook, its type
	// NOTIFY_TARGET_TYPE or else inferred from the official hosts (DingTalk
	// when none matches). They take precedence over DINGTALK_*.
	EnvNotifyWebhook = "NOTIFY_WEBHOOK"
	EnvNotifySecret  = "NOTIFY_SECRET"
	EnvNotifyKeyword = "NOTIFY_KEYWORD"
	EnvNotifyType    = "NOTIFY_TARGET_TYPE"
	DefaultRuleName  = "default"
)

// ErrNoRules is Load's error when the environment configures no rules at
// all; its text says which variables to set.
var ErrNoRules = errors.New(errNothingToLoad)

const (
	errNothingToLoad   = "no notification rules: set NOTIFY_RULES (a YAML or JSON rules document), NOTIFY_RULES_FILE (the path of one), or NOTIFY_WEBHOOK (any service; NOTIFY_SECRET, NOTIFY_TARGET_TYPE) or DINGTALK_WEBHOOK (with DINGTALK_SECRET for a signed robot) to send every failed job to one group"
	errBothRuleSources = "NOTIFY_RULES and NOTIFY_RULES_FILE are both set; set only one"
)

// Load builds the rule set from the environment (nil getenv means
// os.Getenv): the document in NOTIFY_RULES or in the file NOTIFY_RULES_FILE,
// or else, from NOTIFY_WEBHOOK, NOTIFY_SECRET, NOTIFY_KEYWORD and
// NOTIFY_TARGET_TYPE (or DINGTALK_WEBHOOK, DINGTALK_SECRET and
// DINGTALK_KEYWORD), one rule named "default" sending every failed DLC job or PAIFlow run.
func Load(getenv func(string) string) (*Set, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	doc, file := get(EnvRules), get(EnvRulesFile)
	switch {
	case doc != "" && file != "":
		return nil, errors.New(errBothRuleSources)
	case doc != "":
		s, err := Parse([]byte(doc), getenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvRules, err)
		}
		return s, nil
	case file != "":
		b, err := readBounded(file)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s: cannot read %s: %w", EnvRulesFile, file, err)
		}
		s, err := Parse(b, getenv)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", EnvRulesFile, file, err)
		}
		return s, nil
	case get(EnvNotifyWebhook) != "" || get(EnvWebhook) != "":
		return defaultRule(getenv)
	}
	return nil, ErrNoRules
}

// readBounded reads at most maxDocBytes+1 bytes of the file: enough for
// Parse to say the document is too large, without reading /dev/zero or a
// multi-gigabyte file whole into memory first.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDocBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxDocBytes {
		return nil, fmt.Errorf("larger than the %d-byte limit of a rules document", maxDocBytes)
	}
	return b, nil
}

// defaultRule is the no-document setup: every failed task to one robot. It
// goes through the same target checks as a document's rules, with messages
// naming the variables.
func defaultRule(getenv func(string) string) (*Set, error) {
	ps := &problems{}
	names := map[string]string{
		"target.webhook": EnvWebhook,
		"target.secret":  EnvSecret,
		"target.keyword": EnvKeyword,
	}
	hookVar, secretVar, keywordVar := EnvWebhook, EnvSecret, EnvKeyword
	if strings.TrimSpace(getenv(EnvNotifyWebhook)) != "" {
		hookVar, secretVar, keywordVar = EnvNotifyWebhook, EnvNotifySecret, EnvNotifyKeyword
		names = map[string]string{
			"target.webhook": EnvNotifyWebhook,
			"target.secret":  EnvNotifySecret,
			"target.keyword": EnvNotifyKeyword,
			"target.type":    EnvNotifyType,
		}
	}
	v := &validator{ps: ps, envNames: names}
	env := func(k string) *scalar {
		val := strings.TrimSpace(getenv(k))
		if val == "" {
			return nil
		}
		return &scalar{raw: val, val: val, tag: "!!str"}
	}
	rt := &rawTarget{webhook: env(hookVar), secret: env(secretVar), keyword: env(keywordVar)}
	if hookVar == EnvNotifyWebhook {
		rt.typ = env(EnvNotifyType)
	} else {
		rt.typ = &scalar{raw: TargetDingTalk, val: TargetDingTalk, tag: "!!str"} // DINGTALK_WEBHOOK is DingTalk's
	}
	t := v.target(rt)
	zone := zoneFromEnv(getenv, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	r := &Rule{
		Name:     DefaultRuleName,
		Scope:    ScopeWorkspace,
		Events:   []string{string(event.KindFailed)},
		Lang:     LangZh,
		Format:   FormatMarkdown,
		Location: zone,
		Target:   t,
	}
	return newSet([]*Rule{r}, nil, v.warnings), nil
}
