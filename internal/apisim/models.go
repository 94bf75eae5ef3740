package apisim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/streamlake/streamlake/schema"
)

// Models are the API's request models, compiled from exactly the JSON Schema (draft 4) the
// stack gives API Gateway: schema.EventModel and schema.BatchModel.
type Models struct {
	event, batch *jsonschema.Schema
}

// CompileModels compiles the request models of s for an unknownFields setting.
func CompileModels(s *schema.Schema, unknown schema.UnknownFields) (*Models, error) {
	event, err := s.EventModel(unknown)
	if err != nil {
		return nil, err
	}
	batch, err := s.BatchModel(unknown)
	if err != nil {
		return nil, err
	}
	m := &Models{}
	if m.event, err = compile("event.json", event); err != nil {
		return nil, err
	}
	if m.batch, err = compile("batch.json", batch); err != nil {
		return nil, err
	}
	return m, nil
}

func compile(name, model string) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(model))
	if err != nil {
		return nil, fmt.Errorf("request model %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource(name, doc); err != nil {
		return nil, fmt.Errorf("request model %s: %w", name, err)
	}
	sch, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("request model %s: %w", name, err)
	}
	return sch, nil
}

// ValidateEvent checks a POST /v1/events body; the error is a *BodyError.
func (m *Models) ValidateEvent(body []byte) error { return validate(m.event, body) }

// ValidateBatch checks a POST /v1/events/batch body; the error is a *BodyError.
func (m *Models) ValidateBatch(body []byte) error { return validate(m.batch, body) }

// BodyError is a request body the model refuses. Error gives API Gateway's
// validationErrorString: the validator's messages, in its wording, in brackets. API Gateway's
// messages do not say where in the body a problem is; these add " (at /json/pointer)" to every
// problem below the top level, so a refused event names its field.
type BodyError struct {
	Problems []string
}

func (e *BodyError) Error() string { return "[" + strings.Join(e.Problems, ", ") + "]" }

func validate(sch *jsonschema.Schema, body []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return &BodyError{Problems: []string{"Could not parse request body into json: " + err.Error()}}
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return &BodyError{Problems: []string{err.Error()}}
	}
	var problems []string
	for _, leaf := range leaves(ve) {
		p := gatewayMessage(leaf, lookup(doc, leaf.InstanceLocation))
		if len(leaf.InstanceLocation) > 0 {
			p += " (at " + pointer(leaf.InstanceLocation) + ")"
		}
		problems = append(problems, p)
	}
	slices.Sort(problems)
	return &BodyError{Problems: slices.Compact(problems)}
}

// leaves are the errors without causes: the failed keywords themselves.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// english words the failed keywords gatewayMessage does not know (none in today's models).
var english = message.NewPrinter(language.English)

// gatewayMessage words a failed keyword as API Gateway's validator (json-schema-validator)
// does; value is the instance that failed.
func gatewayMessage(e *jsonschema.ValidationError, value any) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return fmt.Sprintf("object has missing required properties (%s)", jsonList(k.Missing))
	case *kind.AdditionalProperties:
		// Sorted: the validator's list follows map order, so equal bodies got different answers.
		return "object instance has properties which are not allowed by the schema: " + jsonList(slices.Sorted(slices.Values(k.Properties)))
	case *kind.Type:
		return fmt.Sprintf("instance type (%s) does not match any allowed primitive type (allowed: %s)", typeName(k.Got, value), jsonList(k.Want))
	case *kind.MinLength:
		return fmt.Sprintf("string %s is too short (length: %d, required minimum: %d)", quote(value), k.Got, k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("string %s is too long (length: %d, maximum allowed: %d)", quote(value), k.Got, k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("ECMA 262 regex %s does not match input string %s", quote(k.Want), quote(k.Got))
	case *kind.Minimum:
		return fmt.Sprintf("numeric instance is lower than the required minimum (minimum: %s, found: %s)", ratString(k.Want), ratString(k.Got))
	case *kind.MinItems:
		return fmt.Sprintf("array is too short: must have at least %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("array is too long: must have at most %d elements but instance has %d elements", k.Want, k.Got)
	case *kind.Not, *kind.FalseSchema:
		return "instance matched a schema which it should not have"
	}
	return e.ErrorKind.LocalizedString(english)
}

// maxQuoted bounds a value quoted in a message, so a megabyte string gives a short answer.
const maxQuoted = 100

func quote(v any) string {
	s, ok := v.(string)
	if !ok {
		b, _ := json.Marshal(v)
		s = string(b)
	}
	if r := []rune(s); len(r) > maxQuoted {
		s = string(r[:maxQuoted]) + "..."
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// typeName names an instance's type as Jackson does: an integer literal is an integer.
func typeName(got string, value any) string {
	if n, ok := value.(json.Number); ok && got == "number" {
		if _, err := n.Int64(); err == nil {
			return "integer"
		}
	}
	return got
}

func ratString(r *big.Rat) string {
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func jsonList(names []string) string {
	b, _ := json.Marshal(names)
	return string(b)
}

// lookup returns the value at path in doc (nil if there is none).
func lookup(doc any, path []string) any {
	for _, p := range path {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(d) {
				return nil
			}
			doc = d[i]
		default:
			return nil
		}
	}
	return doc
}

// pointer renders a JSON pointer (RFC 6901).
func pointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}
