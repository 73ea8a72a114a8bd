package tags

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/systemd-harden/systemd-harden/internal/finding"
)

// required are the tags other packages emit by name; losing or renaming
// one breaks their users' overrides.
var required = map[string]finding.Severity{
	"tier-directive-missing":        finding.Error,
	"tier-directive-skipped":        finding.Info,
	"tier-directive-explicit":       finding.Info,
	"tier-directive-unsupported":    finding.Info,
	"tier-refused":                  finding.Warning,
	"tier-met":                      finding.Pedantic,
	"unit-parse-error":              finding.Error,
	"unit-exposure-high":            finding.Info,
	"config-unknown-statement":      finding.Error,
	"config-missing-reason":         finding.Error,
	"config-override-unused":        finding.Info,
	"config-directive-removed":      finding.Info,
	"package-signed":                finding.Error,
	"package-rpm-rewrite-refused":   finding.Error,
	"sysv-init-script-without-unit": finding.Warning,
	"sysv-init-script-with-unit":    finding.Info,
}

func TestEmbeddedTags(t *testing.T) {
	set, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for name, sev := range required {
		tag, ok := set.Get(name)
		if !ok {
			t.Errorf("tag %s missing", name)
			continue
		}
		if tag.Severity != sev {
			t.Errorf("%s: severity %s, want %s", name, tag.Severity, sev)
		}
	}
	names := set.Names()
	if len(names) < len(required) {
		t.Errorf("%d tags, want at least %d", len(names), len(required))
	}
	for i, name := range names {
		if i > 0 && names[i-1] >= name {
			t.Errorf("Names not sorted: %q before %q", names[i-1], name)
		}
		tag, _ := set.Get(name)
		if len(tag.SeeAlso) == 0 {
			t.Errorf("%s: no See-Also", name)
		}
		sum := tag.Summary()
		if !strings.HasSuffix(sum, ".") || strings.Count(sum, ". ") > 0 {
			t.Errorf("%s: first paragraph should be one sentence: %q", name, sum)
		}
		// explain prints "N:   " before each line: keep prose within 80
		// columns; indented example lines are printed as they are.
		for _, line := range strings.Split(tag.Explanation, "\n") {
			if len(line) > 75 && !strings.HasPrefix(line, " ") {
				t.Errorf("%s: explanation line over 75 columns: %q", name, line)
			}
		}
	}
}

func TestExplanationDecoded(t *testing.T) {
	fsys := fstest.MapFS{"t/unit-x.tag": {Data: []byte(
		"Tag: unit-x\nSeverity: warning\nExplanation: First line\n continues.\n .\n Second paragraph.\n   indented example\nSee-Also: a(5),\n https://example.org/b\n")}}
	set, err := LoadFS(fsys, "t")
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := set.Get("unit-x")
	want := "First line\ncontinues.\n\nSecond paragraph.\n  indented example"
	if tag.Explanation != want {
		t.Errorf("Explanation = %q, want %q", tag.Explanation, want)
	}
	if got := strings.Join(tag.SeeAlso, "|"); got != "a(5)|https://example.org/b" {
		t.Errorf("SeeAlso = %q", got)
	}
	if tag.Severity != finding.Warning {
		t.Errorf("Severity = %s", tag.Severity)
	}
	if got := tag.Summary(); got != "First line continues." {
		t.Errorf("Summary = %q", got)
	}
}

func TestMalformed(t *testing.T) {
	const ok = "Tag: unit-x\nSeverity: info\nExplanation: Something.\n"
	for _, tc := range []struct {
		name, file, data, wantErr string
	}{
		{"no severity", "unit-x.tag", "Tag: unit-x\nExplanation: x.\n", "missing Severity"},
		{"no explanation", "unit-x.tag", "Tag: unit-x\nSeverity: info\n", "missing Explanation"},
		{"no tag", "unit-x.tag", "Severity: info\nExplanation: x.\n", "missing Tag"},
		{"bad severity", "unit-x.tag", "Tag: unit-x\nSeverity: fatal\nExplanation: x.\n", `Severity "fatal"`},
		{"severity case", "unit-x.tag", "Tag: unit-x\nSeverity: Error\nExplanation: x.\n", `Severity "Error"`},
		{"name mismatch", "unit-y.tag", ok, `does not match the file name "unit-y.tag"`},
		{"uppercase name", "unit-X.tag", "Tag: unit-X\nSeverity: info\nExplanation: x.\n", "lowercase"},
		{"no prefix", "foo-bar.tag", "Tag: foo-bar\nSeverity: info\nExplanation: x.\n", "prefixes"},
		{"unknown field", "unit-x.tag", ok + "Check: systemd\n", `unknown field "Check"`},
		{"duplicate field", "unit-x.tag", ok + "Severity: error\n", `duplicate field "Severity"`},
		{"two paragraphs", "unit-x.tag", ok + "\nTag: unit-y\n", "more than one paragraph"},
		{"empty", "unit-x.tag", "\n\n", "empty file"},
		{"no colon", "unit-x.tag", ok + "garbage\n", "no ':'"},
		{"leading continuation", "unit-x.tag", " stray\n" + ok, "continuation line before"},
		{"empty see-also", "unit-x.tag", ok + "See-Also: a(1), , b(5)\n", "empty reference"},
		{"signed", "unit-x.tag", "-----BEGIN PGP SIGNED MESSAGE-----\n", "signed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"tags/" + tc.file: {Data: []byte(tc.data)}}
			_, err := LoadFS(fsys, "tags")
			if err == nil {
				t.Fatalf("loaded, want error containing %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "tags/"+tc.file) {
				t.Errorf("error %q, want it to name %s and contain %q", err, "tags/"+tc.file, tc.wantErr)
			}
		})
	}
}

func TestLoadFSOther(t *testing.T) {
	// Non-.tag files and subdirectories are not tags.
	fsys := fstest.MapFS{
		"tags/unit-x.tag":   {Data: []byte("Tag: unit-x\nSeverity: info\nExplanation: x.\n")},
		"tags/README":       {Data: []byte("not a tag")},
		"tags/sub/unit-y.t": {Data: []byte("x")},
	}
	set, err := LoadFS(fsys, "tags")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Names(), ","); got != "unit-x" {
		t.Errorf("Names = %q", got)
	}
	if _, err := LoadFS(fsys, "missing"); err == nil {
		t.Error("missing directory loaded")
	}
}
