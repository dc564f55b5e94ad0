package builtin

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed pipelines
var embedded embed.FS

// FS holds the built-in pipeline definitions, rooted at the pipelines
// directory: the definition that `uses: autoconf/configure` names is
// fs.ReadFile(FS, "autoconf/configure.yaml").
var FS fs.FS = mustSub(embedded, "pipelines")

// Ext is the file name extension of a pipeline definition in FS.
const Ext = ".yaml"

// File returns the path in FS of the definition that `uses: name` names
// ("go/build" gives "go/build.yaml"). It does not check that it exists.
func File(name string) string { return name + Ext }

// Names returns the names of all built-in pipelines, sorted, in the form
// a recipe writes after `uses:` ("autoconf/configure", "fetch", ...).
func Names() []string {
	var names []string
	// The embedded tree is fixed at compile time; a walk error cannot
	// happen, and the tests list every expected name.
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(p) == Ext {
			names = append(names, strings.TrimSuffix(p, Ext))
		}
		return nil
	})
	sort.Strings(names)
	return names
}

// Has reports whether name is a built-in pipeline.
func Has(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return false
	}
	st, err := fs.Stat(FS, File(name))
	return err == nil && !st.IsDir()
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("builtin: " + err.Error())
	}
	return sub
}
