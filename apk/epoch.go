package apk

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// SourceDateEpochEnv is the environment variable of reproducible builds:
// the time, in seconds since 1970, given to every file and signature.
const SourceDateEpochEnv = "SOURCE_DATE_EPOCH"

// ParseSourceDateEpoch parses a SOURCE_DATE_EPOCH value: a whole,
// non-negative number of seconds since 1970-01-01T00:00:00Z.
func ParseSourceDateEpoch(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q is not a whole, non-negative number of seconds since 1970 (unset it or set e.g. %s=$(date +%%s))",
			SourceDateEpochEnv, v, SourceDateEpochEnv)
	}
	return n, nil
}

// SourceDateEpoch reads $SOURCE_DATE_EPOCH; ok is false when it is unset
// or empty.
func SourceDateEpoch() (sde int64, ok bool, err error) {
	v := os.Getenv(SourceDateEpochEnv)
	if v == "" {
		return 0, false, nil
	}
	sde, err = ParseSourceDateEpoch(v)
	return sde, err == nil, err
}

// BuildDate resolves the time of a build the way melange does:
// $SOURCE_DATE_EPOCH when set, else date (RFC 3339, from --build-date)
// when not empty, else 0. Neither may be before 1970.
func BuildDate(date string) (int64, error) {
	sde, ok, err := SourceDateEpoch()
	if err != nil || ok || date == "" {
		return sde, err
	}
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return 0, fmt.Errorf("--build-date %q: want RFC 3339, e.g. 2024-01-02T15:04:05Z", date)
	}
	if t.Unix() < 0 {
		return 0, fmt.Errorf("--build-date %q is before 1970: package times start at 1970-01-01T00:00:00Z", date)
	}
	return t.Unix(), nil
}
