package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/tags"
)

// explainWidth is where See-Also lists wrap; lintian-explain-tags uses 80
// when not on a terminal. Explanations are printed as written (the tag
// files are wrapped for this width), never re-wrapped.
const explainWidth = 80

// Explain prints tags the way lintian-explain-tags does: "N:" comment
// lines around the code and name, the explanation, the references and
// the severity. With no names it prints every tag. An unknown name is an
// error naming it, and nothing is printed. Unlike lintian, no line ends
// in spaces.
func Explain(w io.Writer, set *tags.Set, names ...string) error {
	if len(names) == 0 {
		names = set.Names()
	}
	ts := make([]tags.Tag, len(names))
	for i, n := range names {
		t, ok := set.Get(n)
		if !ok {
			return fmt.Errorf("unknown tag %q", n)
		}
		ts[i] = t
	}
	var b bytes.Buffer
	for _, t := range ts {
		b.WriteString("N:\n")
		fmt.Fprintf(&b, "%s: %s\n", letter(t.Severity), t.Name)
		b.WriteString("N:\n")
		for _, l := range strings.Split(t.Explanation, "\n") {
			comment(&b, l)
		}
		if len(t.SeeAlso) > 0 {
			b.WriteString("N:\n")
			seeAlso(&b, t.SeeAlso)
		}
		b.WriteString("N:\n")
		comment(&b, "Severity: "+t.Severity.String())
		b.WriteString("N:\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// comment writes one indented "N:" line, or a bare "N:" for a blank one.
func comment(b *bytes.Buffer, l string) {
	if l == "" {
		b.WriteString("N:\n")
		return
	}
	b.WriteString("N:   " + l + "\n")
}

// seeAlso writes "See also: a, b, …", wrapping between references (never
// inside one: URLs stay whole) with continuation lines aligned under the
// first reference.
func seeAlso(b *bytes.Buffer, refs []string) {
	const head = "See also: "
	indent := strings.Repeat(" ", len(head))
	line := head
	for i, r := range refs {
		if i < len(refs)-1 {
			r += ","
		}
		switch {
		case line == head:
			line += r
		case len("N:   ")+len(line)+1+len(r) > explainWidth:
			comment(b, line)
			line = indent + r
		default:
			line += " " + r
		}
	}
	comment(b, line)
}
