package unitname

import (
	"fmt"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		want Parts
	}{
		{"foo.service", true, Parts{Prefix: "foo", Type: "service"}},
		{"foo@.service", true, Parts{Prefix: "foo", Template: true, At: true, Type: "service"}},
		{"foo@bar.service", true, Parts{Prefix: "foo", Instance: "bar", At: true, Type: "service"}},
		{"foo.bogus", false, Parts{}},
		{"@x.service", false, Parts{}},
		{"a@b@c.service", false, Parts{}},
		{"sp ace.service", false, Parts{}},
		{".service", false, Parts{}},
	} {
		got, ok := Parse(tc.name)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("Parse(%q) = %+v, %v", tc.name, got, ok)
		}
	}
}

func TestDropinNames(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"foo.service", "[foo.service]"},
		{"foo-bar-baz.service", "[foo-bar-baz.service foo-bar-.service foo-.service]"},
		{"foo-.service", "[foo-.service]"},
		{"a-b@i.service", "[a-b@i.service a-b@.service a-@.service a-@i.service a-@.service]"},
		{"-foo.service", "[-foo.service]"},
	} {
		if got := fmt.Sprint(DropinNames(tc.name)); got != tc.want {
			t.Errorf("DropinNames(%q) = %s, want %s", tc.name, got, tc.want)
		}
	}
	if Template("foo@bar.service") != "foo@.service" || WithInstance("foo@.service", "i") != "foo@i.service" {
		t.Error("Template/WithInstance")
	}
}

func TestFamily(t *testing.T) {
	for in, want := range map[string]string{
		"postfix@-.service":          "postfix@.service",
		"postgresql@15-main.service": "postgresql@.service",
		"nginx.service":              "nginx.service",
		"foo@.service":               "foo@.service",
	} {
		if got := Family(in); got != want {
			t.Errorf("Family(%q) = %q, want %q", in, got, want)
		}
	}
}
