package event

import (
	"fmt"
	"time"
	_ "time/tzdata" // a rule's timezone: may name any IANA zone, and minimal images have no zone database
)

// DefaultZone is the zone times are told in unless a rule or NOTIFY_TIMEZONE
// says otherwise: the one PAI's console and notifications use.
const DefaultZone = "Asia/Shanghai"

// LoadZone returns the IANA time zone named name ("Asia/Shanghai",
// "America/New_York", "UTC"), or an error saying what is wrong with it.
// The zone database is embedded (time/tzdata, about 450 KB), so a name that
// works on a laptop works in every function image.
func LoadZone(name string) (*time.Location, error) {
	if name == "UTC" {
		return time.UTC, nil
	}
	if !zoneNameOK(name) {
		return nil, fmt.Errorf("%q is not a time zone name (want an IANA name such as %s or UTC)", name, DefaultZone)
	}
	if loc := loadZone(name, time.LoadLocation); loc != nil {
		return loc, nil
	}
	return nil, fmt.Errorf("unknown time zone %q (want an IANA name such as %s or UTC)", name, DefaultZone)
}
