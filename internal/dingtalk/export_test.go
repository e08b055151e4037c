package dingtalk

import "encoding/json"

var jsonUnmarshal = json.Unmarshal
