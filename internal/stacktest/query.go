package stacktest

import (
	"fmt"
	"strconv"
	"strings"
)

// OfType returns the resources of a type token, in URN order.
func (r *Result) OfType(typ string) []*Resource {
	var out []*Resource
	for _, res := range r.Resources {
		if res.Type == typ {
			out = append(out, res)
		}
	}
	return out
}

// Find returns the resource with a type and logical name, or nil.
func (r *Result) Find(typ, name string) *Resource {
	for _, res := range r.Resources {
		if res.Type == typ && res.Name == name {
			return res
		}
	}
	return nil
}

// ByURN returns the resource with a URN, or nil.
func (r *Result) ByURN(urn string) *Resource {
	for _, res := range r.Resources {
		if res.URN == urn {
			return res
		}
	}
	return nil
}

// Path walks plain values along a path like "storageDescriptor.columns[0].name". It returns
// nil when any step is missing.
func Path(v any, path string) any {
	if path == "" {
		return v
	}
	for _, step := range strings.Split(path, ".") {
		name, idx := step, -1
		if i := strings.Index(step, "["); i >= 0 && strings.HasSuffix(step, "]") {
			n, err := strconv.Atoi(step[i+1 : len(step)-1])
			if err != nil {
				return nil
			}
			name, idx = step[:i], n
		}
		if name != "" {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[name]
		}
		if idx >= 0 {
			l, ok := v.([]any)
			if !ok || idx >= len(l) {
				return nil
			}
			v = l[idx]
		}
	}
	return v
}

// In returns an input by path.
func (res *Resource) In(path string) any { return Path(res.Inputs, path) }

// Str returns a string input by path ("" if missing).
func (res *Resource) Str(path string) string {
	s, _ := res.In(path).(string)
	return s
}

// Num returns a numeric input by path (0 if missing).
func (res *Resource) Num(path string) float64 {
	f, _ := res.In(path).(float64)
	return f
}

// Bool returns a boolean input by path (false if missing).
func (res *Resource) Bool(path string) bool {
	b, _ := res.In(path).(bool)
	return b
}

// List returns a list input by path.
func (res *Resource) List(path string) []any {
	l, _ := res.In(path).([]any)
	return l
}

// StrMap returns a map of strings input by path.
func (res *Resource) StrMap(path string) map[string]string {
	m, _ := res.In(path).(map[string]any)
	out := map[string]string{}
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// String names the resource for messages.
func (res *Resource) String() string { return res.Type + " " + res.Name }
