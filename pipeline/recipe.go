package pipeline

// Recipe is a melange recipe as written: every scalar keeps its YAML text
// and nothing is substituted yet. Compile resolves it for one architecture.
type Recipe struct {
	// File is the name used in error messages (the path given to Load).
	File string `yaml:"-"`

	Package       Package                `yaml:"package"`
	Environment   Environment            `yaml:"environment"`
	Capabilities  Capabilities           `yaml:"capabilities"`
	Pipeline      []StepSpec             `yaml:"pipeline"`
	Subpackages   []Subpackage           `yaml:"subpackages"`
	Data          []Data                 `yaml:"data"`
	Update        Update                 `yaml:"update"`
	Vars          map[string]string      `yaml:"vars"`
	VarsPos       map[string]Pos         `yaml:"-" pos:"vars"`
	VarTransforms []VarTransform         `yaml:"var-transforms"`
	Options       map[string]BuildOption `yaml:"options"`
	Test          *Test                  `yaml:"test"`
	At            Where
}

// Package is the recipe's package section (the origin package).
type Package struct {
	Name               string            `yaml:"name"`
	Version            string            `yaml:"version"`
	Epoch              uint64            `yaml:"epoch"`
	Description        string            `yaml:"description"`
	Annotations        map[string]string `yaml:"annotations"`
	URL                string            `yaml:"url"`
	Commit             string            `yaml:"commit"`
	TargetArchitecture []string          `yaml:"target-architecture"`
	Copyright          []Copyright       `yaml:"copyright"`
	Dependencies       Dependencies      `yaml:"dependencies"`
	Options            *PackageOptions   `yaml:"options"`
	Scriptlets         *Scriptlets       `yaml:"scriptlets"`
	Checks             Checks            `yaml:"checks"`
	CPE                CPE               `yaml:"cpe"`
	SetCap             []SetCap          `yaml:"setcap"`
	Timeout            string            `yaml:"timeout"`
	Resources          *Resources        `yaml:"resources"`
	TestResources      *Resources        `yaml:"test-resources"`
	At                 Where
}

// Copyright is one license entry; Operator and Licenses group entries.
type Copyright struct {
	Paths             []string    `yaml:"paths" json:"paths,omitempty"`
	Attestation       string      `yaml:"attestation" json:"attestation,omitempty"`
	License           string      `yaml:"license" json:"license,omitempty"`
	LicensePath       string      `yaml:"license-path" json:"license-path,omitempty"`
	DetectionOverride string      `yaml:"detection-override" json:"detection-override,omitempty"`
	Operator          string      `yaml:"operator" json:"operator,omitempty"`
	Licenses          []Copyright `yaml:"licenses" json:"licenses,omitempty"`
	At                Where       `json:"-"`
}

// Dependencies lists a package's runtime dependencies, provides and replaces.
type Dependencies struct {
	Runtime          []string `yaml:"runtime" json:"runtime,omitempty"`
	Provides         []string `yaml:"provides" json:"provides,omitempty"`
	Replaces         []string `yaml:"replaces" json:"replaces,omitempty"`
	ProviderPriority string   `yaml:"provider-priority" json:"provider-priority,omitempty"`
	ReplacesPriority string   `yaml:"replaces-priority" json:"replaces-priority,omitempty"`
	At               Where    `json:"-"`
}

// PackageOptions turn off parts of the automatic dependency scan.
type PackageOptions struct {
	NoProvides           bool `yaml:"no-provides" json:"no-provides,omitempty"`
	NoDepends            bool `yaml:"no-depends" json:"no-depends,omitempty"`
	NoCommands           bool `yaml:"no-commands" json:"no-commands,omitempty"`
	NoVersionedShlibDeps bool `yaml:"no-versioned-shlib-deps" json:"no-versioned-shlib-deps,omitempty"`
}

// Scriptlets are the install-time scripts of a package.
type Scriptlets struct {
	Trigger       Trigger `yaml:"trigger" json:"trigger,omitzero"`
	PreInstall    string  `yaml:"pre-install" json:"pre-install,omitempty"`
	PostInstall   string  `yaml:"post-install" json:"post-install,omitempty"`
	PreDeinstall  string  `yaml:"pre-deinstall" json:"pre-deinstall,omitempty"`
	PostDeinstall string  `yaml:"post-deinstall" json:"post-deinstall,omitempty"`
	PreUpgrade    string  `yaml:"pre-upgrade" json:"pre-upgrade,omitempty"`
	PostUpgrade   string  `yaml:"post-upgrade" json:"post-upgrade,omitempty"`
	At            Where   `json:"-"`
}

// Trigger is a script run when files under Paths change.
type Trigger struct {
	Script string   `yaml:"script" json:"script,omitempty"`
	Paths  []string `yaml:"paths" json:"paths,omitempty"`
}

// Checks lists linters turned from required into warnings.
type Checks struct {
	Disabled []string `yaml:"disabled" json:"disabled,omitempty"`
}

// CPE holds the fields used to match NVD records.
type CPE struct {
	Part      string `yaml:"part" json:"part,omitempty"`
	Vendor    string `yaml:"vendor" json:"vendor,omitempty"`
	Product   string `yaml:"product" json:"product,omitempty"`
	Edition   string `yaml:"edition" json:"edition,omitempty"`
	Language  string `yaml:"language" json:"language,omitempty"`
	SWEdition string `yaml:"sw_edition" json:"sw_edition,omitempty"`
	TargetSW  string `yaml:"target_sw" json:"target_sw,omitempty"`
	TargetHW  string `yaml:"target_hw" json:"target_hw,omitempty"`
	Other     string `yaml:"other" json:"other,omitempty"`
	At        Where  `json:"-"`
}

// SetCap gives file capabilities to Path after the pipelines ran.
type SetCap struct {
	Path   string            `yaml:"path" json:"path"`
	Add    map[string]string `yaml:"add" json:"add"`
	Reason string            `yaml:"reason" json:"reason"`
	At     Where             `json:"-"`
}

// Resources are the resources a build asks of its runner.
type Resources struct {
	CPU      string `yaml:"cpu" json:"cpu,omitempty"`
	CPUModel string `yaml:"cpumodel" json:"cpumodel,omitempty"`
	Memory   string `yaml:"memory" json:"memory,omitempty"`
	Disk     string `yaml:"disk" json:"disk,omitempty"`
}

// Capabilities are Linux capabilities added to or dropped from the sandbox.
type Capabilities struct {
	Add  []string `yaml:"add" json:"add,omitempty"`
	Drop []string `yaml:"drop" json:"drop,omitempty"`
	// Networking false means the build needs no network: its steps get
	// none whatever the network mode asked for.
	Networking *bool `yaml:"networking" json:"networking,omitempty"`
}

// Subpackage is one entry of subpackages; with Range it stands for one
// subpackage per item of the named data list.
type Subpackage struct {
	If           string            `yaml:"if"`
	Range        string            `yaml:"range"`
	Name         string            `yaml:"name"`
	Pipeline     []StepSpec        `yaml:"pipeline"`
	Dependencies Dependencies      `yaml:"dependencies"`
	Options      *PackageOptions   `yaml:"options"`
	Scriptlets   *Scriptlets       `yaml:"scriptlets"`
	Description  string            `yaml:"description"`
	Annotations  map[string]string `yaml:"annotations"`
	URL          string            `yaml:"url"`
	Commit       string            `yaml:"commit"`
	Copyright    []Copyright       `yaml:"copyright"`
	Checks       Checks            `yaml:"checks"`
	Test         *Test             `yaml:"test"`
	SetCap       []SetCap          `yaml:"setcap"`
	At           Where
}

// Data is a named list of key/value items that subpackages range over.
type Data struct {
	Name     string            `yaml:"name"`
	Items    map[string]string `yaml:"items"`
	ItemsPos map[string]Pos    `yaml:"-" pos:"items"`
	At       Where
}

// VarTransform derives vars.<To> from From with an RE2 replace.
type VarTransform struct {
	From    string `yaml:"from"`
	Match   string `yaml:"match"`
	Replace string `yaml:"replace"`
	To      string `yaml:"to"`
	At      Where
}

// BuildOption is a named patch enabled with --build-option.
type BuildOption struct {
	Vars        map[string]string `yaml:"vars"`
	Environment struct {
		Contents struct {
			Packages struct {
				Add    []string `yaml:"add"`
				Remove []string `yaml:"remove"`
			} `yaml:"packages"`
		} `yaml:"contents"`
	} `yaml:"environment"`
	At Where
}

// Test is a test section: its own environment and pipeline.
type Test struct {
	Environment Environment `yaml:"environment"`
	Pipeline    []StepSpec  `yaml:"pipeline"`
	At          Where
}

// StepSpec is one pipeline step as written in a recipe or in a pipeline
// definition file (which also declares Inputs and Needs).
type StepSpec struct {
	If               string            `yaml:"if"`
	Name             string            `yaml:"name"`
	Description      string            `yaml:"description"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	WithPos          map[string]Pos    `yaml:"-" pos:"with"`
	Runs             string            `yaml:"runs"`
	Pipeline         []StepSpec        `yaml:"pipeline"`
	Inputs           map[string]Input  `yaml:"inputs"`
	Needs            *Needs            `yaml:"needs"`
	Label            string            `yaml:"label"`
	Assertions       *Assertions       `yaml:"assertions"`
	WorkingDirectory string            `yaml:"working-directory"`
	Environment      map[string]string `yaml:"environment"`
	Retry            *Retry            `yaml:"retry"`
	At               Where
}

// Input declares one input of a pipeline definition.
type Input struct {
	Description string `yaml:"description"`
	Default     string `yaml:"default"`
	Required    bool   `yaml:"required"`
	At          Where
}

// Needs lists packages a pipeline needs in its environment.
type Needs struct {
	Packages []string `yaml:"packages"`
}

// Assertions are checks on a step's nested steps.
type Assertions struct {
	RequiredSteps int `yaml:"required-steps"`
}

// Retry asks the runner to retry a failing step.
type Retry struct {
	Attempts     int    `yaml:"attempts" json:"attempts"`
	Backoff      string `yaml:"backoff" json:"backoff,omitempty"`
	InitialDelay string `yaml:"initial-delay" json:"initial-delay,omitempty"`
	MaxDelay     string `yaml:"max-delay" json:"max-delay,omitempty"`
}
