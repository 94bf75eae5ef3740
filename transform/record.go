package transform

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/streamlake/streamlake/schema"
)

// fieldVal is what one record holds for one schema field.
type fieldVal struct {
	set        bool
	start, end int     // the raw value token in the record's data
	ms         int64   // timestamps: epoch milliseconds
	f          float64 // doubles whose token is longer than maxDoubleToken
}

// maxDoubleToken is the longest double token copied as sent; longer ones (a thousand digits
// are valid JSON) are written in their shortest form, the same double, so that no reader
// trips over a number's length.
const maxDoubleToken = 32

// entry is one key of the extras map: sent by the producer inside it, or an unknown
// top-level field kept there.
type entry struct {
	key     [2]int // raw key token (with quotes) in the data
	val     [2]int // raw value token
	kind    int
	chars   int // decoded length of a string value
	unknown bool
	name    [2]int // decoded key in state.arena
}

// state is the per-record scratch, reused through a pool so a record allocates nothing.
type state struct {
	sc      scanner
	vals    []fieldVal
	entries []entry
	arena   []byte
	tmp     []byte
	order   []int
	out     []byte
	sizes   []int // failed-answer sizes of the batch's records
	// The last arrival formatted, reused while records share an arrival millisecond.
	arrivalMs int64
	arrivalTS [24]byte
}

// record validates one record's data and leaves its transformed JSON in st.out. arrivalMs is
// when it reached the stream (ingested_at, and the reference for the future-skew bound). On
// failure st.sc.err says why.
func (t *Transformer) record(st *state, data []byte, arrivalMs int64) bool {
	sc := &st.sc
	sc.reset(data)
	clear(st.vals)
	st.entries = st.entries[:0]
	sc.ws()
	if sc.peek() != '{' {
		return t.notObject(sc)
	}
	sc.pos++
	sc.ws()
	if sc.peek() == '}' {
		sc.pos++
	} else if !t.members(st, data, arrivalMs) {
		return false
	}
	sc.ws()
	if sc.pos != len(data) {
		return sc.fail(RuleJSON, "", "data after the object")
	}
	for fi := range t.fields {
		if f := &t.fields[fi]; f.Required && !st.vals[fi].set {
			return sc.fail(RuleRequired, f.Name, "required field is missing")
		}
	}
	if len(st.entries) > 0 && !t.checkKeys(st, data) {
		return false
	}
	return t.emit(st, data, arrivalMs)
}

// notObject tells invalid JSON from valid JSON that is not an object.
func (t *Transformer) notObject(sc *scanner) bool {
	if sc.pos >= len(sc.b) {
		return sc.fail(RuleJSON, "", "no JSON value")
	}
	if _, _, ok := sc.value(); !ok {
		return false
	}
	sc.ws()
	if sc.pos != len(sc.b) {
		return sc.fail(RuleJSON, "", "data after the value")
	}
	sc.pos = 0
	return sc.fail(RuleObject, "", "an event must be a JSON object")
}

// members scans the top-level object's members after '{' (which is not empty).
func (t *Transformer) members(st *state, data []byte, arrivalMs int64) bool {
	sc := &st.sc
	for {
		sc.ws()
		if sc.peek() != '"' {
			return sc.fail(RuleJSON, "", "object key expected")
		}
		ks := sc.pos
		keyChars, esc, ok := sc.str()
		if !ok {
			return false
		}
		ke := sc.pos
		name := data[ks+1 : ke-1]
		if esc {
			st.tmp = appendUnescaped(st.tmp[:0], name)
			name = st.tmp
		}
		sc.ws()
		if sc.peek() != ':' {
			return sc.fail(RuleJSON, "", "':' expected")
		}
		sc.pos++
		sc.ws()
		if fi := t.lookup(name); fi >= 0 {
			if !t.field(st, fi, data, arrivalMs) {
				return false
			}
		} else if !t.unknownField(st, name, ks, ke, keyChars) {
			return false
		}
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.pos++
			continue
		case '}':
			sc.pos++
			return true
		}
		return sc.fail(RuleJSON, "", "',' or '}' expected")
	}
}

// lookup returns the index of the field called name, or -1. A linear scan that compares
// lengths first beats hashing for a schema's dozen fields.
func (t *Transformer) lookup(name []byte) int {
	for i := range t.fields {
		if f := t.fields[i].Name; len(f) == len(name) && f == string(name) {
			return i
		}
	}
	return -1
}

// unknownField rejects a field the schema does not declare, or keeps it for the extras map.
func (t *Transformer) unknownField(st *state, name []byte, ks, ke, keyChars int) bool {
	sc := &st.sc
	if t.unknown == schema.RejectUnknown {
		sc.pos = ks
		return sc.fail(RuleUnknownField, safeKey(name), "not in the schema (unknownFields=reject)")
	}
	ex := &t.fields[t.extras]
	if ex.MaxLength > 0 && keyChars > ex.MaxLength {
		sc.pos = ks
		return sc.fail(RuleMaxLength, ex.Name, "an unknown field's name "+ex.maxLenDetail)
	}
	vs := sc.pos
	kind, chars, ok := sc.value()
	if !ok {
		return false
	}
	if kind == kindString && ex.MaxLength > 0 && chars > ex.MaxLength {
		sc.pos = vs
		return sc.fail(RuleMaxLength, ex.Name, "an unknown field's value "+ex.maxLenDetail)
	}
	st.entries = append(st.entries, entry{key: [2]int{ks, ke}, val: [2]int{vs, sc.pos}, kind: kind, chars: chars, unknown: true})
	return true
}

// field validates the value at pos for schema field fi.
func (t *Transformer) field(st *state, fi int, data []byte, arrivalMs int64) bool {
	sc := &st.sc
	f := &t.fields[fi]
	v := &st.vals[fi]
	start := sc.pos
	if v.set {
		return sc.fail(RuleDuplicateKey, f.Name, "field appears twice")
	}
	if f.Source == schema.Pipeline {
		return sc.fail(RulePipelineField, f.Name, "set by the pipeline; producers may not send it")
	}
	k := kindOf(sc.peek())
	if k == kindInvalid {
		return sc.fail(RuleJSON, "", "value expected")
	}
	switch f.Type {
	case schema.String:
		if k != kindString {
			return sc.fail(RuleType, f.Name, "must be a string")
		}
		chars, _, ok := sc.str()
		if !ok {
			return false
		}
		if chars == 0 && f.Required {
			sc.pos = start
			return sc.fail(RuleEmpty, f.Name, "required string is empty")
		}
		if f.MaxLength > 0 && chars > f.MaxLength {
			sc.pos = start
			return sc.fail(RuleMaxLength, f.Name, f.maxLenDetail)
		}
	case schema.Double:
		if k != kindNumber {
			return sc.fail(RuleType, f.Name, "must be a number")
		}
		if _, ok := sc.num(); !ok {
			return false
		}
		x, err := strconv.ParseFloat(string(data[start:sc.pos]), 64)
		if err != nil {
			sc.pos = start
			return sc.fail(RuleNumberRange, f.Name, "does not fit a double")
		}
		if f.HasMinimum && x < f.Minimum {
			sc.pos = start
			return sc.fail(RuleMinimum, f.Name, f.minDetail)
		}
		v.f = x
	case schema.Long:
		if k != kindNumber {
			return sc.fail(RuleType, f.Name, "must be an integer")
		}
		isInt, ok := sc.num()
		if !ok {
			return false
		}
		if !isInt {
			sc.pos = start
			return sc.fail(RuleType, f.Name, "must be an integer (no fraction or exponent)")
		}
		x, err := strconv.ParseInt(string(data[start:sc.pos]), 10, 64)
		if err != nil {
			sc.pos = start
			return sc.fail(RuleNumberRange, f.Name, "does not fit a bigint")
		}
		if f.HasMinimum && float64(x) < f.Minimum {
			sc.pos = start
			return sc.fail(RuleMinimum, f.Name, f.minDetail)
		}
	case schema.Boolean:
		if k != kindBool {
			return sc.fail(RuleType, f.Name, "must be true or false")
		}
		if !sc.lit() {
			return false
		}
	case schema.Timestamp:
		ms, ok := t.timestamp(st, f, k, data)
		if !ok {
			return false
		}
		if ms < t.minMs {
			sc.pos = start
			return sc.fail(RuleTimestampRange, f.Name, t.minDetail)
		}
		if ms > min(arrivalMs+t.skewMs, maxMillis) {
			sc.pos = start
			return sc.fail(RuleTimestampRange, f.Name, t.skewDetail)
		}
		v.ms = ms
	case schema.StringMap:
		if k != kindObject {
			return sc.fail(RuleType, f.Name, "must be an object of strings")
		}
		if !t.stringMap(st, f) {
			return false
		}
	}
	v.set, v.start, v.end = true, start, sc.pos
	return true
}

// timestamp reads a client timestamp: an RFC 3339 string or an epoch number.
func (t *Transformer) timestamp(st *state, f *field, k int, data []byte) (int64, bool) {
	sc := &st.sc
	start := sc.pos
	switch k {
	case kindString:
		_, esc, ok := sc.str()
		if !ok {
			return 0, false
		}
		raw := data[start+1 : sc.pos-1]
		if esc {
			st.tmp = appendUnescaped(st.tmp[:0], raw)
			raw = st.tmp
		}
		ms, ok := parseRFC3339(raw)
		if !ok {
			sc.pos = start
			return 0, sc.fail(RuleTimestampFormat, f.Name, "must be RFC 3339 (e.g. 2024-05-01T12:00:00.000+02:00) or epoch seconds/milliseconds as a JSON number")
		}
		return ms, true
	case kindNumber:
		if _, ok := sc.num(); !ok {
			return 0, false
		}
		ms, ok := parseEpoch(data[start:sc.pos])
		if !ok {
			sc.pos = start
			return 0, sc.fail(RuleTimestampRange, f.Name, t.minDetail)
		}
		return ms, true
	}
	return 0, sc.fail(RuleType, f.Name, "must be an RFC 3339 string or an epoch number")
}

// stringMap validates a map<string,string> value at pos ('{') and records its entries.
func (t *Transformer) stringMap(st *state, f *field) bool {
	sc := &st.sc
	sc.pos++
	sc.ws()
	if sc.peek() == '}' {
		sc.pos++
		return true
	}
	for {
		sc.ws()
		if sc.peek() != '"' {
			return sc.fail(RuleJSON, "", "object key expected")
		}
		ks := sc.pos
		keyChars, _, ok := sc.str()
		if !ok {
			return false
		}
		ke := sc.pos
		sc.ws()
		if sc.peek() != ':' {
			return sc.fail(RuleJSON, "", "':' expected")
		}
		sc.pos++
		sc.ws()
		vs := sc.pos
		switch kindOf(sc.peek()) {
		case kindString:
		case kindInvalid:
			return sc.fail(RuleJSON, "", "value expected")
		default:
			return sc.fail(RuleType, f.Name, "values must be strings")
		}
		chars, _, ok := sc.str()
		if !ok {
			return false
		}
		if f.MaxLength > 0 && keyChars > f.MaxLength {
			sc.pos = ks
			return sc.fail(RuleMaxLength, f.Name, "a key "+f.maxLenDetail)
		}
		if f.MaxLength > 0 && chars > f.MaxLength {
			sc.pos = vs
			return sc.fail(RuleMaxLength, f.Name, "a value "+f.maxLenDetail)
		}
		st.entries = append(st.entries, entry{key: [2]int{ks, ke}, val: [2]int{vs, sc.pos}, kind: kindString, chars: chars})
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.pos++
			continue
		case '}':
			sc.pos++
			return true
		}
		return sc.fail(RuleJSON, "", "',' or '}' expected")
	}
}

// checkKeys rejects duplicate keys among the extras map's entries, compared unescaped.
func (t *Transformer) checkKeys(st *state, data []byte) bool {
	st.arena = st.arena[:0]
	for i := range st.entries {
		e := &st.entries[i]
		off := len(st.arena)
		st.arena = appendUnescaped(st.arena, data[e.key[0]+1:e.key[1]-1])
		e.name = [2]int{off, len(st.arena)}
	}
	name := func(i int) []byte { e := &st.entries[i]; return st.arena[e.name[0]:e.name[1]] }
	n := len(st.entries)
	if n <= 8 {
		for i := 1; i < n; i++ {
			for j := range i {
				if bytes.Equal(name(i), name(j)) {
					return t.duplicate(st, j, i, name(i))
				}
			}
		}
		return true
	}
	st.order = st.order[:0]
	for i := range n {
		st.order = append(st.order, i)
	}
	slices.SortFunc(st.order, func(a, b int) int {
		if c := bytes.Compare(name(a), name(b)); c != 0 {
			return c
		}
		return a - b
	})
	for k := 1; k < n; k++ {
		if i, j := st.order[k-1], st.order[k]; bytes.Equal(name(i), name(j)) {
			return t.duplicate(st, i, j, name(j))
		}
	}
	return true
}

// duplicate reports entries i < j (in data order) with the same key.
func (t *Transformer) duplicate(st *state, i, j int, key []byte) bool {
	a, b := &st.entries[i], &st.entries[j]
	st.sc.pos = b.key[0]
	ex := t.fields[t.extras].Name
	switch {
	case a.unknown && b.unknown:
		return st.sc.fail(RuleDuplicateKey, safeKey(key), "field appears twice")
	case !a.unknown && !b.unknown:
		return st.sc.fail(RuleDuplicateKey, ex, "a key appears twice")
	}
	return st.sc.fail(RuleExtrasConflict, safeKey(key), "unknown field has the name of a key already in "+ex)
}

// emit writes the transformed record into st.out: one compact JSON object whose keys are the
// Glue columns in schema order. Absent optional fields are left out (Parquet null).
func (t *Transformer) emit(st *state, data []byte, arrivalMs int64) bool {
	out := append(st.out[:0], '{')
	for fi := range t.fields {
		f := &t.fields[fi]
		v := &st.vals[fi]
		switch {
		case fi == t.arrival:
		case fi == t.extras && (v.set || len(st.entries) > 0):
		case v.set:
		default:
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, f.key...)
		switch {
		case fi == t.arrival:
			if st.arrivalMs != arrivalMs || st.arrivalTS[0] == 0 {
				st.arrivalMs = arrivalMs
				appendTimestamp(st.arrivalTS[:0], civilFromMillis(arrivalMs))
			}
			out = append(out, '"')
			out = append(out, st.arrivalTS[:]...)
			out = append(out, '"')
		case fi == t.extras:
			out = append(out, '{')
			for j := range st.entries {
				e := &st.entries[j]
				if j > 0 {
					out = append(out, ',')
				}
				out = append(out, data[e.key[0]:e.key[1]]...)
				out = append(out, ':')
				if e.kind == kindString {
					out = append(out, data[e.val[0]:e.val[1]]...)
					continue
				}
				// A kept non-string value is stored as its compact JSON text.
				var chars int
				out = append(out, '"')
				out, chars = appendJSONText(out, data[e.val[0]:e.val[1]])
				out = append(out, '"')
				if f.MaxLength > 0 && chars > f.MaxLength {
					st.out = out
					st.sc.pos = e.val[0]
					return st.sc.fail(RuleMaxLength, f.Name, "an unknown field's JSON text "+f.maxLenDetail)
				}
			}
			out = append(out, '}')
		case f.Type == schema.Timestamp:
			out = append(out, '"')
			out = appendTimestamp(out, civilFromMillis(v.ms))
			out = append(out, '"')
		case f.Type == schema.Double && v.end-v.start > maxDoubleToken:
			out = strconv.AppendFloat(out, v.f, 'g', -1, 64)
		default:
			out = append(out, data[v.start:v.end]...)
		}
	}
	st.out = append(out, '}')
	return true
}
