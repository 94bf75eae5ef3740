package transform

import (
	"encoding/binary"
	"unicode/utf8"
)

// This file is a strict single-pass JSON (RFC 8259) scanner over a record's bytes. It never
// builds values: it reports token spans, so the transform copies validated tokens straight to
// its output. The fuzz test holds it to encoding/json's idea of validity.

// plain marks the bytes that stand for themselves inside a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Value kinds, from the first byte of a value.
const (
	kindInvalid = iota
	kindString
	kindNumber
	kindBool
	kindNull
	kindObject
	kindArray
)

// kindOf returns the kind of the value that starts with c.
func kindOf(c byte) int {
	switch {
	case c == '"':
		return kindString
	case c == '-' || c >= '0' && c <= '9':
		return kindNumber
	case c == 't' || c == 'f':
		return kindBool
	case c == 'n':
		return kindNull
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	}
	return kindInvalid
}

// scanner walks one record. A failed scan sets err and returns false; the first error wins.
type scanner struct {
	b     []byte
	pos   int
	stack []byte // open brackets while skipping a nested value
	err   RecordError
}

func (s *scanner) reset(b []byte) {
	s.b, s.pos = b, 0
	s.stack = s.stack[:0]
	s.err = RecordError{}
}

func (s *scanner) fail(rule Rule, field, detail string) bool {
	s.err = RecordError{Rule: rule, Field: field, Offset: s.pos, Detail: detail}
	return false
}

func (s *scanner) ws() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the byte at pos, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.b) {
		return s.b[s.pos]
	}
	return 0
}

// str scans the string at pos (which holds '"'). It returns the number of Unicode code points
// of the decoded value and whether the token holds escapes; pos ends after the closing quote.
func (s *scanner) str() (chars int, esc bool, ok bool) {
	b := s.b
	i := s.pos + 1
	for {
		j := i
		// Eight plain bytes at a time, then byte by byte up to the next special one.
		for j+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		for j < len(b) && plain[b[j]] {
			j++
		}
		chars += j - i
		i = j
		if i >= len(b) {
			s.pos = i
			return 0, false, s.fail(RuleJSON, "", "unterminated string")
		}
		c := b[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return chars, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				s.pos = i
				return 0, false, s.fail(RuleJSON, "", "unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, ok := hex4(b, i+2)
				if !ok {
					s.pos = i
					return 0, false, s.fail(RuleJSON, "", "bad \\u escape")
				}
				switch {
				case r >= 0xD800 && r < 0xDC00:
					r2, ok := hex4(b, i+8)
					if !ok || b[i+6] != '\\' || b[i+7] != 'u' || r2 < 0xDC00 || r2 >= 0xE000 {
						s.pos = i
						return 0, false, s.fail(RuleUTF8, "", "lone UTF-16 surrogate escape")
					}
					i += 12
				case r >= 0xDC00 && r < 0xE000:
					s.pos = i
					return 0, false, s.fail(RuleUTF8, "", "lone UTF-16 surrogate escape")
				default:
					i += 6
				}
			default:
				s.pos = i
				return 0, false, s.fail(RuleJSON, "", "bad escape")
			}
			chars++
		case c < 0x20:
			s.pos = i
			return 0, false, s.fail(RuleJSON, "", "control character in string")
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				s.pos = i
				return 0, false, s.fail(RuleUTF8, "", "invalid UTF-8")
			}
			i += size
			chars++
		}
	}
}

// plain8 reports whether all eight bytes of w stand for themselves in a JSON string: none is
// below 0x20, a quote, a backslash or non-ASCII (the classic SWAR zero-byte tests, exact for
// "any byte").
func plain8(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	zero := func(x uint64) uint64 { return (x - ones) &^ x & highs }
	return (w-ones*0x20)&^w&highs|zero(w^(ones*'"'))|zero(w^(ones*'\\'))|w&highs == 0
}

// hex4 decodes the four hex digits at b[i:i+4]. The caller checks the "\u" before them.
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// num scans the number at pos: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?. isInt reports
// a number without fraction or exponent.
func (s *scanner) num() (isInt bool, ok bool) {
	b := s.b
	i := s.pos
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.pos = i
		return false, s.fail(RuleJSON, "", "bad number")
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		i++
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return false, s.fail(RuleJSON, "", "bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == j {
			s.pos = i
			return false, s.fail(RuleJSON, "", "bad number")
		}
	}
	s.pos = i
	return isInt, true
}

// lit scans true, false or null at pos.
func (s *scanner) lit() bool {
	rest := s.b[s.pos:]
	for _, w := range [...]string{"true", "false", "null"} {
		if len(rest) >= len(w) && string(rest[:len(w)]) == w {
			s.pos += len(w)
			return true
		}
	}
	return s.fail(RuleJSON, "", "bad literal")
}

// value skips any JSON value at pos, validating it; nesting is tracked on an explicit stack,
// so depth costs memory, not goroutine stack. chars is the decoded length when it is a string.
func (s *scanner) value() (kind int, chars int, ok bool) {
	s.stack = s.stack[:0]
	kind = kindOf(s.peek())
	for {
		// A value is expected at pos.
		s.ws()
		switch s.peek() {
		case '"':
			n, _, ok := s.str()
			if !ok {
				return 0, 0, false
			}
			chars = n
		case '{':
			s.pos++
			s.ws()
			if s.peek() == '}' {
				s.pos++
				break
			}
			s.stack = append(s.stack, '{')
			if !s.key() {
				return 0, 0, false
			}
			continue
		case '[':
			s.pos++
			s.ws()
			if s.peek() == ']' {
				s.pos++
				break
			}
			s.stack = append(s.stack, '[')
			continue
		case 't', 'f', 'n':
			if !s.lit() {
				return 0, 0, false
			}
		default:
			if kindOf(s.peek()) != kindNumber {
				return 0, 0, s.fail(RuleJSON, "", "value expected")
			}
			if _, ok := s.num(); !ok {
				return 0, 0, false
			}
		}
		// After a value: close containers or move to the next element.
		for {
			if len(s.stack) == 0 {
				return kind, chars, true
			}
			s.ws()
			top := s.stack[len(s.stack)-1]
			c := s.peek()
			if c == ',' {
				s.pos++
				if top == '{' && !s.key() {
					return 0, 0, false
				}
				break
			}
			if top == '{' && c == '}' || top == '[' && c == ']' {
				s.pos++
				s.stack = s.stack[:len(s.stack)-1]
				continue
			}
			return 0, 0, s.fail(RuleJSON, "", "',' or end of container expected")
		}
	}
}

// key scans `"name" :` inside an object being skipped.
func (s *scanner) key() bool {
	s.ws()
	if s.peek() != '"' {
		return s.fail(RuleJSON, "", "object key expected")
	}
	if _, _, ok := s.str(); !ok {
		return false
	}
	s.ws()
	if s.peek() != ':' {
		return s.fail(RuleJSON, "", "':' expected")
	}
	s.pos++
	return true
}

// appendUnescaped appends the decoded value of a valid string token's content (no quotes).
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(raw, i+1)
			i += 4
			if r >= 0xD800 && r < 0xDC00 {
				r2, _ := hex4(raw, i+3)
				r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, raw[i])
		}
	}
	return dst
}

// appendJSONText appends a valid JSON value's text, compacted (insignificant whitespace
// removed), as the content of a JSON string: quotes and backslashes escaped. It returns the
// number of code points of the compact text, which is what MaxLength bounds. Every input byte
// becomes at most two output bytes.
func appendJSONText(dst, raw []byte) ([]byte, int) {
	chars := 0
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !in {
			switch c {
			case ' ', '\t', '\n', '\r':
				continue
			case '"':
				in = true
				dst = append(dst, '\\', '"')
			default:
				dst = append(dst, c)
			}
			chars++
			continue
		}
		switch c {
		case '"':
			in = false
			dst = append(dst, '\\', '"')
			chars++
		case '\\':
			// The escape's backslash becomes \\; a following " or \ is escaped too.
			dst = append(dst, '\\', '\\')
			i++
			if c2 := raw[i]; c2 == '"' || c2 == '\\' {
				dst = append(dst, '\\', c2)
			} else {
				dst = append(dst, c2)
			}
			chars += 2
		default:
			dst = append(dst, c)
			if c&0xC0 != 0x80 {
				chars++
			}
		}
	}
	return dst, chars
}

// plainString reports whether every byte of s stands for itself in a JSON string.
func plainString(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if !plain8(w) {
			return false
		}
	}
	for ; i < len(s); i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
}

// appendQuoted appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendQuoted(dst []byte, s string) []byte {
	if plainString(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// quotedLen is len(appendQuoted(nil, s)) without building it.
func quotedLen(s string) int {
	if plainString(s) {
		return len(s) + 2
	}
	n := 2
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case plain[c]:
				n++
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
				n += 2
			default:
				n += 6
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			n += 6
			i++
			continue
		}
		n += size
		i += size
	}
	return n
}
