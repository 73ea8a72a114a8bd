package sdversion

import "testing"

func TestCheck(t *testing.T) {
	for v, ok := range map[int]bool{251: false, 252: true, 253: false, 256: false, 257: true, 262: true} {
		if err := Check(v); (err == nil) != ok {
			t.Errorf("Check(%d) = %v", v, err)
		}
	}
	if TemplateInstance(252) != "i" || TemplateInstance(257) != "test_instance" {
		t.Error("TemplateInstance")
	}
	p252, p257 := SearchPaths(252), SearchPaths(257)
	if p252[len(p252)-2] != "/lib/systemd/system" || p257[len(p257)-1] != "/lib/systemd/system" {
		t.Errorf("search paths: %v / %v", p252, p257)
	}
}
