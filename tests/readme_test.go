package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/internal/stacktest"
	slstacks "github.com/streamlake/streamlake/stacks"
)

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDocsListEveryKeyAndAlarm keeps the reference tables complete and the README's first
// screen on the commands a newcomer runs.
func TestDocsListEveryKeyAndAlarm(t *testing.T) {
	config, alarms, readme := readDoc(t, "docs/config.md"), readDoc(t, "docs/alarms.md"), readDoc(t, "README.md")
	cfg, err := runConfig(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cfg.Keys() {
		if !strings.Contains(config, "| `"+k+"` |") {
			t.Errorf("docs/config.md's configuration table lacks %s", k)
		}
	}
	specs := components.AlarmSpecs(components.AlarmTargets{RetentionHours: 24, BufferSeconds: 300, ProcessorBufferSeconds: 60, DynamicPartitioning: true, RawBackup: true, FunctionTimeoutSeconds: 120, WAF: true},
		components.AlarmThresholds{LambdaDurationPercent: 80, ThrottlePeriods: 3, SilentMinutes: 30, WAFBlockedPerPeriod: 100})
	for _, s := range specs {
		if !strings.Contains(alarms, "| `"+s.ID+"` |") {
			t.Errorf("docs/alarms.md's alarm table lacks %s", s.ID)
		}
	}
	for _, cmd := range []string{"make demo", "make test", "pulumi up --stack dev"} {
		if !strings.Contains(readme[:min(len(readme), 2500)], cmd) {
			t.Errorf("README's first screen lacks %q", cmd)
		}
	}
	if strings.Index(readme, "make demo") > strings.Index(readme, "make test") {
		t.Error("README's quick start must put make demo first")
	}
}

func runConfig(t *testing.T) (*slstacks.Config, error) {
	return loadConfigErr("dev", nil, nil)
}

// loadConfigErr runs only Load for a stack file with overrides, under mocks.
func loadConfigErr(stack string, config map[string]string, unset []string) (*slstacks.Config, error) {
	var cfg *slstacks.Config
	_, err := stacktest.Run(stacktest.Options{Stack: stack, Config: config, Unset: unset, Program: func(ctx *pulumi.Context) error {
		c, err := slstacks.Load(ctx)
		cfg = c
		return err
	}})
	return cfg, err
}

// inlineCommand is an inline code span that runs an ops command with flags (it may wrap
// across lines in the Markdown source).
var inlineCommand = regexp.MustCompile("`(?:go run \\./cmd/)?streamlake ([a-z]+) (--[^`]*)`")

// Every example of an ops command in the README and docs/ names the stack it runs against:
// without --stack the command reads whichever stack happens to be selected, so a copied
// example may act on prod.
func TestOpsExamplesNameTheirStack(t *testing.T) {
	files, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := 0
	for _, f := range append(files, "../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range inlineCommand.FindAllStringSubmatch(string(b), -1) {
			examples++
			if !strings.Contains(m[2], "--stack") {
				t.Errorf("%s: `streamlake %s %s` does not name --stack", filepath.Base(f), m[1], strings.Join(strings.Fields(m[2]), " "))
			}
		}
	}
	if examples < 10 {
		t.Fatalf("found %d command examples: is the pattern still matching the docs?", examples)
	}
}
