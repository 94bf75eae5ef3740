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

// span is a string token of the payload: its content, and whether it holds escapes.
type span struct {
	start, end int
	esc        bool
}

// rec is one record's fields while the payload is scanned: strings as 1-based indexes into
// decoder.spans (0: absent), data as a range of decoder.data (nil: absent).
type rec struct {
	id, shard, key, seq int
	data                [2]int
	hasData             bool
	arrival, kArrival   int64
	hasArrival, hasKArr bool
	subseq              int64
}

type decoder struct {
	sc    scanner
	recs  []rec
	data  []byte
	tmp   []byte
	spans []span // every string of the event, in payload order
	offs  [][2]int
}

// Keys, by position in a "seen" bit set.
const (
	kInvocation = iota
	kDelivery
	kSource
	kRegion
	kRecords
)

var (
	eventKeys  = []string{"invocationId", "deliveryStreamArn", "sourceKinesisStreamArn", "region", "records"}
	recordKeys = []string{"recordId", "approximateArrivalTimestamp", "data", "kinesisRecordMetadata"}
	metaKeys   = []string{"shardId", "partitionKey", "approximateArrivalTimestamp", "sequenceNumber", "subsequenceNumber"}
)

// key scans an object key and returns its index in keys, -1 for a key encoding/json ignores
// too, or ok=false for one it might match case-insensitively.
func (d *decoder) key(keys []string) (int, bool) {
	sc := &d.sc
	if sc.peek() != '"' {
		return 0, false
	}
	start := sc.pos + 1
	_, esc, ok := sc.str()
	if !ok || esc {
		return 0, false
	}
	k := sc.b[start : sc.pos-1]
	for i, want := range keys {
		if string(k) == want {
			return i, d.colon()
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
	return -1, d.colon()
}

func (d *decoder) colon() bool {
	d.sc.ws()
	if d.sc.peek() != ':' {
		return false
	}
	d.sc.pos++
	d.sc.ws()
	return true
}

// object scans {"k": v, ...} calling member for each known key (index) or skipping the
// value; a repeated known key fails.
func (d *decoder) object(keys []string, member func(i int) bool) bool {
	sc := &d.sc
	sc.ws()
	if sc.peek() != '{' {
		return false
	}
	sc.pos++
	sc.ws()
	if sc.peek() == '}' {
		sc.pos++
		return true
	}
	var seen uint32
	for {
		sc.ws()
		i, ok := d.key(keys)
		if !ok {
			return false
		}
		if i < 0 {
			if _, _, ok := sc.value(); !ok {
				return false
			}
		} else {
			if seen&(1<<i) != 0 || !member(i) {
				return false
			}
			seen |= 1 << i
		}
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.pos++
		case '}':
			sc.pos++
			return true
		default:
			return false
		}
	}
}

// str scans a string value and sets *dst to its 1-based span index.
func (d *decoder) str(dst *int) bool {
	sc := &d.sc
	if sc.peek() != '"' {
		return false
	}
	start := sc.pos + 1
	_, esc, ok := sc.str()
	if !ok {
		return false
	}
	d.spans = append(d.spans, span{start, sc.pos - 1, esc})
	*dst = len(d.spans)
	return true
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
	sc := &d.sc
	if sc.peek() != '"' {
		return false
	}
	start := sc.pos + 1
	_, esc, ok := sc.str()
	if !ok {
		return false
	}
	raw := sc.b[start : sc.pos-1]
	if esc {
		d.tmp = appendUnescaped(d.tmp[:0], raw)
		raw = d.tmp
	}
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

func (d *decoder) decode(payload []byte, ev *events.KinesisFirehoseEvent) bool {
	d.sc.reset(payload)
	d.recs, d.spans, d.data = d.recs[:0], d.spans[:0], d.data[:0]
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

	// One string holds every string of the event.
	n := 0
	for _, s := range d.spans {
		n += s.end - s.start // an upper bound: unescaping only shrinks
	}
	var sb strings.Builder
	sb.Grow(n)
	d.offs = d.offs[:0]
	for _, s := range d.spans {
		raw := payload[s.start:s.end]
		if s.esc {
			d.tmp = appendUnescaped(d.tmp[:0], raw)
			raw = d.tmp
		}
		d.offs = append(d.offs, [2]int{sb.Len(), sb.Len() + len(raw)})
		sb.Write(raw)
	}
	all := sb.String()
	str := func(i int) string {
		if i == 0 {
			return ""
		}
		o := d.offs[i-1]
		return all[o[0]:o[1]]
	}

	// One buffer holds every record's data; each record gets a full slice of its part.
	var data []byte
	if len(d.data) > 0 {
		data = append([]byte(nil), d.data...)
	}
	*ev = events.KinesisFirehoseEvent{
		InvocationID:           str(top[kInvocation]),
		DeliveryStreamArn:      str(top[kDelivery]),
		SourceKinesisStreamArn: str(top[kSource]),
		Region:                 str(top[kRegion]),
	}
	if !hasRecords {
		return true // encoding/json leaves Records nil
	}
	ev.Records = make([]events.KinesisFirehoseEventRecord, len(d.recs))
	for i := range d.recs {
		r, out := &d.recs[i], &ev.Records[i]
		out.RecordID = str(r.id)
		if r.hasData {
			if data == nil {
				out.Data = []byte{}
			} else {
				out.Data = data[r.data[0]:r.data[1]:r.data[1]]
			}
		}
		if r.hasArrival {
			out.ApproximateArrivalTimestamp = millis(r.arrival)
		}
		m := &out.KinesisFirehoseRecordMetadata
		m.ShardID, m.PartitionKey, m.SequenceNumber, m.SubsequenceNumber = str(r.shard), str(r.key), str(r.seq), r.subseq
		if r.hasKArr {
			m.ApproximateArrivalTimestamp = millis(r.kArrival)
		}
	}
	return true
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
	sc.pos++
	sc.ws()
	if sc.peek() == ']' {
		sc.pos++
		return true
	}
	for {
		sc.ws()
		d.recs = append(d.recs, rec{data: [2]int{-1, -1}})
		r := &d.recs[len(d.recs)-1]
		ok := d.object(recordKeys, func(i int) bool {
			switch i {
			case 0:
				return d.str(&r.id)
			case 1:
				r.hasArrival = true
				return d.int(&r.arrival)
			case 2:
				return d.bytes(r)
			}
			return d.object(metaKeys, func(i int) bool {
				switch i {
				case 0:
					return d.str(&r.shard)
				case 1:
					return d.str(&r.key)
				case 2:
					r.hasKArr = true
					return d.int(&r.kArrival)
				case 3:
					return d.str(&r.seq)
				}
				return d.int(&r.subseq)
			})
		})
		if !ok {
			return false
		}
		sc.ws()
		switch sc.peek() {
		case ',':
			sc.pos++
		case ']':
			sc.pos++
			return true
		default:
			return false
		}
	}
}
