package costplan

import (
	"testing"

	"github.com/streamlake/streamlake/stackconfig"
)

// The stacks the hand-computed tests describe are the stack files, as the command reads them.
func TestHandStacksAreTheStackFiles(t *testing.T) {
	for _, want := range []Stack{devStack(), prodStack()} {
		c, err := stackconfig.FromFiles("..", want.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := FromConfig(c); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", want.Name, got, want)
		}
	}
}
