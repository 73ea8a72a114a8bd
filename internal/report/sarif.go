package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tags"
)

// SARIF 2.1.0, the subset code-scanning services read. Field names and
// required properties follow the OASIS schema (sarifLog: version, runs;
// run: tool; toolComponent: name; reportingDescriptor: id; result:
// message; message: text; suppression: kind).

const sarifSchema = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool sarifTool `json:"tool"`
	// Results is always an array: SARIF reads an empty one as "ran and
	// found nothing", a missing one as "did not run".
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version,omitempty"`
	Rules   []sarifRule `json:"rules,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	HelpURI              string       `json:"helpUri,omitempty"`
	Help                 *sarifText   `json:"help,omitempty"`
	DefaultConfiguration sarifRuleCfg `json:"defaultConfiguration"`
}

type sarifRuleCfg struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
	// Suppressions is always an array: empty means "not suppressed",
	// while a missing one would mean "not known".
	Suppressions []sarifSuppression `json:"suppressions"`
	Properties   sarifProperties    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification"`
}

// sarifProperties keeps what SARIF has no field for, so no information
// of the check line is lost (severity keeps pedantic apart from info,
// which SARIF's levels cannot).
type sarifProperties struct {
	Package  string `json:"package,omitempty"`
	Version  string `json:"version,omitempty"`
	Arch     string `json:"arch,omitempty"`
	Unit     string `json:"unit,omitempty"`
	Tier     string `json:"tier,omitempty"`
	Severity string `json:"severity"`
}

// sarifLevel maps severities onto SARIF's levels; pedantic is "none"
// (SARIF: "not a problem"), info is "note".
func sarifLevel(s finding.Severity) string {
	return [...]string{"none", "note", "warning", "error"}[s]
}

// artifactURI makes a path a URI reference: percent-encoded, and "./"
// before a first segment with a colon, which would read as a scheme.
func artifactURI(p string) string {
	return (&url.URL{Path: p}).String()
}

func helpURI(refs []string) string {
	for _, r := range refs {
		if strings.HasPrefix(r, "https://") || strings.HasPrefix(r, "http://") {
			return r
		}
	}
	return ""
}

func writeSARIF(b *bytes.Buffer, fs []finding.Finding, set *tags.Set, o Options) error {
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: "systemd-harden", Version: o.ToolVersion}},
		Results: []sarifResult{},
	}
	ruleIndex := map[string]int{}
	for _, f := range fs {
		tag, _ := set.Get(f.Tag) // known: checked by Write
		idx, ok := ruleIndex[f.Tag]
		if !ok {
			idx = len(run.Tool.Driver.Rules)
			ruleIndex[f.Tag] = idx
			rule := sarifRule{
				ID:                   tag.Name,
				ShortDescription:     sarifText{tag.Summary()},
				FullDescription:      sarifText{tag.Explanation},
				HelpURI:              helpURI(tag.SeeAlso),
				DefaultConfiguration: sarifRuleCfg{sarifLevel(tag.Severity)},
			}
			if len(tag.SeeAlso) > 0 {
				rule.Help = &sarifText{"See also: " + strings.Join(tag.SeeAlso, ", ")}
			}
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rule)
		}
		msg := joinNonEmpty(": ", f.Unit, f.Detail)
		if msg == "" {
			msg = tag.Summary()
		}
		r := sarifResult{
			RuleID:       f.Tag,
			RuleIndex:    idx,
			Level:        sarifLevel(f.Severity),
			Message:      sarifText{msg},
			Suppressions: []sarifSuppression{},
			Properties: sarifProperties{
				Package: f.Package, Version: f.Version, Arch: f.Arch,
				Unit: f.Unit, Tier: f.Tier, Severity: f.Severity.String(),
			},
		}
		if f.Path != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{artifactURI(f.Path)}}}
			if f.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
			}
			r.Locations = []sarifLocation{loc}
		}
		if f.Overridden != "" {
			// The override lives in the package's configuration, outside
			// the analysed unit: "external" in SARIF's terms.
			r.Suppressions = append(r.Suppressions, sarifSuppression{Kind: "external", Status: "accepted", Justification: f.Overridden})
		}
		run.Results = append(run.Results, r)
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
