package testenv

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/streamlake/streamlake/internal/standin"
)

// CreateStream creates a provisioned stream and waits until it is ACTIVE.
func CreateStream(t testing.TB, c *kinesis.Client, name string, shards int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := standin.CreateStream(ctx, c, name, shards); err != nil {
		t.Fatal(err)
	}
}

// WaitActive waits until a stream is ACTIVE.
func WaitActive(t testing.TB, c *kinesis.Client, name string) {
	t.Helper()
	if err := standin.WaitActive(context.Background(), c, name); err != nil {
		t.Fatal(err)
	}
}

// ReadAll reads every record of every shard (open and closed) from the start of the stream.
func ReadAll(t testing.TB, c *kinesis.Client, stream string) [][]byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out [][]byte
	for _, sh := range listShards(ctx, t, c, stream) {
		out = append(out, readShard(ctx, t, c, stream, aws.ToString(sh.ShardId))...)
	}
	return out
}

func listShards(ctx context.Context, t testing.TB, c *kinesis.Client, stream string) []types.Shard {
	t.Helper()
	var shards []types.Shard
	in := &kinesis.ListShardsInput{StreamName: &stream}
	for {
		page, err := c.ListShards(ctx, in)
		if err != nil {
			t.Fatalf("list shards of %s: %v", stream, err)
		}
		shards = append(shards, page.Shards...)
		if page.NextToken == nil {
			return shards
		}
		in = &kinesis.ListShardsInput{NextToken: page.NextToken} // a token excludes the name
	}
}

func readShard(ctx context.Context, t testing.TB, c *kinesis.Client, stream, shard string) [][]byte {
	t.Helper()
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{
		StreamName: &stream, ShardId: &shard, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		t.Fatalf("shard iterator of %s/%s: %v", stream, shard, err)
	}
	var out [][]byte
	for iter := it.ShardIterator; iter != nil; {
		page, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(10000)})
		if err != nil {
			t.Fatalf("get records of %s/%s: %v", stream, shard, err)
		}
		for _, r := range page.Records {
			out = append(out, r.Data)
		}
		if len(page.Records) == 0 {
			break // caught up with an open shard (a closed one ends with a nil iterator)
		}
		iter = page.NextShardIterator
	}
	return out
}
