package sbom

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// spdxSchema compiles the official SPDX 2.3 JSON schema from the fixtures.
func spdxSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		schema, schemaErr = jsonschema.NewCompiler().Compile(fixture.Path(t, "spdx", "spdx-schema-2.3.json"))
	})
	if schemaErr != nil {
		t.Fatalf("compiling the SPDX schema: %v", schemaErr)
	}
	return schema
}

// validate checks data against the SPDX schema and the rules the schema
// does not express: identifier syntax and uniqueness, relationships that
// point at elements of the document, declared LicenseRefs.
func validate(t testing.TB, data []byte) {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if err := spdxSchema(t).Validate(inst); err != nil {
		t.Fatalf("schema validation failed: %v\n%s", err, data)
	}
	if err := checkRules(data); err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
}

var (
	spdxIDRe  = regexp.MustCompile(`^SPDXRef-[A-Za-z0-9.-]+$`)
	licRefRe  = regexp.MustCompile(`(?:^|[ (])(LicenseRef-[A-Za-z0-9.-]+)`)
	licenseRe = regexp.MustCompile(`^(?:[A-Za-z0-9.+:-]+|\(|\)| )+$`)
)

func checkRules(data []byte) error {
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	if !strings.HasSuffix(string(data), "}\n") {
		return fmt.Errorf("document does not end in a newline")
	}
	seen := map[string]bool{docID: true}
	for _, p := range doc.Packages {
		if !spdxIDRe.MatchString(p.SPDXID) {
			return fmt.Errorf("package %q: SPDXID %q is not SPDXRef-[idstring]", p.Name, p.SPDXID)
		}
		if seen[p.SPDXID] {
			return fmt.Errorf("SPDXID %q used twice", p.SPDXID)
		}
		seen[p.SPDXID] = true
		if !licenseRe.MatchString(p.LicenseDeclared) {
			return fmt.Errorf("package %q: licenseDeclared %q is not an SPDX expression", p.Name, p.LicenseDeclared)
		}
	}
	for _, id := range doc.DocumentDescribes {
		if !seen[id] {
			return fmt.Errorf("documentDescribes names %q, which is not in the document", id)
		}
	}
	for _, r := range doc.Relationships {
		if !seen[r.Element] || !seen[r.Related] {
			return fmt.Errorf("relationship %s %s %s points outside the document", r.Element, r.Type, r.Related)
		}
	}
	declared := map[string]bool{}
	for _, l := range doc.ExtractedLicenses {
		declared[l.LicenseID] = true
	}
	for _, p := range doc.Packages {
		for _, m := range licRefRe.FindAllStringSubmatch(p.LicenseDeclared, -1) {
			if ref := m[1]; !declared[ref] {
				return fmt.Errorf("package %q uses %s, which hasExtractedLicensingInfos does not declare", p.Name, m[1])
			}
		}
	}
	return nil
}
