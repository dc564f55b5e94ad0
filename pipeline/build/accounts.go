package build

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/pestle-dev/pestle/pipeline"
)

// passwdFile renders /etc/passwd: root, then the recipe's users (which
// include the build user, uid 1000, that every recipe gets).
func passwdFile(a pipeline.Accounts) []byte {
	var b bytes.Buffer
	b.WriteString("root:x:0:0:root:/root:/bin/sh\n")
	seen := map[string]bool{"root": true}
	users := append([]pipeline.User(nil), a.Users...)
	if !hasUser(users, "build") {
		gid := uint32(1000)
		users = append(users, pipeline.User{UserName: "build", UID: 1000, GID: &gid})
	}
	for _, u := range users {
		if seen[u.UserName] {
			continue
		}
		seen[u.UserName] = true
		gid := u.UID
		if u.GID != nil {
			gid = *u.GID
		}
		home := u.HomeDir
		if home == "" {
			home = "/home/" + u.UserName
		}
		shell := u.Shell
		if shell == "" {
			shell = "/bin/sh"
		}
		fmt.Fprintf(&b, "%s:x:%d:%d:%s:%s:%s\n", u.UserName, u.UID, gid, u.UserName, home, shell)
	}
	return b.Bytes()
}

// groupFile renders /etc/group: root, then the recipe's groups.
func groupFile(a pipeline.Accounts) []byte {
	var b bytes.Buffer
	b.WriteString("root:x:0:\n")
	seen := map[string]bool{"root": true}
	groups := append([]pipeline.Group(nil), a.Groups...)
	if !hasGroup(groups, "build") {
		groups = append(groups, pipeline.Group{GroupName: "build", GID: 1000, Members: []string{"build"}})
	}
	for _, g := range groups {
		if seen[g.GroupName] {
			continue
		}
		seen[g.GroupName] = true
		fmt.Fprintf(&b, "%s:x:%d:%s\n", g.GroupName, g.GID, strings.Join(g.Members, ","))
	}
	return b.Bytes()
}

func hasUser(us []pipeline.User, name string) bool {
	for _, u := range us {
		if u.UserName == name {
			return true
		}
	}
	return false
}

func hasGroup(gs []pipeline.Group, name string) bool {
	for _, g := range gs {
		if g.GroupName == name {
			return true
		}
	}
	return false
}

// writeAccounts writes etc/passwd and etc/group into root, replacing what
// packages installed (the build's accounts are the recipe's).
func writeAccounts(root string, a pipeline.Accounts) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.MkdirAll("etc", 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"etc/passwd": passwdFile(a), "etc/group": groupFile(a)} {
		_ = r.Remove(name)
		if err := r.WriteFile(name, data, 0o644); err != nil {
			return fmt.Errorf("guest %s: %w", name, err)
		}
	}
	return nil
}

// runAs resolves environment.accounts.run-as to a numeric identity; ok is
// false when run-as is empty.
func runAs(a pipeline.Accounts) (uid, gid int, ok bool, err error) {
	if a.RunAs == "" {
		return 0, 0, false, nil
	}
	for _, u := range a.Users {
		if u.UserName == a.RunAs {
			g := u.UID
			if u.GID != nil {
				g = *u.GID
			}
			return int(u.UID), int(g), true, nil
		}
	}
	if a.RunAs == "root" {
		return 0, 0, true, nil
	}
	if a.RunAs == "build" {
		return 1000, 1000, true, nil
	}
	return 0, 0, false, fmt.Errorf("environment.accounts.run-as names %q, which is not in environment.accounts.users", a.RunAs)
}
