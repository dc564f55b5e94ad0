package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/netrec"
)

// modeFlag is --network: a mode name, checked as it is parsed.
type modeFlag struct{ m *netrec.Mode }

func (f modeFlag) String() string {
	if f.m == nil || *f.m == "" {
		return string(netrec.Record)
	}
	return string(*f.m)
}

func (f modeFlag) Set(s string) error {
	m, err := netrec.ParseMode(s)
	if err == nil {
		*f.m = m
	}
	return err
}

func (modeFlag) Type() string { return "mode" }

// addNetworkFlags adds --network and --network-allow, shared by build
// and test. A bare --network is --network=host, as the flag once meant.
func addNetworkFlags(f *pflag.FlagSet, o *build.Options) {
	f.Var(modeFlag{&o.Network}, "network",
		"how steps reach the network: record (through pestle's recording proxy), replay (only what the lock recorded), off, or host (the host's network, unrecorded)")
	f.Lookup("network").NoOptDefVal = string(netrec.Host)
	listVar(f, &o.NetworkAllow, "network-allow", "", nil,
		"hosts the proxy may reach (host, *.domain, optionally :port); default: any")
}

// bareNetwork catches "--network off": a bare --network means host, so
// pflag takes the mode that follows it for an argument. A mode
// name among args that is no file is that mistake.
func bareNetwork(f *pflag.FlagSet, args []string) error {
	if !f.Changed("network") {
		return nil
	}
	for _, a := range args {
		m, err := netrec.ParseMode(a)
		if err != nil || a == "" {
			continue
		}
		if _, err := os.Lstat(a); err == nil {
			continue
		}
		return fmt.Errorf("--network %s: write --network=%s (a bare --network means --network=host, and %q was read as an argument)", a, m, a)
	}
	return nil
}
