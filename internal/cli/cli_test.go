package cli_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/systemd-harden/systemd-harden/internal/cli"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"systemd-harden": func() {
			os.Exit(cli.Run(context.Background(), os.Args, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI scenarios in testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// mkunit FILE SIZE: a unit whose one value is SIZE bytes long.
			"mkunit": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: mkunit FILE SIZE")
				}
				n, err := strconv.Atoi(args[1])
				ts.Check(err)
				data := "[Service]\nExecStart=/bin/" + strings.Repeat("x", n) + "\n"
				write(ts, args[0], []byte(data))
			},
			// badutf8 FILE: a unit with an invalid UTF-8 byte on line 3
			"badutf8": func(ts *testscript.TestScript, neg bool, args []string) {
				write(ts, args[0], []byte("[Service]\nExecStart=/bin/true\nDescription=caf\xe9\n"))
			},
			// mkfifo FILE
			"mkfifo": func(ts *testscript.TestScript, neg bool, args []string) {
				ts.Check(os.MkdirAll(filepath.Dir(ts.MkAbs(args[0])), 0o755))
				ts.Check(mkfifo(ts.MkAbs(args[0])))
			},
			// garbage FILE: binary noise
			"garbage": func(ts *testscript.TestScript, neg bool, args []string) {
				var b []byte
				for i := 0; i < 4096; i++ {
					b = append(b, byte(i*131+7))
				}
				write(ts, args[0], b)
			},
		},
		Condition: func(cond string) (bool, error) {
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

func write(ts *testscript.TestScript, name string, data []byte) {
	p := ts.MkAbs(name)
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, data, 0o644))
}

// TestApplyRPMRefused: apply on an .rpm is refused with status 2, the
// reason on stderr and the spec change (drop-ins, %install and %files
// lines) on stdout.
func TestApplyRPMRefused(t *testing.T) {
	if _, err := exec.LookPath("rpmbuild"); err != nil {
		testcache.Missing(t, "rpmbuild not installed")
	}
	spec, _ := filepath.Abs("../../testdata/rpm/foo.spec")
	top := t.TempDir()
	cmd := exec.Command("rpmbuild", "-bb", "--nodeps", "--define", "_topdir "+top,
		"--define", "_sourcedir "+filepath.Join(filepath.Dir(spec), "foo"), "--define", "_tmppath "+top, spec)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rpmbuild: %v\n%s", err, out)
	}
	rpms, _ := filepath.Glob(filepath.Join(top, "RPMS", "*", "*.rpm"))
	var stdout, stderr strings.Builder
	st := cli.Run(context.Background(), []string{"systemd-harden", "apply", "--systemd-version", "252", "--tier", "strict", rpms[0], "-o", filepath.Join(top, "x.rpm")}, &stdout, &stderr)
	if st != 2 {
		t.Fatalf("status %d, want 2\n%s", st, stderr.String())
	}
	if !strings.Contains(stderr.String(), "refusing to rewrite an .rpm") || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
		t.Errorf("stderr: %q", stderr.String())
	}
	for _, want := range []string{"%install", "mkdir -p %{buildroot}/usr/lib/systemd/system/foo.service.d", "%dir /usr/lib/systemd/system/foo.service.d",
		"/usr/lib/systemd/system/foo.service.d/10-systemd-harden.conf", "[Service]", "ProtectKernelTunables=yes"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if _, err := os.Stat(filepath.Join(top, "x.rpm")); err == nil {
		t.Error("an .rpm was written")
	}
}
