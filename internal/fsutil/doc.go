// Package fsutil holds the two file-system jobs every layer of pestle
// does the same way: publishing a file atomically (Create … Commit,
// WriteFile, Write), with RemoveStale to clear what a crashed writer left,
// and removing a tree a build step may have left read-only (RemoveTree).
//
// It imports only the standard library, so that keys, apk, sandbox and
// pipeline can all use it without breaking design.md's layering (keys and
// sandbox import nothing else of ours).
package fsutil
