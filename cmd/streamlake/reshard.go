package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/shardplan"
	"github.com/streamlake/streamlake/stackconfig"
	"github.com/streamlake/streamlake/stackfile"
)

// Sources of the current shard count.
const (
	fromFlag      = "--current"
	fromLive      = "live stream"
	fromStackFile = "stack file"
)

// currentShards is where a resharding starts: the count, where it came from, and what the
// stack file and the live stream each say.
type currentShards struct {
	stack string
	// dataset is the dataset whose stream and stack-file settings these are.
	dataset schema.Dataset
	count   int // 0: unknown
	source  string
	// root is the project directory; file is the stack file's settings (nil: not read).
	root     string
	file     *stackfile.Ops
	live     liveShards
	liveRead bool
	// onDemand: the stream sizes itself, shardCount does not apply.
	onDemand bool
	// disagree is set when the stack file and the live stream name different counts.
	disagree bool
	warnings []string
}

// findCurrent reads the stack file (with --stack) and the live stream (when outputs can be
// read and --current is not given). The live count wins: AWS steps from the open shards and
// the preview checks each change against them, so a path from any other count could be
// refused; the stack file is only what the next pull request edits.
func findCurrent(ctx context.Context, e *env, f *shardsFlags) (currentShards, error) {
	c := currentShards{stack: f.stack, dataset: f.ds, count: f.current, source: fromFlag}
	if f.stack != "" {
		if err := c.readFile(e); err != nil {
			if f.to > 0 {
				return c, err
			}
			c.warnings = append(c.warnings, err.Error())
		}
	}
	if f.current == 0 && (f.stack != "" || f.output != "") {
		live, err := readLiveShards(ctx, f.stackOutputs(e), f.aws)
		switch {
		case err != nil && live.name != "":
			return c, err // the stream exists but is changing: no plan until it is ACTIVE
		case err != nil && c.file == nil:
			return c, fmt.Errorf("%w; pass --current N to plan without the live stream", err)
		case err != nil:
			c.warnings = append(c.warnings, fmt.Sprintf("the live stream was not read (%v): planning from %s, whose count CI's preview checks against the live stream", err, c.file.File))
		default:
			c.live, c.liveRead = live, true
		}
	}
	c.settle()
	return c, nil
}

// region is the stack's region: its stack file's aws:region, else the live stream's.
func (c currentShards) region() string {
	if c.file != nil && c.file.Region != "" {
		return c.file.Region
	}
	return c.live.region
}

// readFile reads the stack file's settings from the project directory.
func (c *currentShards) readFile(e *env) error {
	dir := e.dir
	if dir == "" {
		dir = "."
	}
	root, err := stackfile.FindRoot(dir)
	if err != nil {
		return fmt.Errorf("stack file of %s: %w", c.stack, err)
	}
	ops, err := stackfile.ReadDatasetOps(root, c.stack, c.dataset.Name)
	if err != nil {
		return fmt.Errorf("stack file of %s: %w", c.stack, err)
	}
	c.root, c.file = root, &ops
	return nil
}

// settle picks the count and notes disagreements.
func (c *currentShards) settle() {
	switch {
	case c.count > 0:
	case c.liveRead:
		c.count, c.source = c.live.open, fromLive
	case c.file != nil:
		c.count, c.source = c.file.ShardCount, fromStackFile
	}
	c.onDemand = (c.liveRead && c.live.mode == awsrules.OnDemand) || (c.file != nil && c.file.OnDemand())
	if c.onDemand {
		c.count = 0
		return
	}
	if c.file == nil || c.file.ShardCount == c.count {
		return
	}
	c.disagree = true
	if c.source == fromLive {
		c.warnings = append(c.warnings, fmt.Sprintf("%s says shardCount %d but stream %s has %d open shards: a change is merged but not deployed yet (or its deploy failed, or the stream was changed outside the repository); let the deploy finish (or fix it) before the next step",
			c.file.File, c.file.ShardCount, c.live.name, c.live.open))
		return
	}
	c.warnings = append(c.warnings, fmt.Sprintf("--current %d differs from shardCount %d in %s: the path starts from --current, and the edit of a step is given only when the two agree",
		c.count, c.file.ShardCount, c.file.File))
}

// describe says where the count came from, in words.
func (c currentShards) describe() string {
	switch c.source {
	case fromLive:
		s := fmt.Sprintf("%d open shards of live stream %s", c.live.open, c.live.name)
		if c.file != nil {
			s += fmt.Sprintf("; %s says %d", c.file.File, c.file.ShardCount)
		}
		return s
	case fromStackFile:
		return fmt.Sprintf("%d in %s (live stream not read)", c.count, c.file.File)
	}
	return fmt.Sprintf("%d (--current)", c.count)
}

// reshardPlan is the path to a target count and the edit of its next step.
type reshardPlan struct {
	current currentShards
	target  int
	steps   []shardplan.Step
	next    *nextEdit // nil: no step, or no stack file to edit
	written bool
	refused string // why --write did not write (exit 1)
}

// nextEdit is the one change of the next pull request.
type nextEdit struct {
	path, file, key string
	// keyPath are the keys under key down to the dataset's own shardCount (nil: key itself).
	keyPath []string
	// shared: the dataset takes the stack's shardCount, which other datasets share.
	shared   bool
	from, to int
	fromSet  bool // the stack file sets shardCount (else the default applies)
	comment  string
	command  string // the command that makes the edit
}

func newReshardPlan(cur currentShards, target int, f *shardsFlags) (*reshardPlan, error) {
	r := &reshardPlan{current: cur, target: target}
	if cur.onDemand || cur.count == 0 {
		return r, nil
	}
	var err error
	if r.steps, err = shardplan.Reshard(cur.count, target); err != nil {
		return nil, err
	}
	if len(r.steps) == 0 || cur.file == nil || cur.disagree {
		return r, nil
	}
	step := r.steps[0]
	comment, err := capacityComment(step.To, cur.dataset.Schema)
	if err != nil {
		return nil, err
	}
	r.next = &nextEdit{
		path: stackfile.Path(cur.root, cur.stack), file: cur.file.File, key: stackfile.Qualify(cur.file.Project, stackfile.KeyShardCount),
		from: cur.file.ShardCount, fromSet: cur.file.ShardCountSet, to: step.To, comment: comment,
		command: fmt.Sprintf("streamlake shards --to %d --stack %s --write%s%s", target, cur.stack, datasetArg(cur.dataset), cur.currentArg()),
	}
	if cur.file.ShardCountPath != nil {
		r.next.key, r.next.keyPath = stackfile.Qualify(cur.file.Project, stackfile.KeyDatasets), cur.file.ShardCountPath
	} else if !cur.dataset.IsDefault() {
		r.next.shared = true
	}
	return r, nil
}

// currentArg is the --current argument a --write command needs: the count given, or a
// placeholder for the live one when it was not read (--write refuses the stack file's).
func (c currentShards) currentArg() string {
	switch c.source {
	case fromFlag:
		return fmt.Sprintf(" --current %d", c.count)
	case fromStackFile:
		return " --current N"
	}
	return ""
}

// unknownLiveCount is why --write refuses a count read from the stack file alone: nothing
// shows whether the file's last step is deployed, so two runs would write two steps (4 -> 8,
// then 8 -> 9) before CI deployed the first.
func (c currentShards) unknownLiveCount() string {
	stream := c.live.name
	if stream == "" && c.file != nil {
		stream = stackconfig.NamesOf(c.file.Project, c.stack, cmp.Or(c.dataset.Name, schema.DefaultDataset)).Stream
	}
	return fmt.Sprintf("not written: the live stream's open shard count was not read (see the warning), and the stack file's %d may be a step "+
		"that is merged but not deployed; run where the stack's outputs and stream %s can be read, or pass --current N with the stream's open shards "+
		"(aws kinesis describe-stream-summary --stream-name %s --query StreamDescriptionSummary.OpenShardCount)", c.count, stream, stream)
}

// name is the edited key as the output shows it: nested keys joined with dots
// (streamlake:datasets.quiz_answers.shardCount).
func (n *nextEdit) name() string {
	return strings.Join(append([]string{n.key}, n.keyPath...), ".")
}

// datasetArg is the --dataset argument of a command for a dataset other than the default.
func datasetArg(ds schema.Dataset) string {
	if ds.IsDefault() || ds.Name == "" {
		return ""
	}
	return " --dataset " + ds.Name
}

// write applies the next step's edit to the stack file, or says why it will not.
func (r *reshardPlan) write() error {
	switch {
	case r.current.onDemand:
		r.refused = "not written: the stream is ON_DEMAND, shardCount does not apply"
	case len(r.steps) == 0:
		r.refused = fmt.Sprintf("not written: the stream already has %d shards", r.current.count)
	case r.current.disagree:
		r.refused = "not written: the stack file's shardCount is not the current count (see the warning); one step at a time"
	case r.current.source == fromStackFile:
		r.refused = r.current.unknownLiveCount()
	case r.next == nil:
		r.refused = "not written: no stack file to edit"
	case r.next.shared:
		r.refused = fmt.Sprintf("not written: dataset %s takes the stack's streamlake:shardCount, which the other datasets share; "+
			"give it its own first (streamlake:datasets: {%s: {shardCount: %d}} in %s), then run this again", r.current.dataset.Name,
			r.current.dataset.Name, r.next.from, r.next.file)
	}
	if r.refused != "" {
		return nil
	}
	info, err := os.Stat(r.next.path)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(r.next.path)
	if err != nil {
		return err
	}
	out, err := stackfile.Edit{Key: r.next.key, Path: r.next.keyPath, Value: strconv.Itoa(r.next.to), Comment: r.next.comment, CommentPrefix: capacityPrefix}.Apply(src)
	if err != nil {
		return fmt.Errorf("%s: %w", r.next.file, err)
	}
	if err := os.WriteFile(r.next.path, out, info.Mode().Perm()); err != nil {
		return fmt.Errorf("write %s: %w", r.next.file, err)
	}
	r.written = true
	return nil
}

// capacityPrefix starts the comment the tool keeps above shardCount in a stack file.
const capacityPrefix = "capacity (streamlake shards):"

// Assumptions of the capacity comment: the tool's defaults.
const (
	capacityConsumers = 1
	capacityHeadroom  = 25
)

// capacityComment is the comment above shardCount: the peak n shards carry with the planner's
// default headroom, for generated schema events (the size `shards` measures by default).
func capacityComment(n int, s *schema.Schema) (string, error) {
	size, err := measureEventBytes(s)
	if err != nil {
		return "", err
	}
	c, err := shardplan.Capacity(n, shardplan.Workload{AvgRecordBytes: size, Consumers: capacityConsumers, HeadroomPct: capacityHeadroom}, shardplan.DefaultLimits())
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s a peak of %d events/s of %.0f B (%d %% headroom, %d consumer)",
		capacityPrefix, shardsCarry(n), c, size, capacityHeadroom, capacityConsumers), nil
}

// shardsCarry is "1 shard carries" or "n shards carry".
func shardsCarry(n int) string {
	if n == 1 {
		return "1 shard carries"
	}
	return fmt.Sprintf("%d shards carry", n)
}
