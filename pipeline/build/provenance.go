package build

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
)

// The in-toto and SLSA names a provenance statement uses.
const (
	inTotoStatement    = "https://in-toto.io/Statement/v1"
	slsaProvenance     = "https://slsa.dev/provenance/v1"
	provenanceBuilder  = "https://github.com/pestle-dev/pestle"
	provenanceBuildTyp = "https://github.com/pestle-dev/pestle/build/melange-recipe@v1"
)

type statement struct {
	Type          string     `json:"_type"`
	Subject       []artifact `json:"subject"`
	PredicateType string     `json:"predicateType"`
	Predicate     predicate  `json:"predicate"`
}

type artifact struct {
	Name        string            `json:"name,omitempty"`
	URI         string            `json:"uri,omitempty"`
	Digest      map[string]string `json:"digest,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type predicate struct {
	BuildDefinition struct {
		BuildType            string         `json:"buildType"`
		ExternalParameters   map[string]any `json:"externalParameters"`
		InternalParameters   map[string]any `json:"internalParameters,omitempty"`
		ResolvedDependencies []artifact     `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Metadata struct {
			StartedOn  string `json:"startedOn"`
			FinishedOn string `json:"finishedOn"`
		} `json:"metadata"`
	} `json:"runDetails"`
}

// provenanceInput is what a statement records about one build.
type provenanceInput struct {
	recipe           string // path as given
	recipeSHA256     string
	arch             string
	buildOptions     []string
	origin           RecipeOrigin
	sde              int64
	sources          []Source
	envPkgs          []*apk.PackageInfo
	started, stopped time.Time
}

// ProvenanceFileName is the file written next to a package with
// --generate-provenance: <name>-<version>.attest.tar.gz, as melange names it.
func ProvenanceFileName(info *apk.PackageInfo) string {
	return info.Name + "-" + info.Version + ".attest.tar.gz"
}

// writeProvenance writes, atomically, the provenance of the package file
// at pkgPath next to it: a gzipped tar holding one in-toto statement,
// <name>-<version>.intoto.json, whose subject is the .apk and its SHA-256.
func writeProvenance(pkgPath string, info *apk.PackageInfo, in provenanceInput) (string, error) {
	sum, err := fsutil.SHA256File(pkgPath)
	if err != nil {
		return "", err
	}
	st := in.statement(filepath.Base(pkgPath), sum)
	body, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", err
	}
	body = append(body, '\n')
	out := filepath.Join(filepath.Dir(pkgPath), ProvenanceFileName(info))
	mtime := time.Unix(in.sde, 0)
	err = fsutil.Write(out, 0o644, func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		tw := tar.NewWriter(zw)
		hdr := &tar.Header{Name: info.Name + "-" + info.Version + ".intoto.json", Mode: 0o644, Size: int64(len(body)),
			ModTime: mtime, Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
		if err := tw.Close(); err != nil {
			return err
		}
		return zw.Close()
	})
	return out, err
}

func (in provenanceInput) statement(subject, sum string) statement {
	st := statement{Type: inTotoStatement, PredicateType: slsaProvenance,
		Subject: []artifact{{Name: subject, Digest: map[string]string{"sha256": sum}}}}
	bd := &st.Predicate.BuildDefinition
	bd.BuildType = provenanceBuildTyp
	recipe := map[string]any{"path": in.recipe, "digest": map[string]string{"sha256": in.recipeSHA256}}
	if in.origin.RepoURL != "" {
		recipe["repository"] = in.origin.RepoURL
	}
	if in.origin.Commit != "" {
		recipe["commit"] = in.origin.Commit
	}
	bd.ExternalParameters = map[string]any{"recipe": recipe, "arch": in.arch}
	if len(in.buildOptions) > 0 {
		bd.ExternalParameters["buildOptions"] = in.buildOptions
	}
	bd.InternalParameters = map[string]any{"sourceDateEpoch": in.sde}
	if in.origin.RepoURL != "" && in.origin.Commit != "" {
		bd.ResolvedDependencies = append(bd.ResolvedDependencies, artifact{
			URI:    "git+" + strings.TrimPrefix(in.origin.RepoURL, "git+") + "@" + in.origin.Commit,
			Digest: map[string]string{"gitCommit": in.origin.Commit}})
	}
	for _, s := range in.sources {
		a := artifact{URI: s.URI, Digest: map[string]string{}}
		switch {
		case s.Commit != "":
			a.URI = "git+" + s.URI
			a.Digest["gitCommit"] = s.Commit
		case s.SHA256 != "":
			a.Digest["sha256"] = s.SHA256
		case s.SHA512 != "":
			a.Digest["sha512"] = s.SHA512
		}
		bd.ResolvedDependencies = append(bd.ResolvedDependencies, a)
	}
	for _, p := range in.envPkgs {
		a := artifact{URI: "pkg:apk/" + p.Name + "@" + p.Version + "?arch=" + p.Arch}
		if len(p.Checksum) > 0 {
			a.Digest = map[string]string{"sha1": hex.EncodeToString(p.Checksum)}
			a.Annotations = map[string]string{"digestOf": "the package's control segment (apk checksum)"}
		}
		bd.ResolvedDependencies = append(bd.ResolvedDependencies, a)
	}
	rd := &st.Predicate.RunDetails
	rd.Builder.ID = provenanceBuilder
	rd.Metadata.StartedOn = in.started.UTC().Format(time.RFC3339)
	rd.Metadata.FinishedOn = in.stopped.UTC().Format(time.RFC3339)
	return st
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writeProvenances writes the provenance of each written package.
func writeProvenances(written []Written, in provenanceInput, log *slog.Logger) error {
	for _, w := range written {
		p, err := writeProvenance(w.Path, w.Info, in)
		if err != nil {
			return fmt.Errorf("--generate-provenance: %w", err)
		}
		log.Info("wrote provenance", "path", p)
	}
	return nil
}
