package sca

import (
	"bytes"
	"errors"
	"path"
	"slices"
	"strings"
)

// ignoredInterpreters are left out of "#!" dependencies: nothing in the
// reference distribution provides them as cmd: (they are symlinks there,
// or come in several incompatible variants).
var ignoredInterpreters = [...]string{"sh", "python", "python3", "awk", "luajit"}

// envPath is the program that looks its argument up in PATH.
const envPath = "/usr/bin/env"

// Errors of interpreter, for a "#!" line whose command cannot be told.
var (
	errEnvAlone   = errors.New("#!/usr/bin/env names no command")
	errEnvOptions = errors.New("#!/usr/bin/env with options or several arguments: the kernel passes them as one word, so the command cannot be told (use env -S)")
)

// interpreter returns the base name of the command that runs a script,
// given the script's first bytes: "#!/bin/bash -e" gives "bash",
// "#!/usr/bin/env python3.12" gives "python3.12" and
// "#!/usr/bin/env -S perl -w" gives "perl". It returns "" for a file
// without a "#!" line, an empty one, or an ignored interpreter.
func interpreter(head []byte) (string, error) {
	line, ok := bytes.CutPrefix(head, []byte("#!"))
	if !ok {
		return "", nil
	}
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	words := strings.Fields(string(line))
	if len(words) == 0 {
		return "", nil
	}
	cmd := words[0]
	if cmd == envPath {
		switch {
		case len(words) == 1:
			return "", errEnvAlone
		case len(words) == 2 && !strings.HasPrefix(words[1], "-"):
			cmd = words[1]
		case len(words) >= 3 && words[1] == "-S" && !strings.HasPrefix(words[2], "-"):
			cmd = words[2]
		default:
			return "", errEnvOptions
		}
	}
	base := path.Base(cmd)
	if slices.Contains(ignoredInterpreters[:], base) || base == "/" || base == "." {
		return "", nil
	}
	return base, nil
}

// shebang records the interpreter of the script at p.
func (s *scan) shebang(p string, head []byte) {
	cmd, err := interpreter(head)
	if err != nil {
		s.log.Warn("sca: cannot tell the interpreter of a script", "path", p, "err", err)
		return
	}
	if cmd != "" {
		s.addDep("cmd:"+cmd, "#! line of "+p)
	}
}
