// Command transform is the Firehose data-transformation Lambda (runtime provided.al2023, built
// as bootstrap by package lambdapkg). It only wires: environment -> transform.Transformer ->
// lambda.Start. The validation and normalization live in package transform.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/streamlake/streamlake/schema"
	"github.com/streamlake/streamlake/transform"
)

func main() {
	t, err := configure(os.LookupEnv, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "transform: invalid configuration: %v\n", err)
		reportInitError(os.Getenv("AWS_LAMBDA_RUNTIME_API"), err)
		os.Exit(1)
	}
	// The Transformer implements lambda.Handler: raw invocation bytes in, response bytes out.
	lambda.Start(t)
}

// configure reads the environment and builds the transformer; logs go to logs as JSON lines,
// which Lambda's JSON log format filters by their "level".
func configure(lookup func(string) (string, bool), logs io.Writer) (*transform.Transformer, error) {
	var errs []error
	var o transform.Options

	switch v, _ := lookup(transform.EnvUnknownFields); schema.UnknownFields(strings.ToLower(strings.TrimSpace(v))) {
	case schema.KeepUnknown:
		o.UnknownFields = schema.KeepUnknown
	case schema.RejectUnknown:
		o.UnknownFields = schema.RejectUnknown
	default:
		errs = append(errs, fmt.Errorf("%s must be %q or %q, got %q", transform.EnvUnknownFields, schema.KeepUnknown, schema.RejectUnknown, v))
	}

	if v, ok := lookup(transform.EnvMaxFutureSkew); ok && strings.TrimSpace(v) != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s must be a duration such as 1h or 15m: %w", transform.EnvMaxFutureSkew, err))
		case d < 0 || d > 7*24*time.Hour:
			errs = append(errs, fmt.Errorf("%s must be between 0s and 168h, got %s", transform.EnvMaxFutureSkew, d))
		case d == 0:
			o.MaxFutureSkew = -1 // no event may lie after its arrival
		default:
			o.MaxFutureSkew = d
		}
	}

	level := slog.LevelInfo
	name, v := transform.EnvLogLevel, ""
	if s, ok := lookup(transform.EnvLogLevel); ok && s != "" {
		v = s
	} else if s, ok := lookup("AWS_LAMBDA_LOG_LEVEL"); ok && s != "" {
		name, v = "AWS_LAMBDA_LOG_LEVEL", s
	}
	if v != "" {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "DEBUG", "TRACE":
			level = slog.LevelDebug
		case "INFO":
			level = slog.LevelInfo
		case "WARN":
			level = slog.LevelWarn
		case "ERROR", "FATAL":
			level = slog.LevelError
		default:
			errs = append(errs, fmt.Errorf("%s must be DEBUG, INFO, WARN or ERROR, got %q", name, v))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s, err := datasetSchema(lookup)
	if err != nil {
		return nil, err
	}
	o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	return transform.New(s, o)
}

// datasetSchema is the schema of the dataset the environment names (DATASET; unset, the
// default), among the dataset files the binary embeds.
func datasetSchema(lookup func(string) (string, bool)) (*schema.Schema, error) {
	name, _ := lookup(transform.EnvDataset)
	name = strings.TrimSpace(name)
	if name == "" {
		return schema.Default(), nil
	}
	ds, err := schema.Datasets()
	if err != nil {
		return nil, err
	}
	d, ok := schema.FindDataset(ds, name)
	if !ok {
		return nil, fmt.Errorf("%s is %q, which is not a dataset of this build (%s)", transform.EnvDataset, name, strings.Join(schema.DatasetNames(ds), ", "))
	}
	return d.Schema, nil
}

// reportInitError tells the Lambda service why the function cannot start (the runtime API's
// init/error call), so the failure shows as Runtime.InvalidConfiguration with the message
// instead of a bare exit status. Without a runtime API (a local run) it does nothing.
func reportInitError(api string, cause error) {
	if api == "" {
		return
	}
	body, _ := json.Marshal(map[string]any{
		"errorMessage": cause.Error(),
		"errorType":    "Runtime.InvalidConfiguration",
		"stackTrace":   []string{},
	})
	req, err := http.NewRequest(http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InvalidConfiguration")
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}
	if resp, err := client.Do(req); err == nil {
		_ = resp.Body.Close() // best effort: the process exits next
	}
}
