package stackconfig

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/stackfile"
)

// Key is one configuration key, declared once in the table of keys.go. Load reads every key
// through it, Defaults takes its default, and Pulumi.yaml's config block and docs/config.md's
// configuration table are generated from it (a test fails when either drifts).
type Key struct {
	// Name is the key in the project namespace ("shardCount"), or a fully qualified key of
	// another namespace the program reads ("aws:region").
	Name string
	// Group is the section the key is listed under.
	Group string
	// Doc says what the key means.
	Doc string
	// Allowed is the key's rule, in words. Simple rules check it too; rules that depend on
	// other keys are checked by the steps of Validate.
	Allowed string
	// DefaultDoc overrides the rendered default where it depends on another key.
	DefaultDoc string
	// ChangedByOps marks a key that routine operations change in the stack files (shardCount:
	// `streamlake shards --to N --write`, one pull request per step). The docs/config.md table does not
	// copy its per-stack values, so such a pull request changes the stack file alone.
	ChangedByOps bool
	// PerDataset marks a key a dataset may set for itself under streamlake:datasets.<name>
	// (perDataset in keys.go); its top-level value is every dataset's default.
	PerDataset bool

	kind     kind
	def      any  // the default, a Go value of the field's type
	optional bool // no default: unset (or "") means "derive from other keys"
	required bool // no default and must be set

	setDefault func(c *Config)
	read       func(r *reader, c *Config)
	check      func(c *Config) error
}

// kind is how a key is written in Pulumi.yaml and read by Load.
type kind int

const (
	kindString kind = iota
	kindInt
	kindNumber // fractional numbers: untyped in Pulumi.yaml, which has no number type
	kindBool
	kindList   // a list of strings
	kindObject // an object of string values
)

// yamlType is the key's type in Pulumi.yaml ("" leaves the key untyped).
func (k Key) yamlType() string {
	if k.optional {
		return "" // Pulumi.yaml's default "" marks it unset, which a typed key cannot
	}
	return [...]string{"string", "integer", "", "boolean", "array", "object"}[k.kind]
}

// Qualified returns the key as the Pulumi CLI names it, e.g. "streamlake:shardCount".
func (k Key) Qualified(project string) string { return stackfile.Qualify(project, k.Name) }

// rule is a key's rule: the words for the docs and, when the key alone decides, the check.
type rule[T any] struct {
	text  string
	check func(key string, v T) error
}

// declare binds a key to its Config field, default, parser and rule.
func declare[T any](name string, k kind, def T, field func(*Config) *T, parse func(*reader, string) (T, bool), r rule[T], doc string) Key {
	return Key{
		Name: name, Doc: doc, Allowed: r.text, kind: k, def: def,
		setDefault: func(c *Config) { *field(c) = clone(def) },
		read: func(rd *reader, c *Config) {
			rd.note(name)
			if v, ok := parse(rd, name); ok {
				*field(c) = v
			}
		},
		check: func(c *Config) error {
			if r.check == nil {
				return nil
			}
			return r.check(name, *field(c))
		},
	}
}

// clone copies list and object defaults so that no two configs share them.
func clone[T any](v T) T {
	switch x := any(v).(type) {
	case []string:
		return any(append([]string{}, x...)).(T)
	case map[string]string:
		out := maps.Clone(x)
		if out == nil {
			out = map[string]string{}
		}
		return any(out).(T)
	}
	return v
}

func str(name, def string, field func(*Config) *string, r rule[string], doc string) Key {
	return declare(name, kindString, def, field, (*reader).str, r, doc)
}

// enum is a string key with a fixed set of values, of any string type.
func enum[T ~string](name string, def T, field func(*Config) *T, values []T, doc string) Key {
	parse := func(r *reader, key string) (T, bool) {
		v, ok := r.str(key)
		return T(v), ok
	}
	return declare(name, kindString, def, field, parse, oneOf(values...), doc)
}

func integer(name string, def int, field func(*Config) *int, r rule[int], doc string) Key {
	return declare(name, kindInt, def, field, (*reader).int, r, doc)
}

func number(name string, def float64, field func(*Config) *float64, r rule[float64], doc string) Key {
	return declare(name, kindNumber, def, field, (*reader).number, r, doc)
}

func boolean(name string, def bool, field func(*Config) *bool, doc string) Key {
	return declare(name, kindBool, def, field, (*reader).bool, rule[bool]{text: "true or false"}, doc)
}

func list(name string, field func(*Config) *[]string, r rule[[]string], doc string) Key {
	return listOf(name, []string{}, field, r, doc)
}

// listOf is a list with a default.
func listOf(name string, def []string, field func(*Config) *[]string, r rule[[]string], doc string) Key {
	return declare(name, kindList, def, field, (*reader).list, r, doc)
}

func object(name string, field func(*Config) *map[string]string, r rule[map[string]string], doc string) Key {
	return declare(name, kindObject, map[string]string{}, field, (*reader).object, r, doc)
}

// --- rules ---------------------------------------------------------------------------------

// crossChecked is a rule that depends on other keys: Validate's steps check it.
func crossChecked[T any](text string) rule[T] { return rule[T]{text: text} }

// checkedBy wraps a check that names the key itself (the awsrules checks).
func checkedBy[T any](text string, f func(T) error) rule[T] {
	return rule[T]{text: text, check: func(_ string, v T) error { return f(v) }}
}

// between is a range, ends included; why explains it in the error (with its leading separator).
func between[T int | float64](lo, hi T, why string) rule[T] {
	return rule[T]{
		text: fmt.Sprintf("%v..%v", lo, hi),
		check: func(key string, v T) error {
			if v < lo || v > hi {
				return fmt.Errorf("%s must be between %v and %v%s, got %v", key, lo, hi, why, v)
			}
			return nil
		},
	}
}

func atLeast(n int) rule[int] {
	return rule[int]{
		text: fmt.Sprintf("%d or more", n),
		check: func(key string, v int) error {
			if v < n {
				return fmt.Errorf("%s must be at least %d, got %d", key, n, v)
			}
			return nil
		},
	}
}

// zeroOrPositive is a count where 0 has a meaning of its own.
func zeroOrPositive(zero string) rule[int] {
	return rule[int]{
		text: fmt.Sprintf("0 (%s) or more", zero),
		check: func(key string, v int) error {
			if v < 0 {
				return fmt.Errorf("%s must be 0 (%s) or positive, got %d", key, zero, v)
			}
			return nil
		},
	}
}

// zeroOrAtLeast is off at 0, else at least n.
func zeroOrAtLeast(n int, zero string) rule[int] {
	return rule[int]{
		text: fmt.Sprintf("0 (%s) or %d or more", zero, n),
		check: func(key string, v int) error {
			if v < 0 || (v > 0 && v < n) {
				return fmt.Errorf("%s must be 0 (%s) or at least %d, got %d", key, zero, n, v)
			}
			return nil
		},
	}
}

// days is a number of days; zero names what 0 means, or is "" when 0 is not allowed.
func days(zero string) rule[int] {
	text := "1 or more"
	if zero != "" {
		text = fmt.Sprintf("0 (%s) or more", zero)
	}
	return rule[int]{
		text: text,
		check: func(key string, v int) error {
			if v < 0 || (v == 0 && zero == "") {
				return fmt.Errorf("%s must be a positive number of days, got %d", key, v)
			}
			return nil
		},
	}
}

// above is a number greater than lo and at most hi.
func above(lo, hi float64, why string) rule[float64] {
	return rule[float64]{
		text: fmt.Sprintf("> %g and <= %g", lo, hi),
		check: func(key string, v float64) error {
			if v <= lo || v > hi {
				return fmt.Errorf("%s must be > %g and <= %g%s, got %g", key, lo, hi, why, v)
			}
			return nil
		},
	}
}

// oneOf is a fixed set of values.
func oneOf[T ~string](values ...T) rule[T] {
	words := make([]string, len(values))
	for i, v := range values {
		words[i] = string(v)
	}
	text := "one of " + strings.Join(words, ", ")
	if len(values) == 2 {
		text = fmt.Sprintf("%q or %q", values[0], values[1])
	}
	return rule[T]{
		text: text,
		check: func(key string, v T) error {
			if !slices.Contains(values, v) {
				return fmt.Errorf("%s must be %s, got %q", key, text, v)
			}
			return nil
		},
	}
}
