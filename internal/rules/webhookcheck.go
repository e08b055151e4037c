package rules

import "errors"

// CheckWebhook is the check the validator applies to a target's webhook for
// service typ (a registered target.type), exported for the connectivity
// function, which applies it to the webhook a caller names so that it never
// tests a URL the notifier would refuse: DingTalk's is dingtalk.ParseWebhook,
// every other service's an http(s) URL with a host and no user name, http
// only for loopback hosts. The error never quotes the URL.
func CheckWebhook(typ, hook string) error {
	if msg := checkWebhook(typ, hook, &problems{}); msg != "" {
		return errors.New(msg)
	}
	return nil
}
