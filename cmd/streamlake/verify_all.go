package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streamlake/streamlake/schema"
)

// verifyAllReport is the outcome of verify --dataset all: one report per dataset of the stack.
type verifyAllReport struct {
	OK       bool                  `json:"ok"`
	RunID    string                `json:"run_id"`
	Datasets []datasetVerifyReport `json:"datasets"`
}

// datasetVerifyReport is one dataset's report, named.
type datasetVerifyReport struct {
	Dataset string `json:"dataset"`
	verifyReport
}

// runVerifyAll is verify --dataset all: it prints every dataset's report and fails if one
// dataset's events were not all found.
func runVerifyAll(ctx context.Context, e *env, so *stackOutputs, f verifyFlags) int {
	rep, err := verifyAll(ctx, e, so, f)
	if err != nil {
		return fail(e, "verify", err)
	}
	if err := writeResult(e.stdout, f.json, rep, rep.String); err != nil {
		return printed(e, "verify", err)
	}
	if !rep.OK {
		return fail(e, "verify", rep.err())
	}
	return exitOK
}

// verifyAll verifies every dataset of the stack with one run id: it sends each dataset's
// events first, then queries every dataset still missing events in each round, all by one
// deadline (--timeout). Sending every batch before waiting keeps the run as long as one
// dataset's, and lets the deploy workflow start the crawlers once, after Firehose has written
// every dataset's events; polling them together gives each dataset the whole --timeout.
func verifyAll(ctx context.Context, e *env, so *stackOutputs, f verifyFlags) (verifyAllReport, error) {
	if f.target.stream != "" || f.table != "" {
		return verifyAllReport{}, usagef("--stream and --table name one dataset's; with --dataset %s each dataset's come from the stack output datasets", schema.AllDatasets)
	}
	names, err := stackDatasets(ctx, so)
	if err != nil {
		return verifyAllReport{}, err
	}
	type job struct {
		name string
		tgt  target
		v    *verifier
	}
	// Every dataset's names are resolved before anything is sent: a dataset the outputs or the
	// build lack stops the run with no events written.
	jobs := make([]job, 0, len(names))
	for _, name := range names {
		t := f.target
		t.dataset = datasetFlag{name: name}
		tgt, err := resolveTarget(ctx, e, so, t)
		if err != nil {
			return verifyAllReport{}, fmt.Errorf("dataset %s: %w", name, err)
		}
		v, err := newVerifier(ctx, e, so, f, tgt.dataset)
		if err != nil {
			return verifyAllReport{}, fmt.Errorf("dataset %s: %w", name, err)
		}
		v.label = name
		jobs = append(jobs, job{name, tgt, v})
	}
	deadline := time.Now().Add(f.timeout)
	runs := make([]*verifyRun, len(jobs))
	var sent []*verifyRun // a run whose events could not be sent has its report already
	for i, j := range jobs {
		runs[i] = j.v.newRun(j.tgt, f.runID, f.timeout)
		if runs[i].sendBy(ctx, deadline, j.tgt, f.count) {
			sent = append(sent, runs[i])
		}
	}
	awaitAll(ctx, sent, deadline, f.poll)
	rep := verifyAllReport{OK: true, RunID: f.runID, Datasets: make([]datasetVerifyReport, len(jobs))}
	for i, r := range runs {
		rep.Datasets[i] = datasetVerifyReport{Dataset: jobs[i].name, verifyReport: r.rep}
		rep.OK = rep.OK && r.rep.OK
	}
	return rep, nil
}

func (r verifyAllReport) String() string {
	var b strings.Builder
	for _, d := range r.Datasets {
		fmt.Fprintf(&b, "dataset %s:\n%s", d.Dataset, d.String())
	}
	status := "OK"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Fprintf(&b, "verify %s: run %s, %d dataset(s), %s\n", status, r.RunID, len(r.Datasets), r.summary())
	return b.String()
}

// summary says which datasets failed, or that none did.
func (r verifyAllReport) summary() string {
	var failed []string
	for _, d := range r.Datasets {
		if !d.OK {
			failed = append(failed, d.Dataset)
		}
	}
	if len(failed) == 0 {
		return "every event of every dataset found"
	}
	return "failed: " + strings.Join(failed, ", ")
}

// err is the run's failure, each failed dataset with its reason; nil when every dataset passed.
func (r verifyAllReport) err() error {
	var errs []error
	for _, d := range r.Datasets {
		if !d.OK {
			errs = append(errs, fmt.Errorf("dataset %s: %s", d.Dataset, d.Reason))
		}
	}
	return errors.Join(errs...)
}
