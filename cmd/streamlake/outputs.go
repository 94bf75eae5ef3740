package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Stack output names the CLI reads (stacks/run.go exports them; a test keeps the two in step).
const (
	outRegion    = "region"
	outAPIURL    = "apiUrl"
	outEventsURL = "eventsUrl"
	outBatchURL  = "batchUrl"
	outAPIKey    = "apiKey"
	outAPIAuth   = "apiAuth"
	outStream    = "streamName"
	outBucket    = "bucketName"
	outDatabase  = "glueDatabase"
	outTable     = "glueTable"
	outWorkgroup = "athenaWorkgroup"
	outDelivery  = "deliveryStreamName"
	outCrawler   = "crawlerName"
	outTopic     = "alarmTopicArn"
)

// pulumiRunner runs the pulumi CLI with args and returns its stdout.
type pulumiRunner func(ctx context.Context, args ...string) ([]byte, error)

func execPulumi(ctx context.Context, args ...string) ([]byte, error) {
	bin, err := exec.LookPath("pulumi")
	if err != nil {
		return nil, errors.New("the pulumi CLI is not in PATH")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
		return nil, fmt.Errorf("pulumi %s failed: %w: %s", strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// stackOutputs reads a stack's outputs once, and only if a value is needed that no flag gave:
// from --outputs FILE (what `pulumi stack output --json --show-secrets` printed) or by running
// that command (with --stack S if given) in the working directory.
type stackOutputs struct {
	stack, file string
	run         pulumiRunner

	once sync.Once
	vals map[string]string
	err  error
}

func newStackOutputs(e *env, stack, file string) *stackOutputs {
	run := e.pulumi
	if run == nil {
		run = execPulumi
	}
	return &stackOutputs{stack: stack, file: file, run: run}
}

func (s *stackOutputs) load(ctx context.Context) {
	var raw []byte
	if s.file != "" {
		raw, s.err = os.ReadFile(s.file)
		if s.err != nil {
			s.err = fmt.Errorf("read stack outputs: %w", s.err)
			return
		}
	} else {
		args := []string{"stack", "output", "--json", "--show-secrets"}
		if s.stack != "" {
			args = append(args, "--stack", s.stack)
		}
		if raw, s.err = s.run(ctx, args...); s.err != nil {
			s.err = fmt.Errorf("stack outputs are unavailable (%w); run inside the project with the pulumi CLI logged in, or pass --outputs FILE", s.err)
			return
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.err = fmt.Errorf("stack outputs are not a JSON object: %w", err)
		return
	}
	s.vals = map[string]string{}
	for k, v := range m {
		switch v := v.(type) {
		case string:
			s.vals[k] = v
		case nil:
		default:
			b, _ := json.Marshal(v)
			s.vals[k] = string(b)
		}
	}
}

func (s *stackOutputs) where() string {
	switch {
	case s.file != "":
		return "in " + s.file
	case s.stack != "":
		return "of stack " + s.stack
	}
	return "of the current stack"
}

// get returns output key.
func (s *stackOutputs) get(ctx context.Context, key string) (string, error) {
	s.once.Do(func() { s.load(ctx) })
	if s.err != nil {
		return "", s.err
	}
	v := s.vals[key]
	if v == "" {
		return "", fmt.Errorf("stack output %q is missing %s", key, s.where())
	}
	return v, nil
}

// lookup returns output key, or "" when the stack does not export it.
func (s *stackOutputs) lookup(ctx context.Context, key string) (string, error) {
	s.once.Do(func() { s.load(ctx) })
	return s.vals[key], s.err
}

// loaded reports whether outputs were read successfully (without reading them).
func (s *stackOutputs) loaded() bool { return s.vals != nil }

// pick returns the flag's value if set, else the environment variable's (if envVar is not
// empty), else the stack output. The error names the flag, so the fix is obvious.
func (s *stackOutputs) pick(ctx context.Context, e *env, flagVal, flagName, envVar, key string) (string, error) {
	if flagVal != "" {
		return flagVal, nil
	}
	if envVar != "" {
		if v := e.getenv(envVar); v != "" {
			return v, nil
		}
	}
	v, err := s.get(ctx, key)
	if err != nil {
		also := ""
		if envVar != "" {
			also = " or $" + envVar
		}
		return "", fmt.Errorf("--%s%s not given, and %w", flagName, also, err)
	}
	return v, nil
}

// region returns --region, else the stack's region when the outputs were needed anyway, else
// "" (the AWS SDK's own default: AWS_REGION, the profile).
func (s *stackOutputs) region(ctx context.Context, flagVal string) string {
	if flagVal != "" || !s.loaded() {
		return flagVal
	}
	v, _ := s.get(ctx, outRegion)
	return v
}
