package models

import (
	"time"
	// The tz database inside the binary: Morocco's offset changes every
	// Ramadan, and a server's (or container's) own copy may be missing or
	// older.
	_ "time/tzdata"
)

// DefaultTimeZone is the zone dates are shown in for anyone who has not
// chosen one, and for visitors: Morocco's, whose offset changes during
// Ramadan (the binary embeds the tz database, so that change is known).
const DefaultTimeZone = "Africa/Casablanca"

// TimeZones are the zones the profile page offers, Morocco's first; any
// other IANA name the tz database knows is accepted too.
func TimeZones() []string {
	return []string{
		DefaultTimeZone,
		"UTC",
		"Europe/Paris", "Europe/Brussels", "Europe/Madrid", "Europe/Lisbon", "Europe/London",
		"Europe/Berlin", "Europe/Rome", "Europe/Istanbul",
		"Africa/Algiers", "Africa/Tunis", "Africa/Cairo", "Africa/Dakar", "Africa/Abidjan",
		"Africa/Lagos", "Africa/Nairobi", "Africa/Johannesburg",
		"Asia/Riyadh", "Asia/Dubai", "Asia/Qatar", "Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo",
		"America/New_York", "America/Toronto", "America/Chicago", "America/Los_Angeles", "America/Sao_Paulo",
		"Australia/Sydney",
	}
}

// LoadTimeZone gives the location of an IANA zone name, and false when the
// tz database does not know it ("" and "Local" are refused: a server's own
// zone means nothing to the reader).
func LoadTimeZone(name string) (*time.Location, bool) {
	if name == "" || name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// Location is the zone the person reads dates in: theirs, else Morocco's.
func (u *User) Location() *time.Location {
	if u != nil {
		if loc, ok := LoadTimeZone(u.TimeZone); ok {
			return loc
		}
	}
	loc, _ := LoadTimeZone(DefaultTimeZone)
	return loc
}
