// Package channels is the registry of the chat services the notifier can
// post to: each one's channel, default rate budget, official webhook hosts,
// which mentions it can express and whether it signs with a secret. The
// rules validator, the notifier and the connectivity function read a
// service only through this list, so adding a sixth is one new package
// under internal/channel and one entry in All.
package channels

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/pai-notifier/pai-notifier/internal/channel"
	"github.com/pai-notifier/pai-notifier/internal/channel/lark"
	"github.com/pai-notifier/pai-notifier/internal/channel/slack"
	"github.com/pai-notifier/pai-notifier/internal/channel/webhook"
	"github.com/pai-notifier/pai-notifier/internal/channel/wecom"
	"github.com/pai-notifier/pai-notifier/internal/dingtalk"
	"github.com/pai-notifier/pai-notifier/internal/rate"
)

// Secret says what a service does with target.secret.
type Secret int

const (
	SecretSigns  Secret = iota // optional; when set, every request is signed with it
	SecretUnused               // the webhook URL is the only credential; a secret is ignored
)

// Mentions are the kinds of mention a service can express so that the
// person is really notified.
type Mentions struct{ Mobiles, UserIDs, All bool }

// Spec is one service.
type Spec struct {
	Name string // the rules document's target.type
	// New builds the service's channel; timeout bounds one send's wait
	// for an answer's headers (0: only the caller's context bounds it).
	New func(timeout time.Duration, opts ...channel.Option) channel.Channel
	// Limits are the service's default budget windows for one webhook,
	// all of which must have room; none means unlimited.
	Limits []rate.Rate
	// Hosts are the service's official webhook hosts; empty for a generic
	// webhook, whose host is the operator's.
	Hosts    []string
	Mentions Mentions
	Secret   Secret
	// Cost is how many messages of the target's budget one Send of m
	// spends (WeCom follows a markdown that mentions mobiles or everyone
	// with a text message); nil means 1.
	Cost func(m channel.Message) int
	// CheckMentions says what is wrong with ids the service cannot
	// mention (Slack member ids are U… or W…); nil accepts every id.
	CheckMentions func(m channel.Mentions) error
	// Hint says what to do about a failure that was not just answered
	// (a remembered "gone" mark); nil gives a general hint.
	Hint func(e *channel.Error) string
}

// All is every service, in the order documents and demos list them.
// Sources for the limits: DingTalk 20 a minute per robot
// (https://open.dingtalk.com/document/orgapp/custom-robot-access), WeCom 20
// a minute per robot (https://developer.work.weixin.qq.com/document/path/91770),
// Lark/Feishu 100 a minute and 5 a second per bot
// (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot), Slack
// about one a second per webhook with short bursts allowed
// (https://api.slack.com/apis/rate-limits: modelled as 3 per 3 s, which never exceeds one a second with bursts of three), and a
// generic webhook none of its own.
var All = []Spec{
	{
		Name: dingtalk.Name,
		New: func(timeout time.Duration, _ ...channel.Option) channel.Channel {
			return dingtalk.NewClient(timeout)
		},
		Limits:   []rate.Rate{{N: 20, Per: time.Minute}},
		Hosts:    []string{"oapi.dingtalk.com"},
		Mentions: Mentions{Mobiles: true, UserIDs: true, All: true},
		Secret:   SecretSigns,
		Hint:     dingtalk.Hint,
	},
	{
		Name: wecom.Name,
		New: func(timeout time.Duration, opts ...channel.Option) channel.Channel {
			return wecom.New(append([]channel.Option{headerTimeout(timeout)}, opts...)...)
		},
		Limits:   []rate.Rate{{N: 20, Per: time.Minute}},
		Hosts:    []string{"qyapi.weixin.qq.com"},
		Mentions: Mentions{Mobiles: true, UserIDs: true, All: true},
		Secret:   SecretUnused,
		Cost: func(m channel.Message) int {
			if len(m.Mentions.Mobiles) > 0 || m.Mentions.All {
				return 2 // the markdown, then the text message that mentions
			}
			return 1
		},
	},
	{
		Name: lark.Name,
		New: func(timeout time.Duration, opts ...channel.Option) channel.Channel {
			return lark.New(append([]channel.Option{headerTimeout(timeout)}, opts...)...)
		},
		Limits:   []rate.Rate{{N: 100, Per: time.Minute}, {N: 5, Per: time.Second}},
		Hosts:    []string{"open.feishu.cn", "open.larksuite.com"},
		Mentions: Mentions{UserIDs: true, All: true},
		Secret:   SecretSigns,
	},
	{
		Name: slack.Name,
		New: func(timeout time.Duration, opts ...channel.Option) channel.Channel {
			return slack.New(append([]channel.Option{headerTimeout(timeout)}, opts...)...)
		},
		Limits:        []rate.Rate{{N: 3, Per: 3 * time.Second}},
		Hosts:         []string{"hooks.slack.com"},
		Mentions:      Mentions{UserIDs: true, All: true},
		Secret:        SecretUnused,
		CheckMentions: slack.CheckMentions,
	},
	{
		Name: webhook.Name,
		New: func(timeout time.Duration, opts ...channel.Option) channel.Channel {
			return webhook.New(append([]channel.Option{headerTimeout(timeout)}, opts...)...)
		},
		Secret: SecretSigns,
	},
}

// headerTimeout bounds the wait for an answer's headers, like DingTalk's
// client: a stuck peer cannot hold a function until its own deadline.
func headerTimeout(d time.Duration) channel.Option { return channel.WithHeaderTimeout(d) }

// Default is the service of a rule that names none.
const Default = dingtalk.Name

// Lookup returns the service named name (a target.type), case-insensitively.
func Lookup(name string) (Spec, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = Default
	}
	i := slices.IndexFunc(All, func(s Spec) bool { return s.Name == name })
	if i < 0 {
		return Spec{}, false
	}
	return All[i], true
}

// Names lists the services' names: "dingtalk|wecom|lark|slack|webhook".
func Names() []string {
	out := make([]string, len(All))
	for i, s := range All {
		out[i] = s.Name
	}
	return out
}

// Infer names the service whose official host the webhook names; "" when
// none does (a generic webhook, a relay or a test server).
func Infer(hook string) string {
	u, err := url.Parse(strings.TrimSpace(hook))
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	for _, s := range All {
		if slices.Contains(s.Hosts, host) {
			return s.Name
		}
	}
	return ""
}

// Official reports whether hook names one of s's official hosts; a service
// without official hosts (the generic webhook) accepts every host.
func (s Spec) Official(hook string) bool {
	if len(s.Hosts) == 0 {
		return true
	}
	u, err := url.Parse(strings.TrimSpace(hook))
	return err == nil && slices.Contains(s.Hosts, strings.ToLower(u.Hostname()))
}

// OfficialHosts is every service's official hosts, the connectivity
// function's default allow-list.
func OfficialHosts() []string {
	var out []string
	for _, s := range All {
		out = append(out, s.Hosts...)
	}
	return out
}

// CostOf is how many messages of the budget one Send of m spends on s.
func (s Spec) CostOf(m channel.Message) int {
	if s.Cost == nil {
		return 1
	}
	return max(1, s.Cost(m))
}

// HintFor is s's hint for e, or a general one.
func (s Spec) HintFor(e *channel.Error) string {
	if s.Hint != nil {
		if h := s.Hint(e); h != "" {
			return h
		}
	}
	if e.Class == channel.ClassTargetGone {
		return "目标已失效(群已解散,或机器人/Webhook 已停用或删除):请在群里重新添加机器人,并更新规则中的 webhook。" +
			"The target is gone (group dissolved, or the robot or webhook disabled or removed): add the robot to the group again and update the rule's webhook."
	}
	return ""
}

// TargetID names one webhook of service s in results, logs and shared
// state, without its credential: a short hash. DingTalk's is
// dingtalk.RobotID, as before channels existed, so that shared state and
// dashboards keep their keys; the others hash the type, host, path and
// query, where their credentials live.
func TargetID(s string, hook string) string {
	if s == "" || s == dingtalk.Name {
		return dingtalk.RobotID(hook)
	}
	h := sha256.New()
	h.Write([]byte(s))
	h.Write([]byte{0})
	if u, err := url.Parse(strings.TrimSpace(hook)); err == nil && u.Host != "" {
		h.Write([]byte(strings.ToLower(u.Host)))
		h.Write([]byte(u.EscapedPath()))
		h.Write([]byte{0})
		h.Write([]byte(u.Query().Encode()))
	} else {
		h.Write([]byte(hook))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
