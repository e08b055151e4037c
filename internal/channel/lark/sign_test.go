package lark

import "testing"

// Known answers, computed apart from this package with
//
//	python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new((str(TS)+"\n"+SECRET).encode(), b"", hashlib.sha256).digest()).decode())'
//
// and the first also with
//
//	printf '' | openssl dgst -sha256 -hmac "$(printf '1599360473\ndemo-secret')" -binary | base64
func TestSign(t *testing.T) {
	for _, tc := range []struct {
		secret string
		ts     int64
		want   string
	}{
		{"demo-secret", 1599360473, "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="},
		{"", 0, "53Dh/MqIJzmbXR1ky1eoAPGAmY2mY/DJucsfzM60KVk="},
		{"qVXhVlYi1dYHiFaS0s6Nxb", 1764655200, "zRi2YRjhRCCEG2KGbxqXuaQSUDiLon/Zud3X5j+wA+M="},
		{"飞书密钥", 1700000000, "pNBIoedSiDluay+gOcazfUUY4njmJsPmrdtyhD0D35w="},
	} {
		if got := Sign(tc.secret, tc.ts); got != tc.want {
			t.Errorf("Sign(%q, %d) = %s, want %s", tc.secret, tc.ts, got, tc.want)
		}
	}
}
