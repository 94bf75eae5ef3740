// Package queries holds the saved Athena queries, the SQL the Analytics component saves in
// the workgroup for each dataset. It is plain Go, so the local lake (cmd/streamlake-local) runs
// the same text against DuckDB without importing the Pulumi program.
package queries

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlake/streamlake/schema"
)

// Query is a saved Athena query.
type Query struct {
	ID, Name, Description, SQL string
}

// Skipped is a standard query a dataset does not get, and why.
type Skipped struct {
	ID, Reason string
}

// standard is a standard query: the columns it needs (by role or by name) and its SQL.
type standard struct {
	id, name, description string
	// columns are named columns the query reads besides the roles' (event time, arrival time,
	// partition key), with their types.
	columns map[string]schema.Type
	sql     func(b builder) string
}

// builder renders a query's SQL for one table.
type builder struct {
	s    *schema.Schema
	from string // "database"."table"
}

// IDs are the standard queries' IDs, in the order datasets get them; a dataset file's queries
// key lists some of them.
func IDs() []string {
	out := make([]string, len(standards))
	for i, q := range standards {
		out[i] = q.id
	}
	return out
}

var standards = []standard{
	{
		id: "watch-time-per-user-per-day", name: "Watch time per user per day (last 7 days)",
		description: "Minutes watched per viewer per UTC day, each event counted once.",
		columns:     map[string]schema.Type{"event_id": schema.String, "watched_sec": schema.Double},
		sql: func(b builder) string {
			return b.dedup(b.since(7)) + b.roles(`
SELECT {user},
       date({at}) AS day_utc,
       round(sum(watched_sec) / 60.0, 1) AS watched_minutes,
       count(*) AS reports
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 2 DESC, 3 DESC
LIMIT 1000`)
		},
	},
	{
		id: "events-per-type-per-hour", name: "Events per type per hour (last 2 days)",
		description: "Event counts per type and UTC hour of occurrence, each event counted once.",
		columns:     map[string]schema.Type{"event_id": schema.String, "event_type": schema.String},
		sql: func(b builder) string {
			return b.dedup(b.since(1)) + b.roles(`
SELECT date_trunc('hour', {at}) AS hour_utc,
       event_type,
       count(*) AS events
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 1 DESC, 3 DESC`)
		},
	},
	{
		id: "most-recent-events", name: "Most recent events",
		description: "The 100 latest events to reach the lake, with their ingestion lag.",
		sql: func(b builder) string {
			return b.roles(fmt.Sprintf(`SELECT *,
       date_diff('millisecond', {at}, {in}) AS lag_ms
FROM %s
WHERE %s
ORDER BY {in} DESC
LIMIT 100`, b.from, b.since(1)))
		},
	},
}

// For returns the saved queries of a dataset's table: the ones its schema's queries key lists
// (each must be a standard query whose columns the schema has), or, without the key, every
// standard query whose columns it has; Skipped says which others it does not get and why.
// Every query restricts the partitions it reads and counts an event_id once, because
// producers may resend an event after a throttled batch.
func For(s *schema.Schema, database, table string) ([]Query, []Skipped, error) {
	var out []Query
	var skipped []Skipped
	var errs []string
	for _, id := range s.Queries {
		if !slices.Contains(IDs(), id) {
			errs = append(errs, fmt.Sprintf("queries lists %q, which is not a saved query (one of %s)", id, strings.Join(IDs(), ", ")))
		}
	}
	for _, q := range standards {
		why := q.missing(s)
		switch {
		case s.Queries != nil && !slices.Contains(s.Queries, q.id):
			skipped = append(skipped, Skipped{q.id, "not listed in the file's queries"})
		case s.Queries != nil && why != "":
			errs = append(errs, fmt.Sprintf("named queries need %s in the schema (queries lists %s)", why, q.id))
		case why != "":
			skipped = append(skipped, Skipped{q.id, "needs " + why})
		default:
			out = append(out, q.render(s, database, table))
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("schema %s: %s", s.Name, strings.Join(errs, "; "))
	}
	return out, skipped, nil
}

// missing says what the query needs that s lacks ("" if nothing): its columns with their
// types, and the year, month and day partitions its date bounds use.
func (q standard) missing(s *schema.Schema) string {
	var why []string
	for _, col := range slices.Sorted(maps.Keys(q.columns)) {
		if f, ok := s.Field(col); !ok || f.Type != q.columns[col] {
			why = append(why, fmt.Sprintf("column %s of type %s", col, q.columns[col]))
		}
	}
	if len(s.Partitions) < 3 {
		why = append(why, "year, month and day partitions")
	}
	return strings.Join(why, " and ")
}

func (q standard) render(s *schema.Schema, database, table string) Query {
	b := builder{s: s, from: fmt.Sprintf(`"%s"."%s"`, database, table)}
	return Query{ID: q.id, Name: q.name, Description: q.description, SQL: q.sql(b)}
}

// since is the date bound of the last days: the lake's date partitions (year, month, day)
// joined as yyyy-mm-dd for pruning, bounded on both sides: with partition projection a lower
// bound alone makes Athena list every hour up to the projection's last year. Tomorrow is the
// upper end: an event may claim a time up to an hour after its arrival.
func (b builder) since(days int) string {
	p := b.s.Partitions
	day := fmt.Sprintf("concat(%s, '-', %s, '-', %s)", p[0].Name, p[1].Name, p[2].Name)
	return fmt.Sprintf("%s BETWEEN date_format(current_date - INTERVAL '%d' DAY, '%%Y-%%m-%%d') AND date_format(current_date + INTERVAL '1' DAY, '%%Y-%%m-%%d')", day, days)
}

// dedup is the CTE that numbers the copies of each event_id, oldest arrival first.
func (b builder) dedup(where string) string {
	return fmt.Sprintf(`WITH events AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY %s) AS copy
  FROM %s
  WHERE %s
)`, b.s.ArrivalTime, b.from, where)
}

// roles fills the role placeholders: {user} the partition key, {at} the event time, {in} the
// arrival time.
func (b builder) roles(sql string) string {
	return strings.NewReplacer("{user}", b.s.PartitionKey, "{at}", b.s.EventTime, "{in}", b.s.ArrivalTime).Replace(sql)
}
