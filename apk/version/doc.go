// Package version validates and orders Alpine package versions and parses
// the dependency tokens of .PKGINFO depend/provides/install_if lines, of
// APKINDEX D:, p: and i: fields and of /etc/apk/world.
//
// # Versions
//
// A version is number{.number}…{letter}{_suffix{number}}…{~hash}{-rN}, for
// example 1.2.3, 2.0b, 1.0_rc1, 3.1_p16-r2 or 1.0~6f3a2c-r1 (the ~hash part
// exists only in apk v3). Validate accepts that grammar and explains what
// is wrong otherwise. Like apk 2.14 (and real Alpine indexes, e.g.
// opensmtpd 6.8.0p2-r4, pc:librtmp=v2.4) it also lets a number follow the
// letter and a version start with a letter and a number; apk v3 rejects
// both. It refuses the degenerate forms apk 2.14 lets through: an empty
// version, a bare letter, empty numbers ("1.", "1..2"), an empty suffix
// ("1_"), "-r" without a number and a repeated -r.
//
// Compare orders versions the way apk-tools 2.14 does:
//
//   - tokens are compared in step: numbers numerically (any length, no
//     overflow), the letter by ASCII, suffixes by rank
//     (_alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p),
//     the ~hash as a string and -rN numerically;
//   - when one side runs out first, the side that continues is greater,
//     unless what follows is a pre-release suffix: 1.0_rc1 < 1.0 < 1.0-r0 <
//     1.0_p1, 1.0 < 1.0.0, 1.0a < 1.0.1;
//   - a number after a '.' that has leading zeros sorts below every number
//     without them, and more zeros sort lower: 1.05 < 1.5, 1.005 < 1.05,
//     1.00 < 1.0 (apk-tools 2.x turns the zeros into a negative token; apk v3
//     compares such components as strings and so puts 8.2.001 above 8.2.0,
//     where 2.14 and this package put it below).
//
// Two details differ from a literal reading of apk-tools 2.x version.c, both
// deliberately: apk 2.x reads an all-zero component that is followed by a
// letter or suffix ("1.0_rc1") as if an empty number followed it, which made
// "1.0_rc1" sort above "1.0"; here a pre-release suffix after such a
// component sorts below the bare version, as it does after any other
// component and in apk v3. And apk 2.x keeps numbers in a C int, so numbers
// above 2147483647 overflow there; here they compare exactly.
//
// # Dependencies
//
// A dependency token is [!]name[@tag][op version]. Names are opaque: so:,
// cmd:, pc: and py3.10: namespaces and file paths such as /bin/sh are names
// like any other. op is <, <=, =, >=, >, ~ (fuzzy), v3's <~ and >~, or ><
// (the version is then a "Q1…" package identity, as apk add ./file.apk
// writes to world). A version must pass Validate, except after ><. Lists are
// separated by spaces or newlines only; a tab is not a separator.
//
// Fuzzy matching follows apk-tools 2.14: ~1.2 matches every version whose
// tokens agree with 1.2 as far as both go, so 1.2, 1.2.5, 1.2_rc1 and also 1
// match, but 1.3 does not (apk v3 additionally requires the dependency's
// version to run out first, so there ~1.2 does not match 1). <~ and >~
// accept what ~ accepts plus everything below, respectively above.
package version
