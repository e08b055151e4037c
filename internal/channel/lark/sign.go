package lark

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// Sign is a custom bot's signature for the Unix time ts (seconds) and the
// bot's secret: base64(HMAC-SHA256(key = ts + "\n" + secret, message = "")).
// Note the reversal against DingTalk: the string-to-sign is the HMAC key and
// the message is empty (custom bot guide, "签名校验":
// https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot).
func Sign(secret string, ts int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
