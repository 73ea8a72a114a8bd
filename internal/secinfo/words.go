package secinfo

import "errors"

var errSyntax = errors.New("invalid syntax")

// extractWord mirrors systemd's extract_first_word() with whitespace
// separators and either no flags or EXTRACT_UNQUOTE: it returns the first
// word, the rest after the separators that follow it, and whether a word
// was found. A trailing backslash or an unterminated quote is an error.
func extractWord(s string, unquote bool) (word, rest string, found bool, err error) {
	return extractWordFlags(s, unquote, false)
}

// extractWordFlags adds EXTRACT_RELAX: an unterminated quote or a trailing
// backslash ends the word instead of failing.
func extractWordFlags(s string, unquote, relax bool) (word, rest string, found bool, err error) {
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
				if relax {
					return string(b), "", true, nil
				}
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
	if quote != 0 && !relax {
		return "", "", false, errSyntax
	}
	return string(b), "", true, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// words splits a value into all its words; err is set on a syntax error
// and the words before it are returned.
func words(s string, unquote bool) ([]string, error) {
	return wordsFlags(s, unquote, false)
}

func wordsFlags(s string, unquote, relax bool) ([]string, error) {
	var out []string
	for {
		w, rest, ok, err := extractWordFlags(s, unquote, relax)
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
