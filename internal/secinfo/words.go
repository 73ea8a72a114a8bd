package secinfo

import "errors"

var errSyntax = errors.New("invalid syntax")

// extractWord mirrors systemd's extract_first_word() with whitespace
// separators and either no flags or EXTRACT_UNQUOTE: it returns the first
// word, the rest after the separators that follow it, and whether a word
// was found. A trailing backslash or an unterminated quote is an error.
func extractWord(s string, unquote bool) (word, rest string, found bool, err error) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) {
		return "", "", false, nil
	}
	var b []byte
	var quote byte
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", "", false, errSyntax
			}
			b = append(b, s[i+1])
			i += 2
			continue
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				b = append(b, c)
			}
		case unquote && (c == '\'' || c == '"'):
			quote = c
		case isSpace(c):
			for i < len(s) && isSpace(s[i]) {
				i++
			}
			return string(b), s[i:], true, nil
		default:
			b = append(b, c)
		}
		i++
	}
	if quote != 0 {
		return "", "", false, errSyntax
	}
	return string(b), "", true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// words splits a value into all its words; err is set on a syntax error
// and the words before it are returned.
func words(s string, unquote bool) ([]string, error) {
	var out []string
	for {
		w, rest, ok, err := extractWord(s, unquote)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, w)
		s = rest
	}
}
