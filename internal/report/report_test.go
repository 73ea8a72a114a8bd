package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/tags"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testTags is a fixed tag set, so the goldens do not change whenever the
// wording of a shipped tag does.
const (
	tagMissing = `Tag: tier-directive-missing
Severity: error
Explanation: A directive of the tier is not in effect.
 .
 The detail names it. Fix it, or record why:
 .
  override tier-directive-missing foo.service PrivateNetwork because it serves the LAN
See-Also: systemd.exec(5), systemd-analyze(1), systemd-harden(1), dh_systemd_harden(1),
 https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html
`
	tagRefused = `Tag: tier-refused
Severity: warning
Explanation: The requested tier was refused.
See-Also: https://example.org/refused
`
	tagSkipped = `Tag: tier-directive-skipped
Severity: info
Explanation: A directive was skipped for a signal.
See-Also: systemd.exec(5)
`
	tagMet = `Tag: tier-met
Severity: pedantic
Explanation: The unit meets the tier.
`
	tagParse = `Tag: unit-parse-error
Severity: error
Explanation: The unit does not load.
 .
 Fix it.
See-Also: systemd.unit(5)
`
)

func testSet(t *testing.T) *tags.Set {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, s := range []string{tagMissing, tagRefused, tagSkipped, tagMet, tagParse} {
		name := strings.TrimPrefix(strings.SplitN(s, "\n", 2)[0], "Tag: ")
		fsys["tags/"+name+".tag"] = &fstest.MapFile{Data: []byte(s)}
	}
	set, err := tags.LoadFS(fsys, "tags")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// testFindings covers every severity, overridden findings, a finding with
// no package/version/unit/path/line (nulls in JSON), a control character
// in a detail and characters JSON would escape for HTML.
var testFindings = []finding.Finding{
	{Package: "foo", Version: "1.0-1", Arch: "amd64", Unit: "foo.service", Tag: "tier-directive-missing",
		Severity: finding.Error, Detail: "ProtectSystem=full (tier baseline)",
		Path: "/usr/lib/systemd/system/foo.service", Tier: "baseline"},
	{Package: "foo", Version: "1.0-1", Arch: "amd64", Unit: "foo.service", Tag: "tier-directive-missing",
		Severity: finding.Error, Detail: "PrivateNetwork=yes (tier strict)",
		Path: "/usr/lib/systemd/system/foo.service", Tier: "strict", Overridden: "it serves the LAN"},
	{Package: "foo", Version: "1.0-1", Arch: "amd64", Unit: "foo-helper.service", Tag: "tier-refused",
		Severity: finding.Warning, Detail: "dynamic-user refused, strict applied: User=root at line 9",
		Path: "/usr/lib/systemd/system/foo-helper.service", Line: 9, Tier: "strict"},
	{Package: "foo", Version: "1.0-1", Arch: "amd64", Unit: "foo.service", Tag: "tier-directive-skipped",
		Severity: finding.Info, Detail: "PrivateTmp (shared-tmp-socket: /usr/bin/foo: connects to /tmp/.foo.sock && <more>)",
		Path: "/usr/bin/foo", Tier: "strict"},
	{Package: "foo", Version: "1.0-1", Arch: "amd64", Unit: "foo.service", Tag: "tier-met",
		Severity: finding.Pedantic, Detail: "baseline", Tier: "baseline"},
	{Unit: "bar@.service", Tag: "unit-parse-error", Severity: finding.Error,
		Detail: "line too long (2 MiB) \x1b[31mred", Path: "/lib/systemd/system/bar@.service", Line: 12},
	{Tag: "tier-refused", Severity: finding.Warning, Detail: "no package, no unit",
		Overridden: "reviewed\nby the security team"},
	{Package: "baz", Tag: "unit-parse-error", Severity: finding.Error,
		Detail: "unterminated quote", Path: "/etc/systemd/system/baz svc.service", Line: 1},
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

func TestFormatsGolden(t *testing.T) {
	set := testSet(t)
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, format, testFindings, set); err != nil {
				t.Fatal(err)
			}
			golden(t, format, b.Bytes())
		})
	}
}

func TestEmpty(t *testing.T) {
	set := testSet(t)
	for _, tc := range []struct {
		format, want string
	}{
		{"lintian", ""},
		{"json", ""}, // a clean run prints no lines
		{"rpmlint", "0 packages and 0 specfiles checked; 0 errors, 0 warnings, 0 filtered\n"},
	} {
		var b bytes.Buffer
		if err := Write(&b, tc.format, nil, set); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s: %q, want %q", tc.format, b.String(), tc.want)
		}
	}
	var b bytes.Buffer
	if err := WriteOptions(&b, "rpmlint", nil, nil, Options{Packages: 3}); err != nil {
		t.Fatal(err)
	}
	if want := "3 packages and 0 specfiles checked; 0 errors, 0 warnings, 0 filtered\n"; b.String() != want {
		t.Errorf("rpmlint with Packages: %q, want %q", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, "sarif", nil, set); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, b.Bytes(), 0)
}

func TestWriteErrors(t *testing.T) {
	set := testSet(t)
	for _, tc := range []struct {
		name, format string
		fs           []finding.Finding
		set          *tags.Set
		want         string
	}{
		{"unknown format", "xml", nil, set, `unknown format "xml"`},
		{"unknown tag", "lintian", []finding.Finding{{Tag: "tier-nope"}}, set, `unknown tag "tier-nope"`},
		{"no tag", "json", []finding.Finding{{}}, nil, "no tag"},
		{"bad severity", "rpmlint", []finding.Finding{{Tag: "tier-met", Severity: 9}}, set, "invalid severity 9"},
		{"sarif without set", "sarif", nil, nil, "needs the tag set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			// A valid finding first: nothing may be written before the error.
			fs := append([]finding.Finding{testFindings[0]}, tc.fs...)
			err := Write(&b, tc.format, fs, tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if b.Len() != 0 {
				t.Errorf("wrote %q before failing", b.String())
			}
		})
	}
	// Text and JSON formats work without a tag set.
	for _, f := range []string{"lintian", "rpmlint", "json"} {
		if err := Write(&bytes.Buffer{}, f, testFindings, nil); err != nil {
			t.Errorf("%s without set: %v", f, err)
		}
	}
}

// TestJSONSchema checks the contract directly, not only through the
// golden: key order, every key present, nulls, types.
func TestJSONSchema(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", testFindings, nil); err != nil {
		t.Fatal(err)
	}
	keys := []string{"package", "version", "unit", "tag", "severity", "detail", "path", "line", "tier", "overridden"}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(testFindings) {
		t.Fatalf("%d lines for %d findings", len(lines), len(testFindings))
	}
	for i, line := range lines {
		dec := json.NewDecoder(strings.NewReader(line))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("line %d: not an object: %s", i, line)
		}
		for _, k := range keys {
			tok, err := dec.Token()
			if err != nil || tok != k {
				t.Fatalf("line %d: key %v, want %q: %s", i, tok, k, line)
			}
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			switch k {
			case "tag", "severity", "detail", "tier":
				if _, ok := v.(string); !ok {
					t.Errorf("line %d: %s is %T, want string", i, k, v)
				}
			case "line":
				if n, ok := v.(float64); v != nil && (!ok || n <= 0) {
					t.Errorf("line %d: line = %v, want null or positive", i, v)
				}
			default:
				if s, ok := v.(string); v != nil && (!ok || s == "") {
					t.Errorf("line %d: %s = %#v, want null or a non-empty string", i, k, v)
				}
			}
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
			t.Errorf("line %d: extra keys: %s", i, line)
		}
	}
}

func TestSARIFStructure(t *testing.T) {
	var b bytes.Buffer
	if err := WriteOptions(&b, "sarif", testFindings, testSet(t), Options{ToolVersion: "0.1.0"}); err != nil {
		t.Fatal(err)
	}
	log := validateSARIF(t, b.Bytes(), len(testFindings))
	run := log["runs"].([]any)[0].(map[string]any)
	if v := run["tool"].(map[string]any)["driver"].(map[string]any)["version"]; v != "0.1.0" {
		t.Errorf("driver version %v", v)
	}
	results := run["results"].([]any)
	suppressed := 0
	for _, r := range results {
		if len(r.(map[string]any)["suppressions"].([]any)) > 0 {
			suppressed++
		}
	}
	if suppressed != 2 {
		t.Errorf("%d suppressed results, want 2", suppressed)
	}
	rules := run["tool"].(map[string]any)["driver"].(map[string]any)["rules"].([]any)
	first := rules[0].(map[string]any)
	if full := first["fullDescription"].(map[string]any)["text"].(string); !strings.Contains(full, "\n\n override") {
		t.Errorf("fullDescription lost the explanation's layout: %q", full)
	}
	if first["helpUri"] != "https://www.freedesktop.org/software/systemd/man/latest/systemd.exec.html" {
		t.Errorf("helpUri = %v", first["helpUri"])
	}
}

// validateSARIF checks what the SARIF 2.1.0 schema requires of the parts
// we write, and the cross-references between them, without the schema
// itself (tests run offline). It returns the decoded log.
func validateSARIF(t *testing.T, data []byte, nResults int) map[string]any {
	t.Helper()
	var log map[string]any
	if err := json.Unmarshal(data, &log); err != nil {
		t.Fatal(err)
	}
	obj := func(v any, what string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T, want object", what, v)
		}
		return m
	}
	arr := func(v any, what string) []any {
		t.Helper()
		a, ok := v.([]any)
		if !ok {
			t.Fatalf("%s: %T, want array", what, v)
		}
		return a
	}
	str := func(v any, what string) string {
		t.Helper()
		s, ok := v.(string)
		if !ok || s == "" {
			t.Fatalf("%s: %#v, want non-empty string", what, v)
		}
		return s
	}
	if log["version"] != "2.1.0" {
		t.Errorf("version = %v", log["version"])
	}
	if s := str(log["$schema"], "$schema"); !strings.Contains(s, "sarif-schema-2.1.0") {
		t.Errorf("$schema = %s", s)
	}
	runs := arr(log["runs"], "runs")
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := obj(runs[0], "run")
	driver := obj(obj(run["tool"], "tool")["driver"], "driver")
	if str(driver["name"], "driver.name") != "systemd-harden" {
		t.Errorf("driver.name = %v", driver["name"])
	}
	var ruleIDs []string
	if rs, ok := driver["rules"]; ok {
		for i, r := range arr(rs, "rules") {
			rule := obj(r, "rule")
			ruleIDs = append(ruleIDs, str(rule["id"], "rule.id"))
			str(obj(rule["fullDescription"], "fullDescription")["text"], "fullDescription.text")
			str(obj(rule["shortDescription"], "shortDescription")["text"], "shortDescription.text")
			if h, ok := rule["helpUri"]; ok {
				if u, err := url.Parse(str(h, "helpUri")); err != nil || !u.IsAbs() {
					t.Errorf("rule %d: helpUri %v not an absolute URI", i, h)
				}
			}
			level(t, obj(rule["defaultConfiguration"], "defaultConfiguration")["level"])
		}
	}
	seen := map[string]bool{}
	for _, id := range ruleIDs {
		if seen[id] {
			t.Errorf("rule %s listed twice", id)
		}
		seen[id] = true
	}
	results := arr(run["results"], "results")
	if len(results) != nResults {
		t.Errorf("%d results, want %d", len(results), nResults)
	}
	for i, r := range results {
		res := obj(r, "result")
		str(obj(res["message"], "message")["text"], "message.text")
		id := str(res["ruleId"], "ruleId")
		idx, ok := res["ruleIndex"].(float64)
		if !ok || int(idx) >= len(ruleIDs) || ruleIDs[int(idx)] != id {
			t.Errorf("result %d: ruleIndex %v does not point at rule %s", i, res["ruleIndex"], id)
		}
		level(t, res["level"])
		if locs, ok := res["locations"]; ok {
			for _, l := range arr(locs, "locations") {
				phys := obj(obj(l, "location")["physicalLocation"], "physicalLocation")
				uri := str(obj(phys["artifactLocation"], "artifactLocation")["uri"], "uri")
				if _, err := url.Parse(uri); err != nil {
					t.Errorf("result %d: uri %q: %v", i, uri, err)
				}
				if reg, ok := phys["region"]; ok {
					if n, _ := obj(reg, "region")["startLine"].(float64); n < 1 {
						t.Errorf("result %d: startLine %v", i, n)
					}
				}
			}
		}
		for _, s := range arr(res["suppressions"], "suppressions") {
			sup := obj(s, "suppression")
			if k := sup["kind"]; k != "inSource" && k != "external" {
				t.Errorf("result %d: suppression kind %v", i, k)
			}
			str(sup["justification"], "justification")
		}
	}
	return log
}

func level(t *testing.T, v any) {
	t.Helper()
	switch v {
	case "none", "note", "warning", "error":
	default:
		t.Errorf("level %v not a SARIF level", v)
	}
}

func TestExplainGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Explain(&b, testSet(t), "tier-directive-missing", "tier-met"); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain", b.Bytes())
}

func TestExplainErrors(t *testing.T) {
	var b bytes.Buffer
	err := Explain(&b, testSet(t), "tier-met", "no-such-tag")
	if err == nil || !strings.Contains(err.Error(), `"no-such-tag"`) {
		t.Fatalf("error %v, want it to name no-such-tag", err)
	}
	if b.Len() != 0 {
		t.Errorf("wrote %q before failing", b.String())
	}
}

// TestExplainShipped explains every embedded tag, the way
// "systemd-harden explain" with no argument would.
func TestExplainShipped(t *testing.T) {
	set, err := tags.Load()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Explain(&b, set); err != nil {
		t.Fatal(err)
	}
	for _, n := range set.Names() {
		if !strings.Contains(b.String(), ": "+n+"\n") {
			t.Errorf("%s not explained", n)
		}
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing space: %q", l)
		}
	}
}

func TestObjectsNeverNull(t *testing.T) {
	b, err := json.Marshal(struct {
		Findings []Object `json:"findings"`
	}{Objects(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"findings":[]}` {
		t.Errorf("%s, want an empty array", b)
	}
}
