package resolve

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

// apkAnswer is one line of testdata/apk-2.14-expected.jsonl: what apk-tools
// 2.14.10 answered to `add --simulate WORLD…` on the Alpine 3.16 index.
type apkAnswer struct {
	World     []string `json:"world"`
	OK        bool     `json:"ok"`
	Installed []string `json:"installed"`
	Error     []string `json:"error"`
}

func readAPKAnswers(t testing.TB) []apkAnswer {
	t.Helper()
	f, err := os.Open("testdata/apk-2.14-expected.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []apkAnswer
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		var a apkAnswer
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("apk-2.14-expected.jsonl:%d: %v", line, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// apkCause matches the line of an apk refusal that names the package at
// fault and why: "  nvme-cli (no such package):".
var apkCause = regexp.MustCompile(`^\s+(\S+) \(([^)]*)\):$`)

// apkCauseKind maps apk-tools' words for why a name cannot be selected to
// the Kind pestle reports for the same cause.
var apkCauseKind = map[string]Kind{
	"no such package": KindNotFound,
	"virtual":         KindVirtual,
}

// compareAnswer checks pestle's answer to a against apk's. It returns ""
// on agreement, else a group (what kind of disagreement) and a detail.
func compareAnswer(r *Resolver, a apkAnswer) (group, detail string) {
	sol, err := r.Resolve(a.World)
	if !a.OK {
		if err == nil {
			return "apk refuses, pestle solves", fmt.Sprintf("apk: %s; pestle: %s",
				strings.Join(a.Error, " / "), strings.Join(nameVersions(sol), " "))
		}
		return compareRefusal(a, err)
	}
	if err != nil {
		return "apk solves, pestle refuses", err.Error()
	}
	got := nameVersions(sol)
	if slices.Equal(got, a.Installed) {
		return "", ""
	}
	var extra, missing []string
	for _, g := range got {
		if _, found := slices.BinarySearch(a.Installed, g); !found {
			extra = append(extra, g)
		}
	}
	for _, w := range a.Installed {
		if _, found := slices.BinarySearch(got, w); !found {
			missing = append(missing, w)
		}
	}
	switch {
	case len(extra) == 0:
		group = "pestle installs fewer"
	case len(missing) == 0:
		group = "pestle installs more"
	default:
		group = "pestle installs others"
	}
	return group, fmt.Sprintf("pestle lacks %q, has extra %q", missing, extra)
}

// compareRefusal checks that pestle's error names apk's cause.
func compareRefusal(a apkAnswer, err error) (group, detail string) {
	var re *Error
	if !errors.As(err, &re) {
		return "refusal without an explanation", err.Error()
	}
	for _, line := range a.Error {
		m := apkCause.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		want, known := apkCauseKind[m[2]]
		switch {
		case !known:
			return "apk cause not mapped", m[2]
		case re.Kind != want || re.Name != m[1]:
			return "refusal for another cause", fmt.Sprintf("apk: %s (%s); pestle: %s", m[1], m[2], err)
		}
		return "", ""
	}
	return "apk refusal not understood", strings.Join(a.Error, " / ")
}

func nameVersions(sol *Solution) []string {
	out := make([]string, len(sol.Packages))
	for i, p := range sol.Packages {
		out[i] = p.Name + "-" + p.Version
	}
	slices.Sort(out)
	return out
}

var (
	compatOnce     sync.Once
	compatResolver *Resolver
)

// sharedAlpineResolver indexes the Alpine 3.16 fixture once for the whole
// test binary. Its entries say A:x86_64 although apk-tools was run with
// --arch aarch64: apk 2.14 does not filter an index's packages by arch,
// so neither does this resolver.
func sharedAlpineResolver(t testing.TB) *Resolver {
	t.Helper()
	compatOnce.Do(func() {
		r, err := New([][]*apk.PackageInfo{alpine316(t)}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		compatResolver = r
	})
	if compatResolver == nil {
		t.Fatal("alpine-316 index did not load")
	}
	return compatResolver
}

// TestAgreesWithAPKTools resolves every request apk-tools answered and
// requires the same installed set (name-version), or a refusal naming the
// same cause. Disagreements are reported grouped.
func TestAgreesWithAPKTools(t *testing.T) {
	answers := readAPKAnswers(t)
	if len(answers) < 2000 {
		t.Fatalf("only %d answers in testdata/apk-2.14-expected.jsonl", len(answers))
	}
	r := sharedAlpineResolver(t)
	groups := map[string][]string{}
	agree := 0
	for _, a := range answers {
		group, detail := compareAnswer(r, a)
		if group == "" {
			agree++
			continue
		}
		groups[group] = append(groups[group], fmt.Sprintf("%s: %s", strings.Join(a.World, " "), detail))
	}
	t.Logf("agreement with apk-tools 2.14.10: %d/%d (%.2f%%)", agree, len(answers), 100*float64(agree)/float64(len(answers)))
	keys := make([]string, 0, len(groups))
	for g := range groups {
		keys = append(keys, g)
	}
	sort.Strings(keys)
	for _, g := range keys {
		list := groups[g]
		t.Errorf("%s (%d):", g, len(list))
		for i, d := range list {
			if i == 10 {
				t.Errorf("    … and %d more", len(list)-10)
				break
			}
			t.Errorf("    %s", d)
		}
	}
}

// BenchmarkAgreement resolves every request of the apk-tools answers
// against the Alpine 3.16 index, parsed and indexed once; ns/request is
// the average time of one resolve.
func BenchmarkAgreement(b *testing.B) {
	answers := readAPKAnswers(b)
	r := sharedAlpineResolver(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, a := range answers {
			_, _ = r.Resolve(a.World)
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/request")
}
