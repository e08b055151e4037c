package event

import (
	"testing"
	"time"

	"github.com/tidwall/gjson"
)

func TestParseTime(t *testing.T) {
	shanghai := time.FixedZone("", 8*3600)
	tests := []struct {
		in   string
		want time.Time // zero: unreadable
	}{
		{"2026-01-06T16:02:11+08:00", time.Date(2026, 1, 6, 16, 2, 11, 0, shanghai)},
		{"2026-01-06T16:02:11.512+08:00", time.Date(2026, 1, 6, 16, 2, 11, 512e6, shanghai)},
		{"2026-01-06T08:02:11Z", time.Date(2026, 1, 6, 8, 2, 11, 0, time.UTC)},
		{"2026-01-06T08:02:11.123456789Z", time.Date(2026, 1, 6, 8, 2, 11, 123456789, time.UTC)},
		{"2026-01-06T16:02:11+0800", time.Date(2026, 1, 6, 16, 2, 11, 0, shanghai)},
		{"2026-01-06T16:02:11+08", time.Date(2026, 1, 6, 16, 2, 11, 0, shanghai)},
		{"2026-01-06T03:02:11-05:00", time.Date(2026, 1, 6, 8, 2, 11, 0, time.UTC)},
		{"2020-11-19T21:04:42.179PRC", time.Date(2020, 11, 19, 21, 4, 42, 179e6, shanghai)},
		{"2020-08-17T16:04:46.149Asia/Shanghai", time.Date(2020, 8, 17, 16, 4, 46, 149e6, shanghai)},
		{"2020-08-17T16:04:46Asia/Shanghai", time.Date(2020, 8, 17, 16, 4, 46, 0, shanghai)},
		{"2020-08-17T16:04:46.149Asia/Tokyo", time.Date(2020, 8, 17, 16, 4, 46, 149e6, time.FixedZone("", 9*3600))},
		{"2020-08-17T16:04:46UTC", time.Date(2020, 8, 17, 16, 4, 46, 0, time.UTC)},
		{"2026-01-06 08:02:11", time.Date(2026, 1, 6, 8, 2, 11, 0, time.UTC)},
		{"2026-01-06 16:02:11+08:00", time.Date(2026, 1, 6, 16, 2, 11, 0, shanghai)},
		{"2026-01-06T08:02:11", time.Date(2026, 1, 6, 8, 2, 11, 0, time.UTC)},
		{"2026-01-06T08:02:11.5", time.Date(2026, 1, 6, 8, 2, 11, 5e8, time.UTC)},
		{"1583831889050", time.UnixMilli(1583831889050)},
		{"1583831889", time.Unix(1583831889, 0)},
		{"1583831889.25", time.Unix(1583831889, 25e7)},
		{" 2026-01-06T08:02:11Z ", time.Date(2026, 1, 6, 8, 2, 11, 0, time.UTC)},
		{"", time.Time{}},
		{"0", time.Time{}},
		{"garbage", time.Time{}},
		{"2026-13-06T08:02:11Z", time.Time{}},
		{"2026-01-06T08:02:11Nowhere/Atlantis", time.Time{}},
		{"2026-01-06T08:02:11../../etc/passwd", time.Time{}},
		{"2026-01-06T08:02:11+8", time.Time{}},
		{"2026-01-06X08:02:11Z", time.Time{}},
		{"99999999999999999999", time.Time{}},
		{"1.2.3", time.Time{}},
		{"Tue, 06 Jan 2026 08:02:11 GMT", time.Time{}},
	}
	for _, tt := range tests {
		got := parseTime(tt.in)
		if !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTimeOfNumbers(t *testing.T) {
	tests := []struct {
		json string
		want time.Time
	}{
		{`1583831889050`, time.UnixMilli(1583831889050)},
		{`1583831889`, time.Unix(1583831889, 0)},
		{`1583831889.5`, time.Unix(1583831889, 5e8)},
		{`-1`, time.Time{}},
		{`0`, time.Time{}},
		{`1e300`, time.Time{}},
		{`true`, time.Time{}},
		{`null`, time.Time{}},
		{`{"a":1}`, time.Time{}},
	}
	for _, tt := range tests {
		got := timeOf(gjson.Parse(tt.json))
		if !got.Equal(tt.want) || got.IsZero() != tt.want.IsZero() {
			t.Errorf("timeOf(%s) = %v, want %v", tt.json, got, tt.want)
		}
	}
}

// Zone names read with their real rules (daylight saving included), unknown
// names do not, and PRC is asked for as Asia/Shanghai.
func TestLoadZone(t *testing.T) {
	ref := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	for name, off := range map[string]int{"PRC": 8 * 3600, "Asia/Shanghai": 8 * 3600, "Asia/Kolkata": 5*3600 + 1800, "Europe/Berlin": 2 * 3600} {
		loc := loadZone(name, time.LoadLocation)
		if loc == nil {
			t.Errorf("%s: not found", name)
			continue
		}
		if _, got := ref.In(loc).Zone(); got != off {
			t.Errorf("%s: offset %d in July, want %d", name, got, off)
		}
	}
	if loc := loadZone("Mars/Olympus_Mons", time.LoadLocation); loc != nil {
		t.Errorf("an unknown zone read as %v", loc)
	}
	var asked string
	loadZone("PRC", func(n string) (*time.Location, error) { asked = n; return time.UTC, nil })
	if asked != "Asia/Shanghai" {
		t.Errorf("PRC loaded as %q", asked)
	}
}

func TestZoneNameOK(t *testing.T) {
	for name, want := range map[string]bool{
		"Asia/Shanghai": true, "America/Argentina/Buenos_Aires": true, "Etc/GMT+8": true, "PRC": true,
		"": false, "/etc/passwd": false, "../x": false, "Asia/../../x": false, "Asia Shanghai": false,
		"1Asia": false, "Asia/Shanghai\x00": false,
	} {
		if got := zoneNameOK(name); got != want {
			t.Errorf("zoneNameOK(%q) = %v, want %v", name, got, want)
		}
	}
}
