package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// GPT-2's byte-to-unicode mapping (bytes_to_unicode in openai/gpt-2's
// encoder.py, used by every byte-level BPE vocabulary): the printable bytes
// '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for themselves, and the other 68
// bytes, in increasing order, for U+0100 upwards, so that space is "Ġ"
// (U+0120) and newline "Ċ" (U+010A).
var byteRune, runeByte = buildByteLevel()

func buildByteLevel() (fwd [256]rune, rev [324]int16) {
	for i := range rev {
		rev[i] = -1
	}
	n := 0
	for b := range 256 {
		if ('!' <= b && b <= '~') || (0xA1 <= b && b <= 0xAC) || (0xAE <= b && b <= 0xFF) {
			fwd[b] = rune(b)
		} else {
			fwd[b] = rune(256 + n)
			n++
		}
		rev[fwd[b]] = int16(b)
	}
	return fwd, rev
}

// ByteLevelEncode returns s with every byte replaced by its GPT-2
// byte-to-unicode character: the form byte-level BPE vocabularies store
// tokens and merges in.
func ByteLevelEncode(s string) string {
	var b strings.Builder
	b.Grow(2 * len(s))
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteRune[s[i]])
	}
	return b.String()
}

// ByteLevelDecode undoes ByteLevelEncode. It reports false, and returns the
// bytes it could map, when s has a character outside the mapping (an added
// token stored as plain text, for example).
func ByteLevelDecode(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	ok := true
	for _, r := range s {
		if r >= 0 && int(r) < len(runeByte) && runeByte[r] >= 0 {
			out = append(out, byte(runeByte[r]))
			continue
		}
		ok = false
		out = utf8.AppendRune(out, r)
	}
	return out, ok
}
