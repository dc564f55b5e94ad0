package apk

import (
	"strings"
	"testing"
)

func TestParseSourceDateEpoch(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1700000000", 1700000000, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"", 0, false},
		{" 1", 0, false},
		{"1e9", 0, false},
		{"99999999999999999999", 0, false},
	} {
		got, err := ParseSourceDateEpoch(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseSourceDateEpoch(%q) = %d, %v", c.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "SOURCE_DATE_EPOCH=") {
			t.Errorf("error %q does not name the variable", err)
		}
	}
}

func TestBuildDate(t *testing.T) {
	for _, c := range []struct {
		env, date string
		want      int64
		err       string
	}{
		{"", "", 0, ""},
		{"", "2024-01-02T15:04:05Z", 1704207845, ""},
		{"42", "2024-01-02T15:04:05Z", 42, ""}, // the variable wins
		{"42", "not a date", 42, ""},           // and the flag is not read
		{"", "yesterday", 0, "want RFC 3339"},
		{"", "1969-12-31T23:59:59Z", 0, "before 1970"},
		{"-5", "", 0, "non-negative"},
	} {
		t.Setenv(SourceDateEpochEnv, c.env)
		got, err := BuildDate(c.date)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("SOURCE_DATE_EPOCH=%q, date %q: %d, %v; want %d, %q", c.env, c.date, got, err, c.want, c.err)
		}
	}
}
