package build

import "context"

// ArchResult is the outcome of one architecture of BuildArches or
// TestArches: Build's Result or Test's Report, or the error.
type ArchResult struct {
	Arch   string
	Result *Result
	Report *TestReport
	Err    error
}

// BuildArches builds opts for each of arches in turn (opts.Arch is
// ignored; "" is the host's). The failure of one does not stop the
// others. done, when set, is told each outcome as it comes; the outcomes
// are also returned, in the order of arches.
func BuildArches(ctx context.Context, opts Options, arches []string, done func(ArchResult)) []ArchResult {
	return eachArch(arches, done, func(arch string) ArchResult {
		opts.Arch = arch
		res, err := Build(ctx, opts)
		return ArchResult{Result: res, Err: err}
	})
}

// TestArches runs the tests of opts for each of arches in turn, like
// BuildArches.
func TestArches(ctx context.Context, opts TestOptions, arches []string, done func(ArchResult)) []ArchResult {
	return eachArch(arches, done, func(arch string) ArchResult {
		opts.Arch = arch
		rep, err := Test(ctx, opts)
		return ArchResult{Report: rep, Err: err}
	})
}

func eachArch(arches []string, done func(ArchResult), run func(string) ArchResult) []ArchResult {
	out := make([]ArchResult, 0, len(arches))
	for _, a := range arches {
		r := run(a)
		r.Arch = a
		if done != nil {
			done(r)
		}
		out = append(out, r)
	}
	return out
}
