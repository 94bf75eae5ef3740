package locallake

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/producer"
	"github.com/streamlake/streamlake/schema"
)

// In every apiAuth mode the local API admits the run's own credentials and refuses a request
// without them.
func TestLocalAuthEveryMode(t *testing.T) {
	pools := []string{"arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEf123"}
	for _, tt := range []struct {
		mode          apispec.Auth
		pools, scopes []string
	}{
		{apispec.AuthAPIKey, nil, nil},
		{apispec.AuthIAM, nil, nil},
		{apispec.AuthJWT, pools, nil},
		{apispec.AuthJWT, pools, []string{"events/write"}},
	} {
		sink := apisim.NewMemorySink(apisim.Faults{}, 1)
		o := apisim.Options{Stage: "api", Sink: sink}
		auth, err := localAuth(&o, tt.mode, "eu-west-1", tt.pools, tt.scopes)
		if err != nil {
			t.Fatal(err)
		}
		h, err := apisim.New(o)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		events, batch := apispec.RoutesOf(schema.DefaultDataset).URLs(srv.URL + "/api")
		g, err := producer.NewGenerator(schema.Default(), producer.GeneratorOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := g.Next()
		ctx := context.Background()
		if _, err := (&producer.APIPutter{EventsURL: events, BatchURL: batch, Auth: auth}).Put(ctx, []producer.Record{rec}); err != nil || len(sink.Records()) != 1 {
			t.Errorf("%s %v: own credentials: %v, %d stored", tt.mode, tt.scopes, err, len(sink.Records()))
		}
		if _, err := (&producer.APIPutter{EventsURL: events, BatchURL: batch, Key: "other"}).Put(ctx, []producer.Record{rec}); err == nil {
			t.Errorf("%s: a request without the run's credentials was admitted", tt.mode)
		}
		srv.Close()
	}
}
