package pyrun

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Fill replaces the {name} placeholders of values in a lesson's Python
// snippet. A value may only land inside a plain string literal (not raw, not
// bytes, not an f-string) or a comment, and is escaped there, so no value
// can change the program's code: a learner's edit stays a string. A
// placeholder anywhere else is an error (a lesson bug: `lessons check` finds
// it). Braces that name no value ({token.token} in an f-string) are left as
// written.
func Fill(code string, values map[string]string) (string, error) {
	for name, v := range values {
		if !utf8.ValidString(v) {
			return "", fmt.Errorf("pyrun: fill: the value of {%s} is not UTF-8", name)
		}
	}
	var b strings.Builder
	i := 0
	for i < len(code) {
		c := code[i]
		switch {
		case c == '#':
			end := strings.IndexByte(code[i:], '\n')
			if end < 0 {
				end = len(code) - i
			}
			b.WriteString(fillText(code[i:i+end], values))
			i += end
		case c == '"' || c == '\'':
			prefix := literalPrefix(code[:i])
			n, err := literalLen(code[i:], strings.ContainsAny(prefix, "rR"))
			if err != nil {
				return "", err
			}
			body := code[i : i+n]
			if plain := !strings.ContainsAny(prefix, "rRbBfF"); plain {
				b.WriteString(fillText(body, values))
			} else if name := findPlaceholder(body, values); name != "" {
				return "", fmt.Errorf("pyrun: fill: {%s} inside a %s-prefixed string literal: only plain literals may hold values", name, prefix)
			} else {
				b.WriteString(body)
			}
			i += n
		default:
			if c == '{' {
				if name := placeholderAt(code[i:], values); name != "" {
					return "", fmt.Errorf("pyrun: fill: {%s} outside a string literal: a value would become code", name)
				}
			}
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// literalPrefix returns the string prefix (r, b, f, u, rb, …) just before a
// quote, or "" when the letters before it are an identifier instead.
func literalPrefix(before string) string {
	j := len(before)
	for j > 0 && isIdent(before[j-1]) {
		j--
	}
	p := before[j:]
	if len(p) > 2 {
		return ""
	}
	for _, r := range strings.ToLower(p) {
		if !strings.ContainsRune("rbuf", r) {
			return ""
		}
	}
	return p
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// literalLen is the length of the string literal at the start of s
// (quotes included). A backslash escapes the next character, in raw
// literals too, as Python's tokenizer has it.
func literalLen(s string, raw bool) (int, error) {
	_ = raw
	q := s[:1]
	if strings.HasPrefix(s, q+q+q) {
		q = q + q + q
	}
	for i := len(q); i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case strings.HasPrefix(s[i:], q):
			return i + len(q), nil
		case s[i] == '\n' && len(q) == 1:
			return 0, fmt.Errorf("pyrun: fill: unterminated string literal")
		}
	}
	return 0, fmt.Errorf("pyrun: fill: unterminated string literal")
}

func placeholderAt(s string, values map[string]string) string {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return ""
	}
	name := s[1:end]
	if _, ok := values[name]; ok {
		return name
	}
	return ""
}

func findPlaceholder(s string, values map[string]string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '{' {
			if name := placeholderAt(s[i:], values); name != "" {
				return name
			}
		}
	}
	return ""
}

// fillText replaces placeholders in the text of a plain literal or a
// comment with their escaped values.
func fillText(s string, values map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '{' {
			if name := placeholderAt(s[i:], values); name != "" {
				b.WriteString(escape(values[name]))
				i += len(name) + 1
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escape makes v the content of a Python string literal with the same
// value, whatever its quotes: backslashes, both quotes and every control
// character are escaped, so it never ends the literal or the line.
func escape(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\\' || r == '"' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029, r == 0x85, r == 0xfeff:
			// C1 controls and Unicode line separators: written as escapes
			// so the source line stays one line in every reader.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
