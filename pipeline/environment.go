package pipeline

// Environment is the build (or test) environment: an apko image
// configuration. pestle uses the contents, accounts and environment; the
// other image fields are accepted so that real recipes parse.
type Environment struct {
	Contents     Contents          `yaml:"contents"`
	Entrypoint   Entrypoint        `yaml:"entrypoint"`
	Cmd          string            `yaml:"cmd"`
	StopSignal   string            `yaml:"stop-signal"`
	WorkDir      string            `yaml:"work-dir"`
	Accounts     Accounts          `yaml:"accounts"`
	Archs        []string          `yaml:"archs"`
	Environment  map[string]string `yaml:"environment"`
	Paths        []PathMutation    `yaml:"paths"`
	VCSURL       string            `yaml:"vcs-url"`
	Annotations  map[string]string `yaml:"annotations"`
	Include      string            `yaml:"include"`
	Volumes      []string          `yaml:"volumes"`
	Layering     *Layering         `yaml:"layering"`
	Certificates *Certificates     `yaml:"certificates"`
	At           Where
}

// Contents lists repositories, keys and packages of an environment.
type Contents struct {
	Repositories        []string   `yaml:"repositories"`
	BuildRepositories   []string   `yaml:"build_repositories"`
	RuntimeRepositories []string   `yaml:"runtime_repositories"`
	Keyring             []string   `yaml:"keyring"`
	Packages            []string   `yaml:"packages"`
	BaseImage           *BaseImage `yaml:"baseimage"`
	At                  Where
}

// BaseImage is apko's experimental base image.
type BaseImage struct {
	Image    string `yaml:"image"`
	APKIndex string `yaml:"apkindex"`
}

// Entrypoint is an image entrypoint (unused by builds).
type Entrypoint struct {
	Type          string            `yaml:"type"`
	Command       string            `yaml:"command"`
	ShellFragment string            `yaml:"shell-fragment"`
	Services      map[string]string `yaml:"services"`
}

// Accounts are the users and groups of an environment.
type Accounts struct {
	RunAs  string  `yaml:"run-as" json:"run-as,omitempty"`
	Users  []User  `yaml:"users" json:"users,omitempty"`
	Groups []Group `yaml:"groups" json:"groups,omitempty"`
}

// User is one account.
type User struct {
	UserName string  `yaml:"username" json:"username"`
	UID      uint32  `yaml:"uid" json:"uid"`
	GID      *uint32 `yaml:"gid" json:"gid,omitempty"`
	Shell    string  `yaml:"shell" json:"shell,omitempty"`
	HomeDir  string  `yaml:"homedir" json:"homedir,omitempty"`
}

// Group is one group.
type Group struct {
	GroupName string   `yaml:"groupname" json:"groupname"`
	GID       uint32   `yaml:"gid" json:"gid"`
	Members   []string `yaml:"members" json:"members,omitempty"`
}

// PathMutation is an apko path mutation (unused by builds).
type PathMutation struct {
	Path        string `yaml:"path"`
	Type        string `yaml:"type"`
	UID         uint32 `yaml:"uid"`
	GID         uint32 `yaml:"gid"`
	Permissions uint32 `yaml:"permissions"`
	Source      string `yaml:"source"`
	Recursive   bool   `yaml:"recursive"`
}

// Layering is apko's layering configuration (unused by builds).
type Layering struct {
	Strategy string `yaml:"strategy"`
	Budget   int    `yaml:"budget"`
}

// Certificates is apko's certificate configuration (unused by builds).
type Certificates struct {
	Additional []struct {
		Name    string `yaml:"name"`
		Content string `yaml:"content"`
	} `yaml:"additional"`
	Providers []string `yaml:"providers"`
}

// Update tells external updaters how to follow upstream releases. pestle
// parses it strictly and otherwise ignores it.
type Update struct {
	Enabled             bool     `yaml:"enabled"`
	Manual              bool     `yaml:"manual"`
	RequireSequential   bool     `yaml:"require-sequential"`
	Shared              bool     `yaml:"shared"`
	VersionSeparator    string   `yaml:"version-separator"`
	IgnoreRegexPatterns []string `yaml:"ignore-regex-patterns"`
	ReleaseMonitor      *Monitor `yaml:"release-monitor"`
	GitHub              *Monitor `yaml:"github"`
	Git                 *Monitor `yaml:"git"`
	OCI                 *Monitor `yaml:"oci"`
	VersionData         *struct {
		VersionFormat string `yaml:"version_format"`
		Sources       []struct {
			Name         string   `yaml:"name"`
			Stream       string   `yaml:"stream"`
			Ignore       []string `yaml:"ignore"`
			CommitSource string   `yaml:"commit_source"`
			UseRelease   bool     `yaml:"use_release"`
		} `yaml:"sources"`
	} `yaml:"version_data"`
	VersionTransform []struct {
		Match   string `yaml:"match"`
		Replace string `yaml:"replace"`
	} `yaml:"version-transform"`
	ExcludeReason string `yaml:"exclude-reason"`
	Schedule      *struct {
		Period string `yaml:"period"`
		Reason string `yaml:"reason"`
	} `yaml:"schedule"`
	EnablePrereleaseTags bool `yaml:"enable-prerelease-tags"`
}

// Monitor is the union of the release-monitor, github, git and oci blocks
// of update (each accepts a subset of these keys in melange; pestle does
// not act on them).
type Monitor struct {
	Identifier            string `yaml:"identifier"`
	StripPrefix           string `yaml:"strip-prefix"`
	StripSuffix           string `yaml:"strip-suffix"`
	TagFilter             string `yaml:"tag-filter"`
	TagFilterPrefix       string `yaml:"tag-filter-prefix"`
	TagFilterContains     string `yaml:"tag-filter-contains"`
	UseTag                bool   `yaml:"use-tag"`
	VersionFilterContains string `yaml:"version-filter-contains"`
	VersionFilterPrefix   string `yaml:"version-filter-prefix"`
}
