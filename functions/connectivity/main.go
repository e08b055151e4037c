// Command connectivity is the "test connectivity" HTTP function: POST
// {"type": ..., "webhook": ..., "secret": ...} or {"rule": ...} and it sends
// one test message to a DingTalk, WeCom, Lark/Feishu or Slack robot or a
// signed webhook, then answers {"ok", "type", "errcode", "errmsg", "hint",
// "latencyMs"} saying whether the target works and what to fix. "type" may be
// left out for a webhook on a service's official host (default dingtalk). It
// runs behind an FC 3.0 HTTP trigger (FC_RUNTIME_API), a Lambda function URL,
// HttpApi route or REST API (AWS_LAMBDA_RUNTIME_API), or locally on
// 127.0.0.1:${PORT:-9000}.
//
// Environment: the notifier's rules variables (NOTIFY_RULES,
// NOTIFY_RULES_FILE, NOTIFY_WEBHOOK/NOTIFY_SECRET/NOTIFY_TARGET_TYPE or
// DINGTALK_WEBHOOK/DINGTALK_SECRET/DINGTALK_KEYWORD), CONNTEST_ALLOWED_HOSTS
// (host[:port],... that a caller's webhook may name, a bare host meaning port
// 443; default the five official hosts oapi.dingtalk.com,
// qyapi.weixin.qq.com, open.feishu.cn, open.larksuite.com and
// hooks.slack.com, so a generic webhook's host must be listed; http is
// accepted only for listed loopback hosts; rule tests are not bound by it),
// CONNTEST_RATE_LIMIT (test messages per target and instance, default 5/1m;
// past it the answer is 429 with Retry-After), CONNTEST_TOKEN (require
// "Authorization: Bearer <token>") and LOG_LEVEL.
package main

import (
	"context"
	"os"

	"github.com/pai-notifier/pai-notifier/internal/connectivity"
	"github.com/pai-notifier/pai-notifier/internal/platform"
)

func main() {
	cfg := connectivity.FromEnv(os.Getenv)
	cfg.Logger = platform.Logger(os.Stderr, platform.LogLevel(os.Getenv("LOG_LEVEL")))
	tester := connectivity.New(cfg)
	platform.RunHTTP(func(ctx context.Context, r platform.HTTPRequest) platform.HTTPResponse {
		resp := tester.Handle(ctx, connectivity.Request{Method: r.Method, Headers: r.Headers, Body: r.Body})
		return platform.HTTPResponse{Status: resp.Status, Headers: resp.Headers, Body: resp.Body}
	})
}
