package tests

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"gopkg.in/yaml.v3"

	"github.com/streamlake/streamlake/components"
	"github.com/streamlake/streamlake/internal/stacktest"
	slstacks "github.com/streamlake/streamlake/stacks"
)

// readmeMaxChars is the README's budget in characters (issue 12: at most 15,000): it leads a
// newcomer to the quick start and links the reference in docs/ instead of holding it.
const readmeMaxChars = 15000

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

func TestReadmeFitsItsBudget(t *testing.T) {
	if n := utf8.RuneCountInString(readDoc(t, "README.md")); n > readmeMaxChars {
		t.Errorf("README.md is %d characters, over its budget of %d (issue 12): move detail into docs/", n, readmeMaxChars)
	}
}

var (
	linkTarget = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)\)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
)

// TestReadmeContentsListsEverySection: the Contents links every `## ` section but itself,
// in order, and nothing else.
func TestReadmeContentsListsEverySection(t *testing.T) {
	readme := readDoc(t, "README.md")
	var sections []string
	for _, h := range headings(readme) {
		if h.level == 2 && h.text != "Contents" {
			sections = append(sections, "#"+slug(h.text))
		}
	}
	_, after, ok := strings.Cut(readme, "\n## Contents\n")
	if !ok {
		t.Fatal("README.md has no ## Contents")
	}
	contents, _, _ := strings.Cut(after, "\n## ")
	var listed []string
	for _, m := range linkTarget.FindAllStringSubmatch(contents, -1) {
		listed = append(listed, m[1])
	}
	if !slices.Equal(listed, sections) {
		t.Errorf("README's Contents lists\n  %v\nthe sections are\n  %v", listed, sections)
	}
}

// TestEveryDocIsLinkedFromTheReadme: the README is the way into docs/.
func TestEveryDocIsLinkedFromTheReadme(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs/*.md: %v %v", docs, err)
	}
	linked := map[string]bool{}
	for _, l := range links(readDoc(t, "README.md")) {
		path, _, _ := strings.Cut(l, "#")
		linked[path] = true
	}
	for _, d := range docs {
		if name := "docs/" + filepath.Base(d); !linked[name] {
			t.Errorf("README.md does not link %s", name)
		}
	}
}

// TestRelativeLinksResolve: every relative link of the README and docs/ names a file that
// exists and, with a #fragment, a heading of that file.
func TestRelativeLinksResolve(t *testing.T) {
	docs, _ := filepath.Glob("../docs/*.md")
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	checked := 0
	for _, f := range files {
		for _, l := range links(readDoc(t, f)) {
			if strings.Contains(l, "://") || strings.HasPrefix(l, "mailto:") {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(l, "#")
			target := f
			if path != "" {
				target = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(f), path)))
			}
			info, err := os.Stat(filepath.Join("..", target))
			if err != nil {
				t.Errorf("%s: link %s: %v", f, l, err)
				continue
			}
			if frag != "" && (info.IsDir() || !slices.Contains(anchors(readDoc(t, target)), frag)) {
				t.Errorf("%s: link %s: %s has no heading #%s", f, l, target, frag)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d relative links found: is the link pattern broken?", checked)
	}
}

// placeholder matches the example values a stack file may carry: example.com hosts and
// addresses, EXAMPLE ids, and AWS's documentation account 123456789012.
var placeholder = regexp.MustCompile(`(?i:example\.(com|org|net))|EXAMPLE|123456789012`)

// TestReadmeListsStackFilePlaceholders: every example value of a stack file is in the
// README's list of placeholders to replace.
func TestReadmeListsStackFilePlaceholders(t *testing.T) {
	for _, known := range []string{"oncall@example.com", "https://learn.example.org", "eu-west-1_EXAMPLE01", "arn:aws:iam::123456789012:root"} {
		if !placeholder.MatchString(known) {
			t.Fatalf("the placeholder pattern misses %s", known)
		}
	}
	readme := readDoc(t, "README.md")
	for _, stack := range stacks {
		var f struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal([]byte(readDoc(t, "Pulumi."+stack+".yaml")), &f); err != nil {
			t.Fatal(err)
		}
		for key, v := range f.Config {
			for _, s := range scalars(v) {
				if placeholder.MatchString(s) && !strings.Contains(readme, "`"+s+"`") {
					t.Errorf("Pulumi.%s.yaml %s: placeholder %q is not in the README's list", stack, key, s)
				}
			}
		}
	}
}

// TestReadmeNamesGoModsGo: the install instructions name the Go release go.mod requires.
func TestReadmeNamesGoModsGo(t *testing.T) {
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(readDoc(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no go line")
	}
	if readme := readDoc(t, "README.md"); !strings.Contains(readme, "Go "+m[1]) || !strings.Contains(readme, "go"+m[1]+".linux") {
		t.Errorf("README's install steps do not name Go %s (go.mod)", m[1])
	}
}

// scalars lists the strings of a YAML value, nested lists and maps included.
func scalars(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, scalars(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, e := range v {
			out = append(out, scalars(e)...)
		}
		return out
	}
	return nil
}

type heading struct {
	level int
	text  string
}

// headings are a Markdown file's ATX headings outside fenced code blocks.
func headings(doc string) []heading {
	var out []heading
	for _, line := range prose(doc) {
		level := len(line) - len(strings.TrimLeft(line, "#"))
		if level > 0 && level <= 6 && strings.HasPrefix(line[level:], " ") {
			out = append(out, heading{level, strings.TrimSpace(line[level:])})
		}
	}
	return out
}

// anchors are the fragments GitHub gives a file's headings (a repeated one gets -1, -2, ...).
func anchors(doc string) []string {
	seen := map[string]int{}
	var out []string
	for _, h := range headings(doc) {
		s := slug(h.text)
		if n := seen[s]; n > 0 {
			out = append(out, s+"-"+strconv.Itoa(n))
		} else {
			out = append(out, s)
		}
		seen[s]++
	}
	return out
}

// slug is GitHub's heading anchor: lower case, letters, digits, - and _ kept, spaces to -.
func slug(text string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// links are the targets of a Markdown file's inline links outside code.
func links(doc string) []string {
	var out []string
	for _, line := range prose(doc) {
		for _, m := range linkTarget.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, "code"), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// prose is a Markdown file's lines outside fenced code blocks.
func prose(doc string) []string {
	var out []string
	fenced := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			out = append(out, line)
		}
	}
	return out
}

func runConfig(t *testing.T) (*slstacks.Config, error) {
	return loadConfigErr("dev", nil, nil)
}

// loadConfigErr runs only Load for a stack file with overrides, under mocks.
func loadConfigErr(stack string, config map[string]string, unset []string) (*slstacks.Config, error) {
	var cfg *slstacks.Config
	_, err := stacktest.Run(stacktest.Options{Stack: stack, Config: config, Unset: unset, Program: func(ctx *pulumi.Context) error {
		c, err := slstacks.Load(ctx, nil)
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

// goTestCommand is a `go test` command in a Reference cell.
var goTestCommand = regexp.MustCompile("`go test ([^`]+)`")

// TestReferenceTableNamesRealChecks: each doc in the README's Reference table is
// "hand-written", or names `go test` commands that exist: every package has a test the -run
// pattern selects, and the packages name the doc (their tests read or write it).
func TestReferenceTableNamesRealChecks(t *testing.T) {
	_, after, ok := strings.Cut(readDoc(t, "README.md"), "\n## Reference\n")
	if !ok {
		t.Fatal("README.md has no ## Reference")
	}
	table, _, _ := strings.Cut(after, "\n## ")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, " | ")
		if len(cells) != 3 || !strings.HasPrefix(line, "| ") || len(links(cells[1])) != 1 {
			continue
		}
		cells[2] = strings.TrimSpace(strings.TrimSuffix(cells[2], "|"))
		rows++
		doc, check := links(cells[1])[0], cells[2]
		cmds := goTestCommand.FindAllStringSubmatch(check, -1)
		if len(cmds) == 0 && !strings.HasPrefix(check, "hand-written") {
			t.Errorf("Reference: %s is checked by %q: name a `go test` command, or say hand-written", doc, check)
		}
		for _, m := range cmds {
			if err := checkTestCommand(doc, strings.Fields(m[1])); err != nil {
				t.Errorf("Reference: %s: `go test %s`: %v", doc, m[1], err)
			}
		}
	}
	if rows < 10 {
		t.Fatalf("found %d rows in the README's Reference table: is the pattern still matching it?", rows)
	}
}

// checkTestCommand checks go test's arguments (packages, -run pattern) against the sources.
func checkTestCommand(doc string, args []string) error {
	var dirs []string
	run := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-run" && i+1 < len(args):
			run = strings.Trim(args[i+1], "'\"")
			i++
		case strings.HasSuffix(a, "/..."):
			err := filepath.WalkDir(filepath.Join("..", strings.TrimSuffix(a, "/...")), func(p string, d os.DirEntry, err error) error {
				if err == nil && d.IsDir() && d.Name() != "testdata" {
					dirs = append(dirs, p)
				}
				return err
			})
			if err != nil {
				return err
			}
		default:
			dirs = append(dirs, filepath.Join("..", a))
		}
	}
	pattern, err := regexp.Compile(run)
	if err != nil {
		return err
	}
	mentioned := false
	for _, dir := range dirs {
		tests, text, err := packageTests(dir)
		if err != nil {
			return err
		}
		mentioned = mentioned || strings.Contains(text, doc)
		if run != "" && !slices.ContainsFunc(tests, pattern.MatchString) && !strings.HasSuffix(args[0], "/...") {
			return fmt.Errorf("no test in %s matches -run %s (tests: %v)", dir, run, tests)
		}
	}
	if !mentioned {
		return fmt.Errorf("no source of %v names %s", dirs, doc)
	}
	return nil
}

// packageTests are the Test functions of a package folder, and the text of its Go files.
func packageTests(dir string) (tests []string, text string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, "", fmt.Errorf("no Go files in %s", dir)
	}
	var b strings.Builder
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, "", err
		}
		b.Write(src)
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), f, src, 0)
		if err != nil {
			return nil, "", err
		}
		for _, d := range file.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
				tests = append(tests, fn.Name.Name)
			}
		}
	}
	return tests, b.String(), nil
}

// TestReadmeLayoutSaysWhereThingsGo: issue 10's "done when": the README's layout section says
// where a newcomer puts a new resource, config key, alarm or rule.
func TestReadmeLayoutSaysWhereThingsGo(t *testing.T) {
	readme := readDoc(t, "README.md")
	_, layout, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	layout, _, _ = strings.Cut(layout, "\n## ")
	for _, piece := range []string{"**resource**", "**config key**", "**alarm**", "**rule**"} {
		if !strings.Contains(layout, piece) {
			t.Errorf("README's layout section does not say where a new %s goes", strings.Trim(piece, "*"))
		}
	}
}

// trackerRef is a reference to the project's internal issue tracker ("issue 13", "issues 12
// and 14", "#14"), which a reader of the repository cannot open.
var trackerRef = regexp.MustCompile(`(?i)\bissues? #?\d+|(^|[\s(])#\d+([^\w-]|$)`)

// TestDocsNameNoTrackerIssues: the README and docs/ say what they mean instead of pointing at
// internal tracker issues a newcomer cannot resolve (code comments may keep them).
func TestDocsNameNoTrackerIssues(t *testing.T) {
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs/*.md: %v %v", docs, err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	for _, f := range files {
		for i, line := range strings.Split(readDoc(t, f), "\n") {
			if m := trackerRef.FindString(line); m != "" {
				t.Errorf("%s:%d refers to tracker issue %q: say what it means instead", f, i+1, strings.TrimSpace(m))
			}
		}
	}
}
