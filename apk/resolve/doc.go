// Package resolve chooses the set of packages that satisfies a list of
// dependency tokens (an apk "world") from the packages of one or more
// repositories, and orders it for installation.
//
// The choices follow apk-tools' solver:
//
//   - Every name a package provides is a name of its own: the package
//     name, versioned provides (so:libfoo.so.1=1.2, cmd:foo=1.0-r0) and
//     unversioned ones (/bin/sh). A chosen package settles every name it
//     provides, so a later dependency on one of them uses it.
//   - A name gets one provider, except that several packages may provide
//     the same name without a version. Two versions of one package, or two
//     packages with the same versioned provide, never go together.
//   - Among the providers that satisfy every constraint, the preferred one
//     has the highest version of the requested name, then the highest
//     version of its own name, then the highest provider_priority, then
//     comes from the earliest repository; a package of the requested name
//     wins the remaining ties. So a real package beats a provider of its
//     name unless the provider offers a higher version or priority, as in
//     apk.
//   - A provider without a version is only picked automatically if it has
//     a provider_priority or if its own package is needed anyway, even
//     when it is the only provider of the name (apk 2.14). Otherwise the
//     error says "X is a virtual package; pick one of: a b c" (or "name
//     its provider: a").
//   - A conflict (!foo, !foo<2) keeps matching providers out.
//   - A package whose install_if tokens are all satisfied by the chosen set
//     is added, with its dependencies.
//
// Names with a single possible provider are settled first; names with a
// choice are decided afterwards, real package names before virtual ones,
// so that packages chosen for other reasons settle virtual names as they
// do in apk. One exception follows apk's order of decisions (deepest
// dependency chain first, then the most recently needed name): a needed
// virtual name that comes before the name of a package providing it
// without version gets its own preferred provider, and both are chosen,
// unless every package that depends on that package's name is already
// chosen (apk then takes it at once).
//
// The solution lists what the install walk reaches, as apk's change set
// does: a package chosen for a virtual name that a package placed earlier
// already provides is left out, with whatever only it needed.
//
// apk never revisits a choice; this resolver does: when a
// choice leads to a dead end it tries the next candidate (within
// Options.MaxBacktracks), so it finds an answer in some cases where apk
// reports an error, and otherwise gives the same one.
//
// Deliberate differences from apk-tools: repository tags (name@tag) and
// pinning are refused with an error; an install_if package whose own
// dependencies cannot be met is left out rather than failing the whole
// request; an install_if token "!foo" holds while nothing provides foo
// (apk 2.14 never triggers on it); packages whose metadata holds an
// invalid dependency token are kept out, as apk 2.14 rejects them.
//
// An unsatisfiable request returns an *Error (matching ErrUnsatisfiable)
// that explains itself: which package needs what, and what was available.
// Solution.Packages lists dependencies before the packages that need them;
// a dependency cycle is broken at the edge that closes it, in the
// deterministic order of the request (sorted by name) and of each
// package's dependency list, as apk does.
package resolve
