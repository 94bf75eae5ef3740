package transform

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"
)

func TestAppendQuoted(t *testing.T) {
	cases := []string{"", "49546986683135544286507457936321625675700192471156785154", "a\"b\\c", "\x00\x1f\n\r\t\x7f", "é😀", "\xff\xfe", "a\xc0\xafb", "<>&\u2028"}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 5000 {
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		q := appendQuoted(nil, s)
		if quotedLen(s) != len(q) {
			t.Fatalf("%q: quotedLen %d, len %d", s, quotedLen(s), len(q))
		}
		var got string
		if err := json.Unmarshal(q, &got); err != nil {
			t.Fatalf("%q: %s is not a JSON string: %v", s, q, err)
		}
		// encoding/json turns each invalid byte into U+FFFD, as appendQuoted does.
		ref, _ := json.Marshal(s)
		var want string
		_ = json.Unmarshal(ref, &want)
		if got != want {
			t.Fatalf("%q: round trip %q, want %q", s, got, want)
		}
	}
}

func TestAppendJSONText(t *testing.T) {
	for _, raw := range []string{
		`1`, `-0.5e+10`, `true`, `null`, `[]`, `{}`, ` [ 1 , 2 ] `,
		`{"a" : "x y", "b":[true,null,{"c":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}]}`,
		"[\"é😀\", \"\\\\\\\\\"]",
	} {
		out, chars := appendJSONText(nil, []byte(raw))
		var got string
		if err := json.Unmarshal(append(append([]byte{'"'}, out...), '"'), &got); err != nil {
			t.Fatalf("%s: %s is not a JSON string body: %v", raw, out, err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		if got != want.String() {
			t.Fatalf("%s: text %s, want %s", raw, got, want.String())
		}
		if n := len([]rune(got)); chars != n {
			t.Fatalf("%s: %d characters counted, want %d", raw, chars, n)
		}
		if len(out) > 2*len(raw) {
			t.Fatalf("%s: grew from %d to %d bytes", raw, len(raw), len(out))
		}
	}
}

// FuzzScanner holds the scanner to encoding/json's idea of a valid JSON value, and
// appendUnescaped to its decoding of strings.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`, `-0.1e-5`, `[`, `"\ud800"`, "\"\xff\"", `{"a" 1}`, ` true `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sc := &scanner{}
		sc.reset(b)
		sc.ws()
		_, chars, ok := sc.value()
		if ok {
			sc.ws()
			ok = sc.pos == len(b)
		}
		// encoding/json accepts invalid UTF-8 and lone surrogates (as U+FFFD); the scanner
		// rejects both.
		want := json.Valid(b) && utf8.Valid(b) && !loneSurrogate(b)
		if ok != want {
			t.Fatalf("%q: scanner ok=%v, encoding/json valid=%v (%v)", b, ok, json.Valid(b), sc.err)
		}
		if !ok {
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if s, isStr := v.(string); isStr {
			tb := bytes.TrimSpace(b)
			if got := string(appendUnescaped(nil, tb[1:len(tb)-1])); got != s {
				t.Fatalf("%q: unescaped %q, want %q", b, got, s)
			}
			if chars != len([]rune(s)) {
				t.Fatalf("%q: %d characters, want %d", b, chars, len([]rune(s)))
			}
		}
		out, _ := appendJSONText(nil, b)
		var text string
		if err := json.Unmarshal(append(append([]byte{'"'}, out...), '"'), &text); err != nil {
			t.Fatalf("%q: escaped text is not a string body: %v", b, err)
		}
		var c bytes.Buffer
		_ = json.Compact(&c, b)
		if text != c.String() {
			t.Fatalf("%q: text %q, want %q", b, text, c.String())
		}
	})
}

// loneSurrogate reports a \u escape of a UTF-16 surrogate that is not part of a pair, in
// valid JSON text.
func loneSurrogate(b []byte) bool {
	var units []int64
	flush := func() bool {
		for i := 0; i < len(units); i++ {
			u := units[i]
			switch {
			case u >= 0xD800 && u < 0xDC00:
				if i+1 >= len(units) || units[i+1] < 0xDC00 || units[i+1] >= 0xE000 {
					return true
				}
				i++
			case u >= 0xDC00 && u < 0xE000:
				return true
			}
		}
		units = units[:0]
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			if flush() {
				return true
			}
			continue
		}
		i++
		if b[i] == 'u' {
			u, _ := strconv.ParseInt(string(b[i+1:i+5]), 16, 32)
			units = append(units, u)
			i += 4
			continue
		}
		if flush() {
			return true
		}
	}
	return flush()
}

func TestPlain8(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			w := uint64(0)
			for i := 7; i >= 0; i-- {
				w = w<<8 | uint64(b[i])
			}
			if got := plain8(w); got != plain[c] {
				t.Fatalf("byte %#x at %d: plain8 %v, want %v", c, pos, got, plain[c])
			}
		}
	}
}
