package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// flags is a subcommand's flag set. Every numeric flag is registered with its allowed range,
// and parse refuses a value outside it (exit 2, naming the flag, the value and the range): a
// mistyped --count 0 must not quietly mean something else.
type flags struct {
	*flag.FlagSet
	bounds map[string]bound
}

// bound is a numeric flag's allowed range, in the flag's unit (seconds for durations).
type bound struct {
	lo, hi float64
	loOpen bool   // lo itself is not allowed (> lo)
	text   string // the range as help and errors print it
}

func (b bound) allows(v float64) bool {
	if math.IsNaN(v) || v > b.hi || v < b.lo {
		return false
	}
	return !b.loOpen || v > b.lo
}

// intVar registers an int flag allowed in lo..hi.
func (f *flags) intVar(p *int, name string, def, lo, hi int, usage string) {
	f.IntVar(p, name, def, usage)
	f.bounds[name] = bound{lo: float64(lo), hi: float64(hi), text: fmt.Sprintf("%d..%d", lo, hi)}
}

// floatVar registers a float flag allowed in lo..hi (above lo when loOpen).
func (f *flags) floatVar(p *float64, name string, def, lo, hi float64, loOpen bool, usage string) {
	f.Float64Var(p, name, def, usage)
	text := fmt.Sprintf("%s..%s", num(lo), num(hi))
	if loOpen {
		text = fmt.Sprintf("above %s and at most %s", num(lo), num(hi))
	}
	f.bounds[name] = bound{lo: lo, hi: hi, loOpen: loOpen, text: text}
}

// durationVar registers a duration flag allowed in lo..hi. It takes what its range prints:
// a Go duration (30s, 5m, 36h) or whole days (1d), since ranges and defaults of a day or more
// print in days.
func (f *flags) durationVar(p *time.Duration, name string, def, lo, hi time.Duration, usage string) {
	*p = def
	f.Var(duration{p}, name, usage)
	f.bounds[name] = bound{lo: lo.Seconds(), hi: hi.Seconds(), text: fmt.Sprintf("%s..%s", dur(lo), dur(hi))}
}

// num prints a bound without exponent notation: 10000000, not 1e+07.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// dur prints a duration bound in days when it is whole days (14d), else as Go does (1m0s -> 1m).
func dur(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// numeric returns a flag's value as a number in its bound's unit, and whether it is numeric.
func numeric(fl *flag.Flag) (float64, bool) {
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return 0, false
	}
	switch v := g.Get().(type) {
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case float64:
		return v, true
	case time.Duration:
		return v.Seconds(), true
	}
	return 0, false
}

// checkBounds checks every numeric flag the command line set; defaults are in range (a test
// checks that).
func (f *flags) checkBounds() error {
	var err error
	f.Visit(func(fl *flag.Flag) {
		v, ok := numeric(fl)
		b, has := f.bounds[fl.Name]
		if err != nil || !ok || !has || b.allows(v) {
			return
		}
		shown := fl.Value.String()
		if _, isFloat := fl.Value.(flag.Getter).Get().(float64); isFloat {
			shown = num(v) // 2000000, not 2e+06
		}
		err = usagef("--%s %s is out of range: allowed %s", fl.Name, shown, b.text)
	})
	return err
}

// set reports whether the command line gave flag name.
func (f *flags) set(name string) bool { return given(f.FlagSet, name) }

// help renders the command's --help: synopsis, description, and each flag with its range.
func (f *flags) help(name, synopsis, description string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: streamlake %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(description))
	f.VisitAll(func(fl *flag.Flag) {
		typ, help := flag.UnquoteUsage(fl)
		line := "  --" + fl.Name
		if typ != "" {
			line += " " + typ
		}
		fmt.Fprintf(&b, "%s\n      %s", line, help)
		var notes []string
		if bd, ok := f.bounds[fl.Name]; ok {
			notes = append(notes, "allowed "+bd.text)
		}
		if fl.DefValue != "" && fl.DefValue != "false" && fl.DefValue != "0" && fl.DefValue != "0s" {
			notes = append(notes, "default "+fl.DefValue)
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
		}
		b.WriteString("\n")
	})
	return b.String()
}

// durationForm is the form every duration flag takes, as its parse error says.
const durationForm = "a Go duration (30s, 5m, 36h) or whole days (1d)"

// duration is a duration flag's value: a Go duration, or whole days ("14d") as the ranges
// print them.
type duration struct{ d *time.Duration }

func (v duration) String() string {
	if v.d == nil {
		return ""
	}
	return dur(*v.d)
}

func (v duration) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil {
			return errors.New("want " + durationForm)
		}
		*v.d = time.Duration(d) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want " + durationForm)
	}
	*v.d = d
	return nil
}

func (v duration) Get() any { return *v.d }

// invalidValue is the flag package's message for a value a flag's Set refused.
var invalidValue = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): (.*)$`)

// parseError completes the flag package's error for a value it could not parse with the form
// the flag takes: for numbers the package says only "parse error" (after the value and the
// flag's name).
func (f *flags) parseError(err error) error {
	m := invalidValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	value, name, why := m[1], m[2], m[3]
	if fl := f.Lookup(name); fl != nil && (why == "parse error" || why == "value out of range") {
		form := numberForm(fl)
		if b, ok := f.bounds[name]; ok && why == "value out of range" {
			form += " in " + b.text // too big for the type: the range says what fits
		}
		why = "want " + form
	}
	return fmt.Errorf("invalid value %q for flag -%s: %s", value, name, why)
}

// numberForm says what a numeric or boolean flag takes.
func numberForm(fl *flag.Flag) string {
	g, ok := fl.Value.(flag.Getter)
	if !ok {
		return "a value of the form --help shows"
	}
	switch g.Get().(type) {
	case int, int64, uint, uint64:
		return "a whole number"
	case float64:
		return "a number"
	case bool:
		return "true or false"
	}
	return "a value of the form --help shows"
}
