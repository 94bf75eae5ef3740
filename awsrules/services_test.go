package awsrules

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestServices(t *testing.T) {
	checkErr(t, "retention ok", CheckLogRetention(14), "")
	checkErr(t, "retention bad", CheckLogRetention(10), "logRetentionDays must be one of")
	for expr, want := range map[string]string{
		"cron(15 * * * ? *)":        "",
		"cron(0 12 ? * MON-FRI *)":  "",
		"rate(1 hour)":              "cron(...) only",
		"0 * * * *":                 "must be cron(",
		"cron(15 * * * *)":          "has 5 fields",
		"cron(15 * * * * *)":        "exactly one of day-of-month",
		"cron(15 * ? * ? *)":        "exactly one of day-of-month",
		"cron(* * * * ? *)":         "at most every 5 minutes",
		"cron(15 * * * ? *);rm -rf": "must be cron(",
	} {
		checkErr(t, expr, CheckSchedule(expr), want)
	}
	checkErr(t, "ia 30", CheckTransition("k", "STANDARD_IA", 30, 0), "")
	checkErr(t, "ia 10", CheckTransition("k", "STANDARD_IA", 10, 0), "at least 30 days old to move to STANDARD_IA, got 10")
	checkErr(t, "glacier ir 1", CheckTransition("k", "GLACIER_IR", 1, 0), "")
	checkErr(t, "class", CheckTransition("k", "COLD", 30, 0), `storage class "COLD" is not one of`)
	checkErr(t, "expire before", CheckTransition("k", "GLACIER", 30, 30), "expiration (30 days) must come after the transition (30 days)")
	checkErr(t, "athena", CheckBytesScannedCutoffMiB(9), "bytesScannedCutoffMb must be at least 10")
	checkErr(t, "athena ok", CheckBytesScannedCutoffMiB(10), "")
	checkErr(t, "stage", CheckStageName("api"), "")
	checkErr(t, "stage bad", CheckStageName("my stage"), "apiStageName must be")
	checkErr(t, "origins", CheckOrigins([]string{"https://a.example.com", "http://localhost:5173"}), "")
	checkErr(t, "origins star", CheckOrigins([]string{"*"}), "")
	checkErr(t, "origins star+", CheckOrigins([]string{"*", "https://a.com"}), `"*" must be the only origin`)
	checkErr(t, "origins http", CheckOrigins([]string{"http://a.com"}), `"http://a.com" must be https://host`)
	checkErr(t, "origins path", CheckOrigins([]string{"https://a.com/"}), "without a path")
	checkErr(t, "tags", CheckTags(map[string]string{"team": "x"}), "")
	checkErr(t, "tags aws", CheckTags(map[string]string{"aws:x": "x"}), "reserved aws: prefix")
	checkErr(t, "tags empty", CheckTags(map[string]string{"": "x"}), "must be 1..128")
}

func TestNames(t *testing.T) {
	checkErr(t, "stream", CheckName("aws:kinesis/stream:Stream", "streamlake-dev-events", false), "")
	checkErr(t, "stream bad", CheckName("aws:kinesis/stream:Stream", "bad name", false), "does not match")
	checkErr(t, "role autoname", CheckName("aws:iam/role:Role", string(make([]byte, 60)), true), "is 68 characters (with auto-name suffix: true), AWS allows 64")
	checkErr(t, "glue", CheckName("aws:glue/catalogDatabase:CatalogDatabase", "streamlake-dev", false), "does not match")
	checkErr(t, "unknown type", CheckName("aws:x/y:Z", "anything", false), "")
	if got := PhysicalName("_", "Stream Lake", "prod-eu", ""); got != "stream_lake_prod_eu" {
		t.Errorf("PhysicalName = %q", got)
	}
	if got := PhysicalName("-", "streamlake", "dev", "events"); got != "streamlake-dev-events" {
		t.Errorf("PhysicalName = %q", got)
	}
	for region, want := range map[string]string{"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%s) = %s", region, got)
		}
	}
	checkErr(t, "region", CheckRegion("eu-west-1"), "")
	checkErr(t, "region bad", CheckRegion("europe"), "aws:region must be a region")
}

// TestBytesScannedCutoffBoundary: the key is in MiB, so its minimum 10 is exactly the
// provider's minimum of 10485760 bytes, and one less is refused.
func TestBytesScannedCutoffBoundary(t *testing.T) {
	checkErr(t, "9 MiB", CheckBytesScannedCutoffMiB(9), "bytesScannedCutoffMb must be at least 10 (Athena's minimum is 10 MiB, 10485760 bytes), got 9")
	checkErr(t, "10 MiB", CheckBytesScannedCutoffMiB(10), "")
	if MinBytesScannedCutoff != 10_485_760 {
		t.Errorf("MinBytesScannedCutoff %d, the provider's minimum is 10485760", MinBytesScannedCutoff)
	}
	if got := BytesScannedCutoff(10); got != 10_485_760 {
		t.Errorf("10 MiB = %d bytes, want 10485760", got)
	}
	checkErr(t, "largest", CheckBytesScannedCutoffMiB(MaxBytesScannedCutoffMiB), "")
	checkErr(t, "overflow", CheckBytesScannedCutoffMiB(MaxBytesScannedCutoffMiB+1), "must be at most")
}

// TestEveryAcceptedCutoffReachesTheProvider: whatever validation accepts converts to at least
// the provider's minimum, exactly (below 2^53, so JSON carries it unchanged), never wrapping.
func TestEveryAcceptedCutoffReachesTheProvider(t *testing.T) {
	values := []int{math.MinInt, -1, 0, 1, 9, 10, 11, 1024, 10240, MaxBytesScannedCutoffMiB - 1, MaxBytesScannedCutoffMiB,
		MaxBytesScannedCutoffMiB + 1, 1 << 43, 1 << 44, math.MaxInt}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		values = append(values, int(r.Int64N(1<<40))-1<<20)
	}
	accepted := 0
	for _, mib := range values {
		if CheckBytesScannedCutoffMiB(mib) != nil {
			continue
		}
		accepted++
		b := BytesScannedCutoff(mib)
		if b < MinBytesScannedCutoff || b >= 1<<53 || b>>20 != mib {
			t.Errorf("%d MiB accepted but gives %d bytes", mib, b)
		}
	}
	if accepted < 100 {
		t.Fatalf("only %d values accepted: the test checks nothing", accepted)
	}
}

func TestTransitionClassesListsTheMap(t *testing.T) {
	got := slices.Sorted(slices.Values(TransitionClasses))
	if want := slices.Sorted(maps.Keys(TransitionMinDays)); !slices.Equal(got, want) {
		t.Errorf("TransitionClasses %v, TransitionMinDays has %v", got, want)
	}
}
