package locallake

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/producer"
)

// maxLine bounds one input line: API Gateway's payload limit, and a little more so that a
// longer event still reaches the API and is refused there (413).
const maxLine = apisim.MaxBodyBytes + 1<<20

// generatedSpread is how far back generated event times reach, so the saved queries' hourly
// and daily windows have something to show.
const generatedSpread = 24 * time.Hour

// sent is what the API did with the events.
type sent struct {
	summary  producer.Summary
	rejected []Rejection
	// refused are the batch requests the API refused whole, in input order.
	refused []RefusedBatch
}

// send posts a lane's events to its dataset's routes of the ingest API as a client would, on
// the chosen route.
func (r *runner) send(ctx context.Context, l *lane) (*sent, error) {
	src, err := r.source(l)
	if err != nil {
		return nil, err
	}
	events, batch := apispec.RoutesOf(l.d.Name).URLs(r.apiURL)
	p := &recorder{Putter: &producer.APIPutter{EventsURL: events, BatchURL: batch, Auth: r.apiAuth, Batch: r.o.Route == RouteBatch,
		UserAgent: "streamlake-local"}, reasons: map[int]string{}, batch: r.o.Route == RouteBatch}
	r.progress("sending events%s to the API's %s route", l.note(), r.o.Route)
	sum, err := producer.Run(ctx, src, p, producer.RunOptions{Count: r.o.Count, Concurrency: 8, Retry: producer.DefaultRetryPolicy()})
	if err != nil {
		return nil, fmt.Errorf("send: %w", err)
	}
	out := &sent{summary: sum, refused: p.refusedBatches()}
	dataset := ""
	if !l.d.IsDefault() {
		dataset = l.d.Name
	}
	for _, line := range slices.Sorted(maps.Keys(p.reasons)) {
		out.rejected = append(out.rejected, Rejection{Line: line, Reason: p.reasons[line], Dataset: dataset})
	}
	for i := range out.refused {
		out.refused[i].Dataset = dataset
	}
	if len(out.refused) > 0 {
		r.progress("the API refused %s whole%s, each with every event in it: %s; %s", requests(len(out.refused)), l.note(),
			batchSizes(out.refused), singleRouteAdvice)
	}
	if lost := sum.Events - sum.Delivered - len(out.rejected); lost != 0 {
		return nil, fmt.Errorf("send: %d of %d events were neither stored nor refused by the API (%v)", lost, sum.Events, sum.Reasons)
	}
	return out, nil
}

// source yields the input's lines, or Count generated events; a record's ID is its line in
// the input (1 is the first), or its position among the generated events.
func (r *runner) source(l *lane) (producer.Source, error) {
	if r.o.Input == "" {
		g, err := r.generator(l)
		if err != nil {
			return nil, err
		}
		return &numbered{g: g}, nil
	}
	recs, err := readLines(r.o.Input)
	if err != nil {
		return nil, err
	}
	return producer.SliceSource(recs), nil
}

// generator makes valid events of a lane's dataset, their times spread over the last day.
func (r *runner) generator(l *lane) (*producer.Generator, error) {
	seed := r.o.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	now := time.Now()
	return producer.NewGenerator(l.d.Schema, producer.GeneratorOptions{
		Seed: seed,
		Now:  func() time.Time { return now.Add(-time.Duration(rnd.Int64N(int64(generatedSpread)))) },
	})
}

// numbered numbers generated records 1, 2, ... in their ID.
type numbered struct {
	g *producer.Generator
	n int
}

func (s *numbered) Next() (producer.Record, error) {
	rec, err := s.g.Next()
	s.n++
	rec.ID = strconv.Itoa(s.n)
	return rec, err
}

// readLines reads an input file: one event per line, sent as written; blank lines are
// skipped. The API takes the partition key from the event itself: the records' keys only
// satisfy the client's checks.
func readLines(name string) ([]producer.Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var recs []producer.Record
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		id := strconv.Itoa(line)
		recs = append(recs, producer.Record{ID: id, PartitionKey: "line-" + id, Data: bytes.Clone(b)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--input %s: line %d: %w", name, line+1, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("--input %s holds no events (every line is blank)", name)
	}
	return recs, nil
}

// recorder remembers, per event, why the API refused it, and the batch requests it refused
// whole. Its limits let every event reach the API, whatever its size, so that the API (not the
// client) decides.
type recorder struct {
	producer.Putter
	batch   bool // the batch route: a refused request takes every event in it
	mu      sync.Mutex
	reasons map[int]string // by record ID
	refused []RefusedBatch
}

// Limits implements producer.Putter.
func (p *recorder) Limits() producer.Limits {
	l := p.Putter.Limits()
	l.MaxRecordBytes = maxLine
	return l
}

// Put implements producer.Putter.
func (p *recorder) Put(ctx context.Context, recs []producer.Record) (producer.Result, error) {
	res, err := p.Putter.Put(ctx, recs)
	var re *producer.RequestError
	if errors.As(err, &re) && re.Action == producer.Reject {
		why := reason(re.Status, re.Message)
		p.reject(recs, why)
		if p.batch {
			p.refuse(recs, why)
		}
	}
	for _, f := range res.Rejected {
		if f.Index >= 0 && f.Index < len(recs) {
			p.reject(recs[f.Index:f.Index+1], f.Code+": "+f.Message)
		}
	}
	return res, err
}

func (p *recorder) reject(recs []producer.Record, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range recs {
		n, _ := strconv.Atoi(r.ID)
		p.reasons[n] = why
	}
}

// refuse notes a batch request the API refused whole.
func (p *recorder) refuse(recs []producer.Record, why string) {
	b := RefusedBatch{Events: len(recs), Reason: why}
	for _, r := range recs {
		n, _ := strconv.Atoi(r.ID)
		if b.FirstLine == 0 || n < b.FirstLine {
			b.FirstLine = n
		}
		b.LastLine = max(b.LastLine, n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = append(p.refused, b)
}

// refusedBatches are the refused batch requests in input order (requests run concurrently).
func (p *recorder) refusedBatches() []RefusedBatch {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.SortedFunc(slices.Values(p.refused), func(a, b RefusedBatch) int { return a.FirstLine - b.FirstLine })
}

// reason is the API's answer without its request id, so equal answers group together.
func reason(status int, msg string) string {
	msg, _, _ = strings.Cut(msg, " (request_id ")
	return fmt.Sprintf("HTTP %d: %s", status, msg)
}
