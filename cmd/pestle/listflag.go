package main

import (
	"bytes"
	"encoding/csv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"
)

// listValue is a comma-separated list flag with pflag's StringSlice
// meaning: "a,b" gives a and b, a repeated flag appends, and fields may be
// quoted as in CSV. pflag's own type runs an encoding/csv writer (a 4 KiB
// buffer) for every flag it declares and a reader for every value; a
// process that declares a few dozen flags to compile one recipe paid for
// that on each start. Here the plain case splits on commas and only
// values that need CSV's rules go through encoding/csv.
type listValue struct {
	p       *[]string
	changed bool
}

// listVar declares a list flag on f (shorthand may be "").
func listVar(f *pflag.FlagSet, p *[]string, name, shorthand string, value []string, usage string) {
	*p = value
	fl := f.VarPF(&listValue{p: p}, name, shorthand, usage)
	if len(value) == 0 {
		// pflag leaves "[]" out of the help only for its own types.
		fl.DefValue = ""
	}
}

func (l *listValue) Set(val string) error {
	v, err := splitList(val)
	if err != nil {
		return err
	}
	if l.changed {
		*l.p = append(*l.p, v...)
	} else {
		*l.p = v
	}
	l.changed = true
	return nil
}

// Type is pflag's name for its list flags, so help shows "strings".
func (l *listValue) Type() string { return "stringSlice" }

func (l *listValue) String() string { return "[" + joinList(*l.p) + "]" }

// Append, Replace and GetSlice make it a pflag.SliceValue.
func (l *listValue) Append(val string) error {
	*l.p = append(*l.p, val)
	return nil
}

func (l *listValue) Replace(val []string) error {
	*l.p = val
	return nil
}

func (l *listValue) GetSlice() []string { return *l.p }

// splitList reads val as one CSV record, as pflag does.
func splitList(val string) ([]string, error) {
	if val == "" {
		return []string{}, nil
	}
	if !strings.ContainsAny(val, "\"\r\n") {
		return strings.Split(val, ","), nil
	}
	return csv.NewReader(strings.NewReader(val)).Read()
}

// joinList writes vals as one CSV record without its line end.
func joinList(vals []string) string {
	plain := true
	for _, v := range vals {
		plain = plain && !csvNeedsQuotes(v)
	}
	if plain {
		return strings.Join(vals, ",")
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(vals) // writing to a bytes.Buffer cannot fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// csvNeedsQuotes reports whether encoding/csv would quote field.
func csvNeedsQuotes(field string) bool {
	if field == "" {
		return false
	}
	if field == `\.` || strings.ContainsAny(field, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(field)
	return unicode.IsSpace(r)
}
