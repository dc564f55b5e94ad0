package build

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/netrec"
	"github.com/pestle-dev/pestle/sandbox"
	"github.com/pestle-dev/pestle/sandbox/netns"
)

// proxyAddr is where the proxy listens inside the build's own network
// namespace; being private, the address is fixed, so steps see the same
// environment in every build.
const proxyAddr = "127.0.0.1:47301"

// network is how a build's steps reach the network. In record and replay
// modes it owns the namespace the sandboxes enter and the proxy serving
// it; in off and host modes it only tells the sandbox which.
type network struct {
	mode  netrec.Mode
	ns    *netns.NS
	proxy *netrec.Proxy
	log   *slog.Logger
}

// networkMode is the mode opts ask for, unless the recipe turns the
// network off (capabilities.networking: false).
func networkMode(opts *EnvOptions, plan *pipeline.Plan) (netrec.Mode, error) {
	mode, err := netrec.ParseMode(string(opts.Network))
	if err != nil {
		return "", err
	}
	if n := plan.Capabilities.Networking; n != nil && !*n {
		return netrec.Off, nil
	}
	return mode, nil
}

// openNetwork prepares the network of a build or test. In replay, it
// serves what the locks recorded (for a URL in several, the first lock's
// record); a lock that does not exist serves nothing.
func openNetwork(opts *EnvOptions, plan *pipeline.Plan, locks ...string) (*network, error) {
	mode, err := networkMode(opts, plan)
	if err != nil {
		return nil, err
	}
	n := &network{mode: mode, log: opts.logger()}
	if (mode != netrec.Record && mode != netrec.Replay) || opts.Runner != nil {
		return n, nil
	}
	allow, err := netrec.ParseAllow(opts.NetworkAllow)
	if err != nil {
		return nil, err
	}
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	cfg := netrec.Config{Mode: mode, Allow: allow, CacheDir: filepath.Join(apkCache, "network"),
		Upstream: opts.NetworkUpstream, Logger: n.log, LockPath: strings.Join(locks, " or ")}
	if mode == netrec.Replay {
		if cfg.Lock, err = readLocks(locks, n.log); err != nil {
			return nil, err
		}
	}
	if n.ns, err = netns.New(proxyAddr); err != nil {
		return nil, fmt.Errorf("--network=%s: %w (or build with --network=host)", mode, err)
	}
	cfg.Local = n.ns.Dial
	if n.proxy, err = netrec.New(cfg); err != nil {
		n.ns.Close()
		return nil, err
	}
	n.proxy.Serve(n.ns.Listener)
	return n, nil
}

// readLocks reads the locks that exist of paths into one.
func readLocks(paths []string, log *slog.Logger) (*netrec.Lock, error) {
	all := &netrec.Lock{Version: netrec.LockVersion}
	found := false
	for _, p := range paths {
		l, err := netrec.ReadLock(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		all.Requests = append(all.Requests, l.Requests...)
	}
	if !found {
		log.Info("no network lock: replay serves no request", "lock", strings.Join(paths, ", "))
	}
	return all, nil
}

// apply sets the sandbox's network: host, nothing (off), or the proxy's
// namespace with the proxy's environment.
func (n *network) apply(spec *sandbox.Spec) {
	spec.Network = n.mode == netrec.Host
	if n.proxy == nil {
		return
	}
	spec.EnterNet, spec.JoinNet = n.ns.Enter(), n.ns.Join()
	env := maps.Clone(spec.Env)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, netrec.Env(proxyAddr))
	spec.Env = env
}

// installCA adds the build's authority to the guest's CA bundle: read
// from readRoot, written into writeRoot (the run's copy, or the upper
// layer of its overlay).
func (n *network) installCA(readRoot, writeRoot string) error {
	if n.proxy == nil {
		return nil
	}
	if err := os.MkdirAll(writeRoot, 0o755); err != nil {
		return err
	}
	return netrec.InstallCA(readRoot, writeRoot, n.proxy.CACert())
}

// modeOf is the mode, "" without a network.
func (n *network) modeOf() netrec.Mode {
	if n == nil {
		return ""
	}
	return n.mode
}

// refused is how many requests the proxy refused so far.
func (n *network) refused() int {
	if n == nil || n.proxy == nil {
		return 0
	}
	return len(n.proxy.Refusals())
}

// refusedSince are the refusals after the first `from`.
func (n *network) refusedSince(from int) []netrec.Refusal {
	if n == nil || n.proxy == nil {
		return nil
	}
	return n.proxy.Refusals()[from:]
}

// downloads are the build's downloads, as sources of the main package.
func (n *network) downloads(pkg string) []Source {
	if n == nil || n.proxy == nil {
		return nil
	}
	var out []Source
	for _, e := range n.proxy.Entries() {
		if e.Download() {
			out = append(out, Source{Package: pkg, Kind: "download", URI: e.URL, SHA256: e.SHA256})
		}
	}
	return out
}

// recorded is how many distinct exchanges the proxy recorded.
func (n *network) recorded() int {
	if n == nil || n.proxy == nil {
		return 0
	}
	return len(n.proxy.Entries())
}

// writeLock records the exchanges of a build or test at path, next to
// the package (record mode only; replay leaves the locks it read as they
// are). One that made no request leaves no lock, and removes a stale one.
func (n *network) writeLock(path string) error {
	if n.proxy == nil || n.mode != netrec.Record {
		return nil
	}
	entries := n.proxy.Entries()
	if len(entries) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	return netrec.WriteLock(path, entries)
}

// traffic is what the proxy carried; false without a proxy.
func (n *network) traffic() (netrec.Traffic, bool) {
	if n.proxy == nil {
		return netrec.Traffic{}, false
	}
	return n.proxy.Traffic(), true
}

func (n *network) close() {
	if n == nil {
		return
	}
	if n.proxy != nil {
		n.proxy.Close()
	}
	if n.ns != nil {
		n.ns.Close()
	}
}

// networkHint explains a failed step that looks like it wanted the
// network, given the mode and what the proxy refused during the step.
func networkHint(mode netrec.Mode, refused []netrec.Refusal, looksLikeNetwork bool) string {
	if len(refused) > 0 {
		var msgs []string
		seen := map[string]bool{}
		for _, r := range refused {
			if !seen[r.Message] {
				seen[r.Message] = true
				msgs = append(msgs, r.Message)
			}
		}
		if len(msgs) > 3 {
			msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
		}
		return "; the network proxy refused: " + strings.Join(msgs, "; ")
	}
	if !looksLikeNetwork {
		return ""
	}
	switch mode {
	case netrec.Off:
		return "; the sandbox has no network (--network=off, or capabilities.networking: false): sources belong in fetch/git-checkout steps, or build with --network=record to reach the network through the recording proxy"
	case netrec.Record, netrec.Replay:
		return "; the step has no network but the proxy in HTTP_PROXY/HTTPS_PROXY: a tool that ignores those variables needs --network=host"
	}
	return ""
}

// lockPath is the network lock of the build of plan: next to its main
// package.
func lockPath(outDir string, plan *pipeline.Plan) string {
	return filepath.Join(outDir, netrec.LockName(plan.Package.Name+"-"+plan.Package.FullVersion+".apk"))
}
