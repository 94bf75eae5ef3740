// Package queries holds the saved Athena queries, the SQL the Analytics component saves in
// the workgroup. It is plain Go, so the local lake (cmd/streamlake-local) runs the same text
// against DuckDB without importing the Pulumi program.
package queries

import (
	"fmt"
	"strings"

	"github.com/streamlake/streamlake/schema"
)

// Query is a saved Athena query.
type Query struct {
	ID, Name, Description, SQL string
}

// Saved returns the saved queries for the users' first questions. Column names come
// from the schema; a schema without the columns a query needs is an error, not a broken query.
// Every query restricts the partitions it reads and counts an event_id once, because
// producers may resend an event after a throttled batch.
func Saved(s *schema.Schema, database, table string) ([]Query, error) {
	need := map[string]schema.Type{
		"event_id": schema.String, "event_type": schema.String, "watched_sec": schema.Double,
		s.PartitionKey: schema.String, s.EventTime: schema.Timestamp, s.ArrivalTime: schema.Timestamp,
	}
	for col, typ := range need {
		if f, ok := s.Field(col); !ok || f.Type != typ {
			return nil, fmt.Errorf("named queries need column %s of type %s in the schema", col, typ)
		}
	}
	if len(s.Partitions) < 3 {
		return nil, fmt.Errorf("named queries need year, month and day partitions")
	}
	from := fmt.Sprintf(`"%s"."%s"`, database, table)
	// The lake's date partitions (year, month, day) joined as yyyy-mm-dd for pruning, bounded on
	// both sides: with partition projection a lower bound alone makes Athena list every hour up
	// to the projection's last year. Tomorrow is the upper end: an event may claim a time up
	// to an hour after its arrival.
	day := fmt.Sprintf("concat(%s, '-', %s, '-', %s)", s.Partitions[0].Name, s.Partitions[1].Name, s.Partitions[2].Name)
	since := func(days int) string {
		return fmt.Sprintf("%s BETWEEN date_format(current_date - INTERVAL '%d' DAY, '%%Y-%%m-%%d') AND date_format(current_date + INTERVAL '1' DAY, '%%Y-%%m-%%d')", day, days)
	}
	dedup := func(where string) string {
		return fmt.Sprintf(`WITH events AS (
  SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY %s) AS copy
  FROM %s
  WHERE %s
)`, s.ArrivalTime, from, where)
	}
	r := strings.NewReplacer("{user}", s.PartitionKey, "{at}", s.EventTime, "{in}", s.ArrivalTime)
	return []Query{
		{
			ID: "watch-time-per-user-per-day", Name: "Watch time per user per day (last 7 days)",
			Description: "Minutes watched per viewer per UTC day, each event counted once.",
			SQL: dedup(since(7)) + r.Replace(`
SELECT {user},
       date({at}) AS day_utc,
       round(sum(watched_sec) / 60.0, 1) AS watched_minutes,
       count(*) AS reports
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 2 DESC, 3 DESC
LIMIT 1000`),
		},
		{
			ID: "events-per-type-per-hour", Name: "Events per type per hour (last 2 days)",
			Description: "Event counts per type and UTC hour of occurrence, each event counted once.",
			SQL: dedup(since(1)) + r.Replace(`
SELECT date_trunc('hour', {at}) AS hour_utc,
       event_type,
       count(*) AS events
FROM events
WHERE copy = 1
GROUP BY 1, 2
ORDER BY 1 DESC, 3 DESC`),
		},
		{
			ID: "most-recent-events", Name: "Most recent events",
			Description: "The 100 latest events to reach the lake, with their ingestion lag.",
			SQL: r.Replace(fmt.Sprintf(`SELECT *,
       date_diff('millisecond', {at}, {in}) AS lag_ms
FROM %s
WHERE %s
ORDER BY {in} DESC
LIMIT 100`, from, since(1))),
		},
	}, nil
}
