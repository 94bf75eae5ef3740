package producer

import (
	"encoding/json"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/streamlake/streamlake/schema"
)

// IDField is the field that identifies an event: producers choose it, retries keep it, and
// the lake's queries count each value once.
const IDField = "event_id"

// TypeField is the field that says what happened.
const TypeField = "event_type"

// EventTypes are the kinds of learning-progress events the generator sends, most often first.
var EventTypes = []string{"progress", "progress", "progress", "progress", "play", "pause", "seek", "complete"}

// GeneratorOptions shape generated events. The zero value gives random, realistic events.
type GeneratorOptions struct {
	// EventType fixes event_type (verify tags its runs this way); empty picks from EventTypes.
	EventType string
	// Users is how many distinct partition keys (viewers) events spread over; default 1000.
	Users int
	// Attributes are added to every event's attributes map.
	Attributes map[string]string
	// IDPrefix makes event ids IDPrefix-000001, -000002, ...: predictable for a tagged run.
	// Empty gives random UUIDs (version 4), unique across runs and producers.
	IDPrefix string
	// Seed makes field values (not ids) reproducible; 0 seeds randomly.
	Seed uint64
	// Now is the clock for timestamps; default time.Now.
	Now func() time.Time
}

// Generator builds events from a schema: each client field gets a value chosen by its name
// (id, partition key, event time, event type) or else its type. Pipeline fields are left to the
// pipeline. A Generator is not safe for concurrent use.
type Generator struct {
	s    *schema.Schema
	o    GeneratorOptions
	rnd  *mrand.Rand
	seq  int
	pool map[string][]string // small value pools per string field, so ids repeat like real ones
}

// NewGenerator checks that s has what generation needs (a string id field, a partition key)
// and returns a generator.
func NewGenerator(s *schema.Schema, o GeneratorOptions) (*Generator, error) {
	if s == nil {
		return nil, fmt.Errorf("generator: schema is nil")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("generator: %w", err)
	}
	if f, ok := s.Field(IDField); !ok || f.Type != schema.String || f.Source != schema.Client {
		return nil, fmt.Errorf("generator: schema %q needs a client string field %q to identify events", s.Name, IDField)
	}
	if o.EventType != "" {
		f, ok := s.Field(TypeField)
		if !ok || f.Type != schema.String {
			return nil, fmt.Errorf("generator: EventType is set but schema %q has no string field %q", s.Name, TypeField)
		}
		if f.MaxLength > 0 && len(o.EventType) > f.MaxLength {
			return nil, fmt.Errorf("generator: event type %q is longer than %s's %d characters", o.EventType, TypeField, f.MaxLength)
		}
	}
	if o.Users <= 0 {
		o.Users = 1000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	seed := o.Seed
	if seed == 0 {
		seed = mrand.Uint64()
	}
	return &Generator{s: s, o: o, rnd: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), pool: map[string][]string{}}, nil
}

// Event returns the next event as field name -> value, ready for json.Marshal.
func (g *Generator) Event() map[string]any {
	g.seq++
	now := g.o.Now().UTC()
	ev := make(map[string]any, len(g.s.Fields))
	for _, f := range g.s.ClientFields() {
		var v any
		switch {
		case f.Name == IDField:
			v = g.id()
		case f.Name == g.s.PartitionKey:
			v = fmt.Sprintf("user-%06d", g.rnd.IntN(g.o.Users))
		case f.Name == TypeField && f.Type == schema.String:
			v = g.o.EventType
			if v == "" {
				v = EventTypes[g.rnd.IntN(len(EventTypes))]
			}
		case f.Type == schema.Timestamp:
			// The event time, and any other client timestamp, is "now" as the pipeline
			// writes it; the API also accepts other RFC 3339 offsets and epoch numbers.
			v = now.Format(schema.TimestampLayout)
		default:
			v = g.byType(f)
		}
		if s, ok := v.(string); ok && f.MaxLength > 0 && len(s) > f.MaxLength {
			v = s[:f.MaxLength]
		}
		ev[f.Name] = v
	}
	return ev
}

// doubleRanges are plausible ranges for the numeric fields of the default schema; other
// double fields get [minimum, minimum+1000).
var doubleRanges = map[string]float64{"position_sec": 3600, "watched_sec": 30}

func (g *Generator) byType(f schema.Field) any {
	switch f.Type {
	case schema.String:
		return g.pick(f.Name)
	case schema.Double:
		width, ok := doubleRanges[f.Name]
		if !ok {
			width = 1000
		}
		v := f.Minimum + g.rnd.Float64()*width
		return float64(int(v*10)) / 10
	case schema.Long:
		return int64(f.Minimum) + g.rnd.Int64N(1000)
	case schema.Boolean:
		return g.rnd.IntN(2) == 0
	case schema.StringMap:
		m := map[string]string{"source": "streamlake-send"}
		maps.Copy(m, g.o.Attributes)
		return m
	}
	return nil
}

// pick returns a value from a pool of 200 per field, named after the field
// (content_id -> content-0042).
func (g *Generator) pick(field string) string {
	p, ok := g.pool[field]
	if !ok {
		stem := strings.ReplaceAll(strings.TrimSuffix(field, "_id"), "_", "-")
		p = make([]string, 200)
		for i := range p {
			p[i] = fmt.Sprintf("%s-%04d", stem, i)
		}
		g.pool[field] = p
	}
	return p[g.rnd.IntN(len(p))]
}

func (g *Generator) id() string {
	if g.o.IDPrefix != "" {
		return fmt.Sprintf("%s-%06d", g.o.IDPrefix, g.seq)
	}
	return uuid.NewString() // random, version 4
}

// Next returns the next event as a Record.
func (g *Generator) Next() (Record, error) {
	return g.Record(g.Event())
}

// Record encodes an event of this generator's schema as a Record.
func (g *Generator) Record(ev map[string]any) (Record, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return Record{}, fmt.Errorf("encode event: %w", err)
	}
	id, _ := ev[IDField].(string)
	key, _ := ev[g.s.PartitionKey].(string)
	if id == "" || key == "" {
		return Record{}, fmt.Errorf("event without %s or %s: %s", IDField, g.s.PartitionKey, data)
	}
	return Record{ID: id, PartitionKey: key, Data: data}, nil
}
