package recovery

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Replay selects exactly the raw objects of the hours asked for, by the hour in their key:
// objects of the hour before and the hour after exist, are listed, and are not sent.
func TestReplaySelectsTheRange(t *testing.T) {
	e := newEnv(t, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)).withStream()
	hour := func(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }
	raw := func(at time.Time, ids ...string) {
		var body []byte
		for i, id := range ids {
			body = append(body, event(id, "u")...)
			if i%2 == 1 {
				body = append(body, '\n') // Firehose adds nothing; producers may
			}
		}
		e.put(rawKey(t, at, ids[0]), gz(t, body))
	}
	raw(hour(4).Add(59*time.Minute), "before-1")
	raw(hour(5), "first-1", "first-2", "first-3")
	raw(hour(6).Add(30*time.Minute), "last-1")
	raw(hour(7), "after-1")
	raw(hour(5).AddDate(0, 0, -1), "day-before")
	e.put(rawKey(t, hour(6), "corrupt"), gz(t, []byte(`{"event_id":"x"}12`)))

	ctx := context.Background()
	sel, err := e.lake.SelectRaw(ctx, hour(5), hour(7))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"raw/year=2026/month=11/day=01/hour=0"}; !reflect.DeepEqual(sel.Prefixes, want) {
		t.Errorf("listed %q, want %q", sel.Prefixes, want)
	}
	if len(sel.Objects) != 3 {
		t.Fatalf("selected %d objects: %+v", len(sel.Objects), sel.Objects)
	}
	for _, o := range sel.Objects {
		if o.Time.Before(hour(5)) || !o.Time.Before(hour(7)) {
			t.Errorf("selected %s of %s", o.Key, o.Time)
		}
	}
	job := Job{Lake: e.lake, Kind: RawRecords, Prefixes: sel.Prefixes, Objects: sel.Objects, Fields: fields,
		Putter: e.putter(e.kinURL), Stream: e.stream, Options: quickRetry()}
	rep, err := Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	stored := e.stored()
	want := []string{"first-1", "first-2", "first-3", "last-1"}
	if got := slices.Sorted(maps.Keys(stored)); !reflect.DeepEqual(got, want) {
		t.Errorf("stream holds %v, want %v", got, want)
	}
	if rep.Records.Acknowledged != 4 || rep.Objects.Completed != 2 || rep.Objects.Skipped != 1 ||
		!strings.Contains(rep.Skipped[0].Reason, "record 2 at byte 16 is not a JSON object") {
		t.Errorf("report: %+v", rep)
	}
	// A second replay of the range sends nothing; Again sends everything once more.
	if rep, err := Run(ctx, job); err != nil || rep.Records.ToSend != 0 || rep.Objects.AlreadyDone != 2 {
		t.Errorf("second replay: %+v, %v", rep, err)
	}
	job.Again = true
	if rep, err := Run(ctx, job); err != nil || rep.Records.Acknowledged != 4 {
		t.Errorf("replay again: %+v, %v", rep, err)
	}
	for _, id := range want {
		if n := e.stored()[id]; n != 2 {
			t.Errorf("%s stored %d times after replaying twice", id, n)
		}
	}
}

// The error report groups records whose messages differ only in ids, counts what it cannot
// read, lists only the days in the window, and counts what was redriven.
func TestErrorsReport(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := newEnv(t, now.AddDate(0, 0, -30))
	old := now.AddDate(0, 0, -30)
	e.put(errorKey(t, "processing-failed", old, "old"), errorObject(t, "processing-failed", "c", "m", old, event("old-1", "u")))
	e.clock.Advance(30*24*time.Hour - 26*time.Hour) // now - 26 h: written before the window
	early := now.Add(-26 * time.Hour)
	e.put(errorKey(t, "processing-failed", early, "early"), errorObject(t, "processing-failed", "c", "m", early, event("early-1", "u")))
	e.clock.Advance(3 * time.Hour) // now - 23 h: in the window, its prefix hour a day before
	lateKey := errorKey(t, "processing-failed", early, "late")
	e.put(lateKey, errorObject(t, "processing-failed", "Lambda.FunctionError", "request 1b4f0e98-5197-4998-8e73-2078544c96b3 failed at 2026-11-24T13:00:00Z", early, event("late-1", "u"), event("late-2", "u")))
	e.clock.Advance(10 * time.Hour)
	recent := now.Add(-13 * time.Hour)
	e.put(errorKey(t, "processing-failed", recent, "recent"), errorObject(t, "processing-failed", "Lambda.FunctionError", "request 7c9e6679-7425-40de-944b-e07fc1f90ae7 failed at 2026-11-24T23:10:00Z", recent,
		event("late-1", "u"), []byte("not json"), []byte(`{"no_id":1}`), event("r-4", "u")))
	e.put(errorKey(t, "processing-failed", recent, "corrupt"), []byte("{\n"))
	e.put(errorKey(t, "format-conversion-failed", recent, "fc"), fillSchema(awsFixture(t, "aws-format-conversion-failed.txt"), map[string]any{
		"rawData": b64(event("fc-1", "u")), "lastErrorCode": "DataFormatConversion.MalformedData", "lastErrorMessage": "bad", "arrivalTimestamp": recent.UnixMilli()}))
	// One record of the late object was redriven.
	if err := e.lake.WriteMarker(context.Background(), Marker{Object: lateKey, ETag: etagOf(t, e, lateKey), Records: 2, Sent: Ranges{{2, 2}}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(13 * time.Hour)

	rep, err := e.lake.Errors(context.Background(), ErrorsOptions{Since: now.Add(-24 * time.Hour), Now: now, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.ListedPrefixes {
		if strings.Contains(p, "month=10") {
			t.Errorf("listed %s: the window is one day and ErrorLag", p)
		}
	}
	if rep.Objects != 4 || rep.ObjectsRead != 4 || rep.Records != 7 || len(rep.Unreadable) != 1 || !strings.Contains(rep.Unreadable[0].Reason, "corrupt object") {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Groups) != 2 {
		t.Fatalf("groups: %+v", rep.Groups)
	}
	fc, pf := rep.Groups[0], rep.Groups[1]
	if fc.ErrorOutputType != "format-conversion-failed" || fc.ErrorCode != "DataFormatConversion.MalformedData" || fc.Records != 1 || !reflect.DeepEqual(fc.ExampleEventIDs, []string{"fc-1"}) {
		t.Errorf("format conversion group: %+v", fc)
	}
	want := ErrorGroup{ErrorOutputType: "processing-failed", ErrorCode: "Lambda.FunctionError", Message: "request <uuid> failed at <time>",
		ExampleMessage: "request 1b4f0e98-5197-4998-8e73-2078544c96b3 failed at 2026-11-24T13:00:00Z", Records: 6, Objects: 2,
		First: early.Truncate(time.Millisecond), Last: recent, ExampleEventIDs: []string{"late-1", "late-2", "r-4"}, NotJSON: 1, WithoutEventID: 1, Redriven: 1}
	if !reflect.DeepEqual(pf, want) {
		t.Errorf("processing-failed group\n got %+v\nwant %+v", pf, want)
	}
	limited, err := e.lake.Errors(context.Background(), ErrorsOptions{Since: now.Add(-24 * time.Hour), Now: now, Fields: fields, MaxObjects: 1})
	if err != nil || limited.Objects != 4 || limited.ObjectsRead != 1 {
		t.Errorf("max objects: %+v, %v", limited, err)
	}
}

func etagOf(t *testing.T, e *env, key string) string {
	t.Helper()
	var etag string
	err := e.lake.List(context.Background(), key, func(o Object) error { etag = o.ETag; return nil })
	if err != nil || etag == "" {
		t.Fatalf("etag of %s: %q, %v", key, etag, err)
	}
	return etag
}
