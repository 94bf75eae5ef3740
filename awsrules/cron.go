package awsrules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cronField names and bounds of AWS cron's first five fields (the year is the sixth).
var cronFields = []struct {
	name     string
	min, max int
	names    []string // names for min, min+1, ... (months, weekdays)
}{
	{"minutes", 0, 59, nil},
	{"hours", 0, 23, nil},
	{"day-of-month", 1, 31, nil},
	{"month", 1, 12, []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{"day-of-week", 1, 7, []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// cronSchedule is a parsed AWS cron expression: the allowed values of each field.
type cronSchedule struct {
	minutes, hours, days, months, weekdays []bool
	lastDay                                bool // day-of-month L
	anyDay, anyWeekday                     bool // '?' (or '*') in that field
}

// ScheduleGap returns the longest time between two consecutive runs of an AWS cron schedule
// (Glue and EventBridge syntax, UTC), computed over eight calendar years so that short months
// and leap years count. It understands numbers, names, '*', '?', ranges, lists, steps and L in
// day-of-month; W, # and L in day-of-week, and a year field other than '*', make the gap
// depend on things it does not model, and are refused.
func ScheduleGap(expr string) (time.Duration, error) {
	var prev, first time.Time
	var gap time.Duration
	err := eachRun(expr, func(t time.Time) {
		if first.IsZero() {
			first = t
		} else {
			gap = max(gap, t.Sub(prev))
		}
		prev = t
	})
	if err != nil {
		return 0, err
	}
	if first.IsZero() || prev.Equal(first) {
		return 0, fmt.Errorf("schedule %q runs at most once in eight years", expr)
	}
	return gap, nil
}

// ScheduleRunsPerDay returns how often an AWS cron schedule runs per day on average, over the
// same eight calendar years as ScheduleGap and with the same syntax.
func ScheduleRunsPerDay(expr string) (float64, error) {
	runs := 0
	if err := eachRun(expr, func(time.Time) { runs++ }); err != nil {
		return 0, err
	}
	days := scheduleTo.Sub(scheduleFrom).Hours() / 24
	return float64(runs) / days, nil
}

// The eight calendar years (two leap years) schedules are evaluated over.
var scheduleFrom, scheduleTo = time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)

// eachRun calls run with every time the schedule runs in the evaluation years, in order.
func eachRun(expr string, run func(time.Time)) error {
	if err := CheckSchedule(expr); err != nil {
		return err
	}
	s, err := parseCron(expr)
	if err != nil {
		return err
	}
	for d := scheduleFrom; d.Before(scheduleTo); d = d.AddDate(0, 0, 1) {
		if !s.runsOn(d) {
			continue
		}
		for h := range 24 {
			for m := range 60 {
				if s.hours[h] && s.minutes[m] {
					run(d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute))
				}
			}
		}
	}
	return nil
}

func parseCron(expr string) (*cronSchedule, error) {
	fields := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
	if fields[5] != "*" {
		return nil, fmt.Errorf("schedule %q: a year field other than * ends the schedule; its longest gap is unbounded", expr)
	}
	s := &cronSchedule{anyDay: fields[2] == "?" || fields[2] == "*", anyWeekday: fields[4] == "?" || fields[4] == "*"}
	if fields[2] == "L" {
		s.lastDay, fields[2] = true, "?"
	}
	sets := make([][]bool, len(cronFields))
	for i, f := range cronFields {
		set, err := parseCronField(fields[i], f.min, f.max, f.names)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %s %q: %w", expr, f.name, fields[i], err)
		}
		sets[i] = set
	}
	s.minutes, s.hours, s.days, s.months, s.weekdays = sets[0], sets[1], sets[2], sets[3], sets[4]
	return s, nil
}

// runsOn reports whether the schedule runs on day d: its month, and its day-of-month or
// day-of-week (AWS requires '?' in exactly one of them).
func (s *cronSchedule) runsOn(d time.Time) bool {
	if !s.months[int(d.Month())] {
		return false
	}
	switch {
	case s.lastDay:
		return d.AddDate(0, 0, 1).Day() == 1
	case !s.anyDay:
		return s.days[d.Day()]
	case !s.anyWeekday:
		return s.weekdays[int(d.Weekday())+1] // AWS: 1 is Sunday
	}
	return true
}

// parseCronField returns the allowed values of one field, indexed by value.
func parseCronField(f string, lo, hi int, names []string) ([]bool, error) {
	set := make([]bool, hi+1)
	if f == "?" || f == "*" {
		for v := lo; v <= hi; v++ {
			set[v] = true
		}
		return set, nil
	}
	if strings.ContainsAny(f, "LW#?") {
		return nil, errors.New("the special characters W, # and (outside day-of-month) L are not modelled")
	}
	for _, part := range strings.Split(f, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("step %q is not a positive number", stepText)
			}
			step = n
		}
		from, to, err := cronRange(rng, lo, hi, names, hasStep)
		if err != nil {
			return nil, err
		}
		for v := from; v <= to; v += step {
			set[v] = true
		}
	}
	return set, nil
}

// cronRange reads "*", "a", "a-b" (or "a" with a step: a to the field's end).
func cronRange(r string, lo, hi int, names []string, stepped bool) (int, int, error) {
	if r == "*" {
		return lo, hi, nil
	}
	a, b, isRange := strings.Cut(r, "-")
	from, err := cronValue(a, lo, hi, names)
	if err != nil {
		return 0, 0, err
	}
	to := from
	switch {
	case isRange:
		if to, err = cronValue(b, lo, hi, names); err != nil {
			return 0, 0, err
		}
	case stepped:
		to = hi
	}
	if from > to {
		return 0, 0, fmt.Errorf("range %q runs backwards", r)
	}
	return from, to, nil
}

func cronValue(v string, lo, hi int, names []string) (int, error) {
	if i := slices.Index(names, strings.ToUpper(v)); i >= 0 {
		return lo + i, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a value in %d..%d", v, lo, hi)
	}
	return n, nil
}
