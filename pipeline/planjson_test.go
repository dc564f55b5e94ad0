package pipeline

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
)

// encodingJSON is what Plan.JSON must write: encoding/json's output for
// the struct tags of plan.go.
func encodingJSON(t testing.TB, p *Plan) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPlanJSONAsEncodingJSON fills every field of Plan, at every depth,
// with random values (nil, empty and full slices and maps, zero and
// non-zero numbers, strings that need escaping) and compares Plan.JSON
// with encoding/json's rendering. A field added to a plan type without
// its line in planjson.go fails here.
func TestPlanJSONAsEncodingJSON(t *testing.T) {
	for seed := range uint64(3000) {
		rng := rand.New(rand.NewPCG(seed, 12))
		var p Plan
		fill(rng, reflect.ValueOf(&p).Elem(), 0)
		got, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		if want := encodingJSON(t, &p); !bytes.Equal(got, want) {
			t.Fatalf("seed %d: Plan.JSON differs from encoding/json:\n%s\nwant:\n%s", seed, got, want)
		}
	}
}

// TestPlanJSONEmpty covers the zero plan (null lists, no optional field).
func TestPlanJSONEmpty(t *testing.T) {
	got, _ := (&Plan{}).JSON()
	if want := encodingJSON(t, &Plan{}); !bytes.Equal(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// texts are string values, escapes of every kind among them.
var texts = []string{"", "a", "x86_64", "<b>&amp;</b>", "say \"hi\" \\ there", "tab\there\nnew\rline",
	"\b\f\x00\x01\x1f\x7f", "\u2028\u2029", "é ü 漢字 🙂", "bad \xff\xfe utf-8 \xe2\x82", "${{vars.x}}", "/home/build"}

// fill sets v to random content; depth bounds recursive types.
func fill(rng *rand.Rand, v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(texts[rng.IntN(len(texts))])
	case reflect.Bool:
		v.SetBool(rng.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt([]int64{0, 1, -3, 1 << 40}[rng.IntN(4)] % (1 << (v.Type().Bits() - 2)))
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		v.SetUint([]uint64{0, 7, 1<<v.Type().Bits() - 1}[rng.IntN(3)])
	case reflect.Pointer:
		if depth < 4 && rng.IntN(3) != 0 {
			v.Set(reflect.New(v.Type().Elem()))
			fill(rng, v.Elem(), depth+1)
		}
	case reflect.Slice:
		if n := rng.IntN(4) - 1; n >= 0 && depth < 4 {
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				fill(rng, v.Index(i), depth+1)
			}
		}
	case reflect.Map:
		if n := rng.IntN(4) - 1; n >= 0 {
			m := reflect.MakeMap(v.Type())
			for range n {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(rng, k, depth+1)
				fill(rng, e, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Field(i); f.CanSet() && rng.IntN(5) != 0 {
				fill(rng, f, depth+1)
			}
		}
	}
}

// TestPlanJSONLarge compares the two renderings of a real, large plan.
func TestPlanJSONLarge(t *testing.T) {
	r, dir := loadLarge(t)
	p, err := Compile(r, CompileOptions{Arch: "x86_64", PipelineDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.JSON()
	if want := encodingJSON(t, p); !bytes.Equal(got, want) {
		t.Fatal("Plan.JSON differs from encoding/json on llvm-toolchain.yaml")
	}
}

// BenchmarkPlanJSON renders the plan of the 38-subpackage toolchain
// recipe, as `pestle compile` prints it, and with encoding/json (whose
// per-type set-up, done once per process, a benchmark loop hides).
func BenchmarkPlanJSON(b *testing.B) {
	r, dir := loadLarge(b)
	p, err := Compile(r, CompileOptions{Arch: "x86_64", PipelineDirs: []string{dir}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("pestle", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			encodingJSON(b, p)
		}
	})
}
