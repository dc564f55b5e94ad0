package build

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// readEnvFile reads a dotenv file: KEY=VALUE lines, "#" comments and blank
// lines ignored, an optional "export " prefix, and values optionally in
// single or double quotes (taken literally).
func readEnvFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		text = strings.TrimPrefix(text, "export ")
		k, v, ok := strings.Cut(text, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE, got %q", path, line, sc.Text())
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	return env, nil
}

// withEnvFile returns env with the variables of the env file added where
// env does not set them: the recipe's environment wins, as in melange.
func withEnvFile(env map[string]string, file map[string]string) map[string]string {
	if len(file) == 0 {
		return env
	}
	out := make(map[string]string, len(env)+len(file))
	for k, v := range file {
		out[k] = v
	}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// readEnvFiles reads each non-empty path in order; a later file's value
// wins over an earlier one's.
func readEnvFiles(paths []string) (map[string]string, error) {
	var out map[string]string
	for _, p := range paths {
		if p == "" {
			continue
		}
		env, err := readEnvFile(p)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = env
			continue
		}
		for k, v := range env {
			out[k] = v
		}
	}
	return out, nil
}
