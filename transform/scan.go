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
	stack []byte // closing brackets of the containers open while skipping a nested value
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

// expect fails with RuleType when the value's kind is not want.
func (s *scanner) expect(k, want int, field, detail string) bool {
	return k == want || s.fail(RuleType, field, detail)
}

// failAt fails with the offset at, the start of the token that broke the rule.
func (s *scanner) failAt(at int, rule Rule, field, detail string) bool {
	s.pos = at
	return s.fail(rule, field, detail)
}

// ws skips whitespace. Every byte that is not whitespace and is above ' ' leaves at the
// first comparison: ws runs several times per member.
func (s *scanner) ws() {
	for s.pos < len(s.b) {
		switch c := s.b[s.pos]; {
		case c > ' ':
			return
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
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

// token is a scanned string: its content's place in the data (quotes excluded), whether it
// holds escapes, and its decoded length in Unicode code points.
type token struct {
	start, end int
	esc        bool
	chars      int
}

// quoted returns the token as it appears in b, quotes included.
func (t token) quoted(b []byte) []byte { return b[t.start-1 : t.end+1] }

// text returns the token's decoded content: a slice of b when it holds no escapes, else the
// content unescaped into *buf.
func (t token) text(b []byte, buf *[]byte) []byte {
	if !t.esc {
		return b[t.start:t.end]
	}
	*buf = appendUnescaped((*buf)[:0], b[t.start:t.end])
	return *buf
}

// str scans the string at pos (which holds '"'); pos ends after the closing quote. This is
// the hottest loop of the transform: eight plain bytes at a time, then byte by byte.
func (s *scanner) str() (token, bool) {
	b := s.b
	start := s.pos + 1
	i, chars, esc := start, 0, false
	for {
		j := i
		for j+8 <= len(b) && plain8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		for j < len(b) && plain[b[j]] {
			j++
		}
		chars += j - i
		i = j
		if i >= len(b) {
			return token{}, s.failAt(i, RuleJSON, "", "unterminated string")
		}
		switch c := b[i]; {
		case c == '"':
			s.pos = i + 1
			return token{start: start, end: i, esc: esc, chars: chars}, true
		case c == '\\':
			n, rule, detail := escapeLen(b, i)
			if n == 0 {
				return token{}, s.failAt(i, rule, "", detail)
			}
			i += n
			esc = true
		case c < 0x20:
			return token{}, s.failAt(i, RuleJSON, "", "control character in string")
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return token{}, s.failAt(i, RuleUTF8, "", "invalid UTF-8")
			}
			i += size
		}
		chars++
	}
}

// escapeLen returns the length of the valid escape at b[i] ('\\'), or 0 and the rule it
// breaks. A \u escape of a UTF-16 surrogate is valid only as the first half of a pair.
func escapeLen(b []byte, i int) (int, Rule, string) {
	if i+1 >= len(b) {
		return 0, RuleJSON, "unterminated escape"
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, "", ""
	case 'u':
	default:
		return 0, RuleJSON, "bad escape"
	}
	r, ok := hex4(b, i+2)
	switch {
	case !ok:
		return 0, RuleJSON, "bad \\u escape"
	case r >= 0xD800 && r < 0xDC00:
		r2, ok := hex4(b, i+8)
		if !ok || b[i+6] != '\\' || b[i+7] != 'u' || r2 < 0xDC00 || r2 >= 0xE000 {
			return 0, RuleUTF8, "lone UTF-16 surrogate escape"
		}
		return 12, "", ""
	case r >= 0xDC00 && r < 0xE000:
		return 0, RuleUTF8, "lone UTF-16 surrogate escape"
	}
	return 6, "", ""
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
		i, _ = digits(b, i)
	default:
		return false, s.failAt(i, RuleJSON, "", "bad number")
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		if i, ok = digits(b, i+1); !ok {
			return false, s.failAt(i, RuleJSON, "", "bad number")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i, ok = digits(b, i); !ok {
			return false, s.failAt(i, RuleJSON, "", "bad number")
		}
	}
	s.pos = i
	return isInt, true
}

// digits returns the end of the run of digits at b[i:], and whether there is one.
func digits(b []byte, i int) (int, bool) {
	j := i
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j, j > i
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

// value skips any JSON value at pos, validating it; nesting is tracked on an explicit stack of
// closing brackets, so depth costs memory, not goroutine stack. It walks containers with the
// same steps as members and elements (open, key, next). chars is the decoded length when the
// value is a string.
func (s *scanner) value() (kind int, chars int, ok bool) {
	s.stack = s.stack[:0]
	kind = kindOf(s.peek())
	for {
		// A value is expected at pos.
		s.ws()
		switch c := s.peek(); c {
		case '{', '[':
			end := byte('}')
			if c == '[' {
				end = ']'
			}
			if s.open(end) {
				s.stack = append(s.stack, end)
				if end == '}' && !s.skipKey() {
					return 0, 0, false
				}
				continue
			}
		default:
			if chars, ok = s.scalar(); !ok {
				return 0, 0, false
			}
		}
		// After a value: close containers or move to the next member or element.
		for {
			if len(s.stack) == 0 {
				return kind, chars, true
			}
			end := s.stack[len(s.stack)-1]
			more, ok := s.next(end)
			if !ok || more && end == '}' && !s.skipKey() {
				return 0, 0, false
			}
			if more {
				break
			}
			s.stack = s.stack[:len(s.stack)-1]
		}
	}
}

// scalar scans the string, number or literal at pos; chars is a string's decoded length.
func (s *scanner) scalar() (chars int, ok bool) {
	switch kindOf(s.peek()) {
	case kindString:
		tok, ok := s.str()
		return tok.chars, ok
	case kindNumber:
		_, ok := s.num()
		return 0, ok
	case kindBool, kindNull:
		return 0, s.lit()
	}
	return 0, s.fail(RuleJSON, "", "value expected")
}

// skipKey scans a key inside a value being skipped.
func (s *scanner) skipKey() bool {
	_, ok := s.key()
	return ok
}

// members scans the object at pos ('{'), member by member: it scans each member's key and
// colon and calls yield with the key and pos at the value, which yield scans. It reports
// whether the object was scanned to its end; yield returning false stops it. Every object of
// a record and of an invocation payload is walked this way.
func (s *scanner) members(yield func(key token) bool) bool {
	more := s.open('}')
	for more {
		key, ok := s.key()
		if !ok || !yield(key) {
			return false
		}
		if more, ok = s.next('}'); !ok {
			return false
		}
	}
	return true
}

// elements scans the array at pos ('['), calling yield with pos at each element, which yield
// scans.
func (s *scanner) elements(yield func() bool) bool {
	more := s.open(']')
	for more {
		if !yield() {
			return false
		}
		var ok bool
		if more, ok = s.next(']'); !ok {
			return false
		}
	}
	return true
}

// open steps into the container at pos and reports whether anything is in it; an empty
// container is stepped over.
func (s *scanner) open(end byte) bool {
	s.pos++
	s.ws()
	if s.peek() == end {
		s.pos++
		return false
	}
	return true
}

// next scans what follows a member or element: a comma (more follows; pos at the next one)
// or the container's closing bracket.
func (s *scanner) next(end byte) (more, ok bool) {
	s.ws()
	switch s.peek() {
	case ',':
		s.pos++
		s.ws()
		return true, true
	case end:
		s.pos++
		return false, true
	}
	if end == '}' {
		return false, s.fail(RuleJSON, "", "',' or '}' expected")
	}
	return false, s.fail(RuleJSON, "", "',' or ']' expected")
}

// key scans a member's `"name" :` and the whitespace after it.
func (s *scanner) key() (token, bool) {
	s.ws()
	if s.peek() != '"' {
		return token{}, s.fail(RuleJSON, "", "object key expected")
	}
	k, ok := s.str()
	if !ok {
		return token{}, false
	}
	s.ws()
	if s.peek() != ':' {
		return token{}, s.fail(RuleJSON, "", "':' expected")
	}
	s.pos++
	s.ws()
	return k, true
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
