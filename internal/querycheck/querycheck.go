// Package querycheck computes in Go what the saved Athena queries (package queries) must
// answer for a set of lake rows, for tests that run the SQL (internal/lakesql, the local
// lake's end-to-end test) to compare against. Values are rendered as lakesql.Format renders
// them. Shipped code does not use it.
package querycheck

import (
	"fmt"
	"math"
	"time"
)

// Event is one row of the lake as the comparison sees it.
type Event struct {
	ID, Type, User     string
	Occurred, Ingested time.Time
	Watched            float64
	HasWatched         bool   // watched_sec is not NULL
	Partition          string // yyyy-mm-dd of the row's partition folders
}

// FirstCopies keeps, per event id, the copy that reached the stream first, among events whose
// partition day is on or after since (yyyy-mm-dd): the queries' deduplication.
func FirstCopies(events []Event, since string) []Event {
	first := map[string]Event{}
	for _, e := range events {
		if e.Partition < since {
			continue
		}
		if f, ok := first[e.ID]; !ok || e.Ingested.Before(f.Ingested) {
			first[e.ID] = e
		}
	}
	out := make([]Event, 0, len(first))
	for _, e := range first {
		out = append(out, e)
	}
	return out
}

// WatchTime is watch-time-per-user-per-day for the UTC day today, unordered: user, day,
// minutes watched rounded to a tenth, reports.
func WatchTime(today time.Time, events []Event) [][]string {
	type key struct{ user, day string }
	sums, counts := map[key]float64{}, map[key]int{}
	watched := map[key]bool{}
	for _, e := range FirstCopies(events, today.AddDate(0, 0, -7).Format("2006-01-02")) {
		k := key{e.User, e.Occurred.UTC().Format("2006-01-02")}
		if e.HasWatched {
			sums[k] += e.Watched
			watched[k] = true
		}
		counts[k]++
	}
	var out [][]string
	for k, n := range counts {
		// SQL's sum of no values is NULL: a viewer's day with reports but no watched_sec (rare
		// but for a day just begun) reads NULL minutes in Athena and DuckDB alike.
		minutes := "NULL"
		if watched[k] {
			minutes = fmt.Sprint(math.Round(sums[k]/60*10) / 10)
		}
		out = append(out, []string{k.user, k.day, minutes, fmt.Sprint(n)})
	}
	return out
}

// PerHour is events-per-type-per-hour for the UTC day today, unordered: hour, type, count.
func PerHour(today time.Time, events []Event) [][]string {
	type key struct{ hour, typ string }
	counts := map[key]int{}
	for _, e := range FirstCopies(events, today.AddDate(0, 0, -1).Format("2006-01-02")) {
		counts[key{e.Occurred.UTC().Truncate(time.Hour).Format("2006-01-02 15:04:05.000"), e.Type}]++
	}
	var out [][]string
	for k, n := range counts {
		out = append(out, []string{k.hour, k.typ, fmt.Sprint(n)})
	}
	return out
}
