package workshop

import (
	"crypto/rand"
	"strings"
)

// codeAlphabet has no letters or digits that read alike on a projector
// (0/O, 1/I/L, 5/S, 2/Z, 8/B).
const codeAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// CodeLen is the length of a join code: 25^6 ≈ 2.4e8 codes, drawn at random;
// a wrong guess costs a request and codes work only while a workshop runs.
const CodeLen = 6

// NewCode draws a join code.
func NewCode() string {
	var b [CodeLen]byte
	rand.Read(b[:]) // never fails
	out := make([]byte, CodeLen)
	for i, x := range b {
		// 256 % 25 = 6: the first six symbols are 1/256 likelier, a bias
		// far too small to help a guesser.
		out[i] = codeAlphabet[int(x)%len(codeAlphabet)]
	}
	return string(out)
}

// NormalizeCode turns what a learner typed into a code ("abc-def " →
// "ABCDEF") and reports whether it is shaped like one.
func NormalizeCode(s string) (string, bool) {
	if len(s) > 32 {
		return "", false
	}
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r < 128 && strings.IndexByte(codeAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	if b.Len() != CodeLen {
		return "", false
	}
	return b.String(), true
}
