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
	key     token  // the key in the data
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
	arrivalTS []byte
	// The record's event time as written, for its partition keys.
	eventTS [len(timestampTemplate)]byte
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
	if !sc.members(func(key token) bool { return t.member(st, key, arrivalMs) }) {
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
	return sc.failAt(0, RuleObject, "", "an event must be a JSON object")
}

// member checks one top-level member, pos at its value: a schema field or an unknown one.
func (t *Transformer) member(st *state, key token, arrivalMs int64) bool {
	name := key.text(st.sc.b, &st.tmp)
	if fi := t.lookup(name); fi >= 0 {
		return t.field(st, fi, arrivalMs)
	}
	return t.unknownField(st, name, key)
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
func (t *Transformer) unknownField(st *state, name []byte, key token) bool {
	sc := &st.sc
	if t.unknown == schema.RejectUnknown {
		return sc.failAt(key.start-1, RuleUnknownField, safeKey(name), "not in the schema (unknownFields=reject)")
	}
	ex := &t.fields[t.extras]
	if ex.MaxLength > 0 && key.chars > ex.MaxLength {
		return sc.failAt(key.start-1, RuleMaxLength, ex.Name, "an unknown field's name "+ex.maxLenDetail)
	}
	vs := sc.pos
	kind, chars, ok := sc.value()
	if !ok {
		return false
	}
	if kind == kindString && ex.MaxLength > 0 && chars > ex.MaxLength {
		return sc.failAt(vs, RuleMaxLength, ex.Name, "an unknown field's value "+ex.maxLenDetail)
	}
	st.entries = append(st.entries, entry{key: key, val: [2]int{vs, sc.pos}, kind: kind, chars: chars, unknown: true})
	return true
}

// field validates the value at pos for schema field fi.
func (t *Transformer) field(st *state, fi int, arrivalMs int64) bool {
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
	var ok bool
	switch f.Type {
	case schema.String:
		ok = stringField(sc, f, k)
	case schema.Double:
		v.f, ok = doubleField(sc, f, k)
	case schema.Long:
		ok = longField(sc, f, k)
	case schema.Boolean:
		ok = sc.expect(k, kindBool, f.Name, "must be true or false") && sc.lit()
	case schema.Timestamp:
		v.ms, ok = t.timestampField(st, f, k, arrivalMs)
	case schema.StringMap:
		ok = sc.expect(k, kindObject, f.Name, "must be an object of strings") && t.stringMap(st, f)
	}
	if !ok {
		return false
	}
	v.set, v.start, v.end = true, start, sc.pos
	return true
}

// stringField checks a string: not empty when required, within MaxLength.
func stringField(sc *scanner, f *field, k int) bool {
	start := sc.pos
	if !sc.expect(k, kindString, f.Name, "must be a string") {
		return false
	}
	tok, ok := sc.str()
	switch {
	case !ok:
		return false
	case tok.chars == 0 && f.Required:
		return sc.failAt(start, RuleEmpty, f.Name, "required string is empty")
	case f.MaxLength > 0 && tok.chars > f.MaxLength:
		return sc.failAt(start, RuleMaxLength, f.Name, f.maxLenDetail)
	}
	return true
}

// doubleField checks a number that fits a double and is not below Minimum.
func doubleField(sc *scanner, f *field, k int) (float64, bool) {
	start := sc.pos
	if !sc.expect(k, kindNumber, f.Name, "must be a number") {
		return 0, false
	}
	if _, ok := sc.num(); !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(string(sc.b[start:sc.pos]), 64)
	switch {
	case err != nil:
		return 0, sc.failAt(start, RuleNumberRange, f.Name, "does not fit a double")
	case f.HasMinimum && x < f.Minimum:
		return 0, sc.failAt(start, RuleMinimum, f.Name, f.minDetail)
	}
	return x, true
}

// longField checks an integer literal that fits a bigint and is not below Minimum.
func longField(sc *scanner, f *field, k int) bool {
	start := sc.pos
	if !sc.expect(k, kindNumber, f.Name, "must be an integer") {
		return false
	}
	isInt, ok := sc.num()
	if !ok {
		return false
	}
	if !isInt {
		return sc.failAt(start, RuleType, f.Name, "must be an integer (no fraction or exponent)")
	}
	x, err := strconv.ParseInt(string(sc.b[start:sc.pos]), 10, 64)
	switch {
	case err != nil:
		return sc.failAt(start, RuleNumberRange, f.Name, "does not fit a bigint")
	case f.HasMinimum && float64(x) < f.Minimum:
		return sc.failAt(start, RuleMinimum, f.Name, f.minDetail)
	}
	return true
}

// timestampField reads a client timestamp and checks it lies between Options.MinEventTime
// and the arrival plus Options.MaxFutureSkew.
func (t *Transformer) timestampField(st *state, f *field, k int, arrivalMs int64) (int64, bool) {
	start := st.sc.pos
	ms, ok := t.timestamp(st, f, k)
	switch {
	case !ok:
		return 0, false
	case ms < t.minMs:
		return 0, st.sc.failAt(start, RuleTimestampRange, f.Name, t.minDetail)
	case ms > min(arrivalMs+t.skewMs, maxMillis):
		return 0, st.sc.failAt(start, RuleTimestampRange, f.Name, t.skewDetail)
	}
	return ms, true
}

// timestamp reads a client timestamp: an RFC 3339 string or an epoch number.
func (t *Transformer) timestamp(st *state, f *field, k int) (int64, bool) {
	sc := &st.sc
	start := sc.pos
	switch k {
	case kindString:
		tok, ok := sc.str()
		if !ok {
			return 0, false
		}
		ms, ok := parseRFC3339(tok.text(sc.b, &st.tmp))
		if !ok {
			return 0, sc.failAt(start, RuleTimestampFormat, f.Name, "must be RFC 3339 (e.g. 2024-05-01T12:00:00.000+02:00) or epoch seconds/milliseconds as a JSON number")
		}
		return ms, true
	case kindNumber:
		if _, ok := sc.num(); !ok {
			return 0, false
		}
		ms, ok := parseEpoch(sc.b[start:sc.pos])
		if !ok {
			return 0, sc.failAt(start, RuleTimestampRange, f.Name, t.minDetail)
		}
		return ms, true
	}
	return 0, sc.fail(RuleType, f.Name, "must be an RFC 3339 string or an epoch number")
}

// stringMap validates a map<string,string> value at pos ('{') and records its entries.
func (t *Transformer) stringMap(st *state, f *field) bool {
	sc := &st.sc
	return sc.members(func(key token) bool {
		vs := sc.pos
		switch kindOf(sc.peek()) {
		case kindString:
		case kindInvalid:
			return sc.fail(RuleJSON, "", "value expected")
		default:
			return sc.fail(RuleType, f.Name, "values must be strings")
		}
		val, ok := sc.str()
		switch {
		case !ok:
			return false
		case f.MaxLength > 0 && key.chars > f.MaxLength:
			return sc.failAt(key.start-1, RuleMaxLength, f.Name, "a key "+f.maxLenDetail)
		case f.MaxLength > 0 && val.chars > f.MaxLength:
			return sc.failAt(vs, RuleMaxLength, f.Name, "a value "+f.maxLenDetail)
		}
		st.entries = append(st.entries, entry{key: key, val: [2]int{vs, sc.pos}, kind: kindString, chars: val.chars})
		return true
	})
}

// checkKeys rejects duplicate keys among the extras map's entries, compared unescaped.
func (t *Transformer) checkKeys(st *state, data []byte) bool {
	st.arena = st.arena[:0]
	for i := range st.entries {
		e := &st.entries[i]
		off := len(st.arena)
		st.arena = appendUnescaped(st.arena, data[e.key.start:e.key.end])
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
	at := b.key.start - 1
	ex := t.fields[t.extras].Name
	switch {
	case a.unknown && b.unknown:
		return st.sc.failAt(at, RuleDuplicateKey, safeKey(key), "field appears twice")
	case !a.unknown && !b.unknown:
		return st.sc.failAt(at, RuleDuplicateKey, ex, "a key appears twice")
	}
	return st.sc.failAt(at, RuleExtrasConflict, safeKey(key), "unknown field has the name of a key already in "+ex)
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
			out = st.appendArrival(out, arrivalMs)
		case fi == t.extras:
			var ok bool
			if out, ok = t.appendExtras(st, out, data); !ok {
				st.out = out
				return false
			}
		case f.Type == schema.Timestamp:
			out = appendTimestamp(append(out, '"'), v.ms)
			if fi == t.eventTime {
				copy(st.eventTS[:], out[len(out)-len(st.eventTS):])
			}
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

// appendArrival appends the quoted arrival time, formatted once while records share it.
func (st *state) appendArrival(out []byte, arrivalMs int64) []byte {
	if st.arrivalMs != arrivalMs || len(st.arrivalTS) == 0 {
		st.arrivalMs = arrivalMs
		st.arrivalTS = appendTimestamp(st.arrivalTS[:0], arrivalMs)
	}
	out = append(out, '"')
	out = append(out, st.arrivalTS...)
	return append(out, '"')
}

// appendExtras appends the extras map: the producer's entries and the unknown fields kept,
// in data order. A kept non-string value is stored as its compact JSON text, which must fit
// the map's MaxLength too.
func (t *Transformer) appendExtras(st *state, out, data []byte) ([]byte, bool) {
	f := &t.fields[t.extras]
	out = append(out, '{')
	for j := range st.entries {
		e := &st.entries[j]
		if j > 0 {
			out = append(out, ',')
		}
		out = append(out, e.key.quoted(data)...)
		out = append(out, ':')
		if e.kind == kindString {
			out = append(out, data[e.val[0]:e.val[1]]...)
			continue
		}
		var chars int
		out = append(out, '"')
		out, chars = appendJSONText(out, data[e.val[0]:e.val[1]])
		out = append(out, '"')
		if f.MaxLength > 0 && chars > f.MaxLength {
			return out, st.sc.failAt(e.val[0], RuleMaxLength, f.Name, "an unknown field's JSON text "+f.maxLenDetail)
		}
	}
	return append(out, '}'), true
}
