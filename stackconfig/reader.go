package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/streamlake/streamlake/stackfile"
)

// reader reads keys through a lookup of the values as the Pulumi CLI passes them (strings,
// JSON for lists and objects), parsing them as the SDK's config.Try* functions do. An unset
// key keeps its default; a value that does not parse is recorded as an error naming the key
// and the value, and the key keeps its default so that validation still reports the rest.
type reader struct {
	lookup   func(key string) (string, bool)
	project  string
	errs     []error
	keys     []string        // project keys read, in order
	optional map[string]bool // keys for which "" means unset
	unset    map[string]bool // keys without a value
	bad      map[string]bool // keys whose value did not parse, as errors name them
}

func newReader(project string, lookup func(key string) (string, bool)) *reader {
	return &reader{lookup: lookup, project: project, optional: map[string]bool{}, unset: map[string]bool{}, bad: map[string]bool{}}
}

// full qualifies a key of the project namespace.
func (r *reader) full(key string) string { return stackfile.Qualify(r.project, key) }

// note records that Load reads a project key.
func (r *reader) note(key string) {
	if !strings.Contains(key, ":") {
		r.keys = append(r.keys, key)
	}
}

// get returns the stack's value of a fully qualified key; it records unset keys.
func (r *reader) get(full string) (string, bool) {
	v, ok := r.lookup(full)
	if !ok {
		r.unset[full] = true
	}
	return v, ok
}

func (r *reader) fail(full, want string) {
	v, _ := r.lookup(full)
	key := display(r.project, full)
	r.bad[key] = true
	r.errs = append(r.errs, fmt.Errorf("%s must be %s, got %q", key, want, v))
}

func (r *reader) str(key string) (string, bool) {
	full := r.full(key)
	v, ok := r.get(full)
	if !ok {
		return "", false
	}
	if v == "" && r.optional[key] {
		r.unset[full] = true
		return "", false
	}
	return v, true
}

// int parses decimal integers only: config.TryInt would read "010" as 8 and "0x10" as 16.
func (r *reader) int(key string) (int, bool) {
	v, ok := r.str(key)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		r.fail(r.full(key), "an integer")
		return 0, false
	}
	return n, true
}

// number parses as config.TryFloat64 does (strconv.ParseFloat, through spf13/cast).
func (r *reader) number(key string) (float64, bool) {
	return readScalar(r, key, "a number", func(v string) (float64, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = errors.New("not finite")
		}
		return f, err
	})
}

// bool parses as config.TryBool does (strconv.ParseBool, through spf13/cast).
func (r *reader) bool(key string) (bool, bool) {
	return readScalar(r, key, "true or false", strconv.ParseBool)
}

// readScalar reads a set key with parse; a value parse refuses is an error saying it must be
// want.
func readScalar[T any](r *reader, key, want string, parse func(string) (T, error)) (T, bool) {
	var zero T
	full := r.full(key)
	v, ok := r.get(full)
	if !ok {
		return zero, false
	}
	t, err := parse(v)
	if err != nil {
		r.fail(full, want)
		return zero, false
	}
	return t, true
}

func (r *reader) list(key string) ([]string, bool) {
	return readJSON(r, key, "a list of strings", []string{})
}

func (r *reader) object(key string) (map[string]string, bool) {
	return readJSON(r, key, "an object of string values", map[string]string{})
}

func (r *reader) intObject(key string) (map[string]int, bool) {
	return readJSON(r, key, "an object of whole numbers", map[string]int{})
}

func (r *reader) datasets(key string) (map[string]map[string]json.RawMessage, bool) {
	return readJSON(r, key, "an object of datasets, each an object of keys", map[string]map[string]json.RawMessage{})
}

// readJSON reads a list or object as config.TryObject does; JSON null is the empty value.
func readJSON[T []string | map[string]string | map[string]int | map[string]map[string]json.RawMessage](r *reader, key, want string, empty T) (T, bool) {
	full := r.full(key)
	v, ok := r.get(full)
	if !ok {
		return empty, false
	}
	var out T
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		r.fail(full, want)
		return empty, false
	}
	if out == nil {
		out = empty
	}
	return out, true
}

// display names a key as its errors do: project keys without their namespace.
func display(project, full string) string {
	return strings.TrimPrefix(full, project+":")
}
