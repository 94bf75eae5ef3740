package transform

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// decodeEvent decodes a Firehose invocation payload into ev exactly as json.Unmarshal would
// (FuzzDecodeEvent holds it to that), but with a handful of allocations per batch instead of
// several per record: every string of the event is a slice of one string, every record's data
// a slice of one buffer. Payloads outside the usual shape (keys spelled in another case,
// nulls, repeated keys, fractional numbers, invalid UTF-8) are left to encoding/json.
func decodeEvent(payload []byte, ev *events.KinesisFirehoseEvent) error {
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	if d.decode(payload, ev) {
		return nil
	}
	*ev = events.KinesisFirehoseEvent{}
	return json.Unmarshal(payload, ev)
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

// rec is one record's fields while the payload is scanned: strings as 1-based indexes into
// decoder.strs (0: absent), data as a range of decoder.data.
type rec struct {
	id, shard, key, seq int
	data                [2]int
	hasData             bool
	arrival, kArrival   int64
	hasArrival, hasKArr bool
	subseq              int64
}

type decoder struct {
	sc   scanner
	recs []rec
	data []byte
	tmp  []byte
	strs []token  // every string of the event, in payload order
	offs [][2]int // where each of strs is in all
	all  string
}

// Keys, by position in a "seen" bit set.
const (
	kInvocation = iota
	kDelivery
	kSource
	kRegion
	kRecords
)

const (
	rID = iota
	rArrival
	rData
	rMetadata
)

const (
	mShard = iota
	mPartitionKey
	mArrival
	mSequence
	mSubsequence
)

var (
	eventKeys  = []string{"invocationId", "deliveryStreamArn", "sourceKinesisStreamArn", "region", "records"}
	recordKeys = []string{"recordId", "approximateArrivalTimestamp", "data", "kinesisRecordMetadata"}
	metaKeys   = []string{"shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"}
)

// known returns the index of key in keys, -1 for a key encoding/json ignores too, or
// ok=false for one it might match case-insensitively (or that holds escapes).
func (d *decoder) known(keys []string, key token) (int, bool) {
	if key.esc {
		return 0, false
	}
	k := d.sc.b[key.start:key.end]
	for i, want := range keys {
		if string(k) == want {
			return i, true
		}
	}
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return 0, false // Unicode case folding: leave it to encoding/json
		}
	}
	for _, want := range keys {
		if strings.EqualFold(string(k), want) {
			return 0, false
		}
	}
	return -1, true
}

// object scans {"k": v, ...} calling member for each known key (index) or skipping the
// value; a repeated known key fails.
func (d *decoder) object(keys []string, member func(i int) bool) bool {
	sc := &d.sc
	sc.ws()
	if sc.peek() != '{' {
		return false
	}
	var seen uint32
	return sc.members(func(key token) bool {
		i, ok := d.known(keys, key)
		switch {
		case !ok:
			return false
		case i < 0:
			_, _, ok := sc.value()
			return ok
		case seen&(1<<i) != 0:
			return false
		}
		seen |= 1 << i
		return member(i)
	})
}

// string scans a value that must be a string.
func (d *decoder) string() (token, bool) {
	if d.sc.peek() != '"' {
		return token{}, false
	}
	return d.sc.str()
}

// str scans a string value and sets *dst to its 1-based index in d.strs.
func (d *decoder) str(dst *int) bool {
	tok, ok := d.string()
	if ok {
		d.strs = append(d.strs, tok)
		*dst = len(d.strs)
	}
	return ok
}

// int scans an integer value as encoding/json decodes into int64.
func (d *decoder) int(dst *int64) bool {
	sc := &d.sc
	start := sc.pos
	if kindOf(sc.peek()) != kindNumber {
		return false
	}
	isInt, ok := sc.num()
	if !ok || !isInt {
		return false
	}
	v, err := strconv.ParseInt(string(sc.b[start:sc.pos]), 10, 64)
	*dst = v
	return err == nil
}

// bytes scans a base64 string value into the data buffer, as encoding/json decodes []byte.
func (d *decoder) bytes(r *rec) bool {
	tok, ok := d.string()
	if !ok {
		return false
	}
	raw := tok.text(d.sc.b, &d.tmp)
	off := len(d.data)
	d.data = append(d.data, make([]byte, b64.DecodedLen(len(raw)))...)
	n, err := b64.Decode(d.data[off:], raw)
	if err != nil {
		return false
	}
	d.data = d.data[:off+n]
	r.data, r.hasData = [2]int{off, off + n}, true
	return true
}

// decode scans the payload, then builds ev from what it found.
func (d *decoder) decode(payload []byte, ev *events.KinesisFirehoseEvent) bool {
	d.sc.reset(payload)
	d.recs, d.strs, d.data = d.recs[:0], d.strs[:0], d.data[:0]
	var top [kRecords]int
	hasRecords := false
	ok := d.object(eventKeys, func(i int) bool {
		if i == kRecords {
			hasRecords = true
			return d.records()
		}
		return d.str(&top[i])
	})
	if !ok {
		return false
	}
	d.sc.ws()
	if d.sc.pos != len(payload) {
		return false
	}
	d.joinStrings()
	*ev = events.KinesisFirehoseEvent{
		InvocationID:           d.text(top[kInvocation]),
		DeliveryStreamArn:      d.text(top[kDelivery]),
		SourceKinesisStreamArn: d.text(top[kSource]),
		Region:                 d.text(top[kRegion]),
	}
	if hasRecords { // else encoding/json leaves Records nil
		ev.Records = d.firehoseRecords()
	}
	d.all = "" // the pool keeps the decoder, not the event's strings
	return true
}

// joinStrings copies every string of the event, unescaped, into one string.
func (d *decoder) joinStrings() {
	n := 0
	for _, s := range d.strs {
		n += s.end - s.start // an upper bound: unescaping only shrinks
	}
	var sb strings.Builder
	sb.Grow(n)
	d.offs = d.offs[:0]
	for _, s := range d.strs {
		raw := s.text(d.sc.b, &d.tmp)
		d.offs = append(d.offs, [2]int{sb.Len(), sb.Len() + len(raw)})
		sb.Write(raw)
	}
	d.all = sb.String()
}

// text returns the string a rec's 1-based index names; "" for 0.
func (d *decoder) text(i int) string {
	if i == 0 {
		return ""
	}
	o := d.offs[i-1]
	return d.all[o[0]:o[1]]
}

// firehoseRecords builds the records; one buffer holds every record's data, and each record
// gets a full slice of its part.
func (d *decoder) firehoseRecords() []events.KinesisFirehoseEventRecord {
	var data []byte
	if len(d.data) > 0 {
		data = append([]byte(nil), d.data...)
	}
	out := make([]events.KinesisFirehoseEventRecord, len(d.recs))
	for i := range d.recs {
		r, o := &d.recs[i], &out[i]
		o.RecordID = d.text(r.id)
		if r.hasData {
			if data == nil {
				o.Data = []byte{}
			} else {
				o.Data = data[r.data[0]:r.data[1]:r.data[1]]
			}
		}
		if r.hasArrival {
			o.ApproximateArrivalTimestamp = millis(r.arrival)
		}
		m := &o.KinesisFirehoseRecordMetadata
		m.ShardID, m.PartitionKey, m.SequenceNumber, m.SubsequenceNumber = d.text(r.shard), d.text(r.key), d.text(r.seq), r.subseq
		if r.hasKArr {
			m.ApproximateArrivalTimestamp = millis(r.kArrival)
		}
	}
	return out
}

// millis is events.MilliSecondsEpochTime's decoding of an integer.
func millis(ms int64) events.MilliSecondsEpochTime {
	return events.MilliSecondsEpochTime{Time: time.Unix(ms/1000, (ms%1000)*1000000)}
}

// records scans the records array.
func (d *decoder) records() bool {
	sc := &d.sc
	if sc.peek() != '[' {
		return false
	}
	return sc.elements(func() bool {
		d.recs = append(d.recs, rec{data: [2]int{-1, -1}})
		return d.record(&d.recs[len(d.recs)-1])
	})
}

// record scans one record object.
func (d *decoder) record(r *rec) bool {
	return d.object(recordKeys, func(i int) bool {
		switch i {
		case rID:
			return d.str(&r.id)
		case rArrival:
			r.hasArrival = true
			return d.int(&r.arrival)
		case rData:
			return d.bytes(r)
		}
		return d.object(metaKeys, func(i int) bool {
			switch i {
			case mShard:
				return d.str(&r.shard)
			case mPartitionKey:
				return d.str(&r.key)
			case mArrival:
				r.hasKArr = true
				return d.int(&r.kArrival)
			case mSequence:
				return d.str(&r.seq)
			}
			return d.int(&r.subseq)
		})
	})
}
