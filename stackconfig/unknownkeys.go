package stackconfig

import (
	"fmt"
	"slices"
	"strings"

	"github.com/texttheater/golang-levenshtein/levenshtein"
)

// AWSProviderKeys are the AWS provider's configuration keys (pulumi-aws v6.83.0,
// sdk/go/aws/config): valid aws:* keys whether or not the program reads them. A test checks
// the list against that package's source.
var AWSProviderKeys = []string{
	"aws:accessKey", "aws:allowedAccountIds", "aws:assumeRole", "aws:assumeRoleWithWebIdentity",
	"aws:customCaBundle", "aws:defaultTags", "aws:ec2MetadataServiceEndpoint",
	"aws:ec2MetadataServiceEndpointMode", "aws:endpoints", "aws:forbiddenAccountIds", "aws:httpProxy",
	"aws:httpsProxy", "aws:ignoreTags", "aws:insecure", "aws:maxRetries", "aws:noProxy", "aws:profile",
	"aws:region", "aws:retryMode", "aws:s3UsEast1RegionalEndpoint", "aws:s3UsePathStyle", "aws:secretKey",
	"aws:sharedConfigFiles", "aws:sharedCredentialsFiles", "aws:skipCredentialsValidation",
	"aws:skipMetadataApiCheck", "aws:skipRegionValidation", "aws:skipRequestingAccountId", "aws:stsRegion",
	"aws:token", "aws:tokenBucketRateLimiterCapacity", "aws:useDualstackEndpoint", "aws:useFipsEndpoint",
}

// maxSuggestionDistance is the largest edit distance of a did-you-mean suggestion (Pulumi's
// own suggestions for Pulumi.yaml attributes use 2).
const maxSuggestionDistance = 2

// UnknownKey is a key of the stack's configuration that nothing reads.
type UnknownKey struct {
	Key        string // fully qualified, as in the stack file
	Suggestion string // the nearest known key, or ""
}

// checkUnknownKeys fails when the stack sets a key of the project namespace that no key
// declares, or an aws:* key that looks like a typo of a key the program or the provider
// reads. Such a key would otherwise be silently ignored and its default used instead.
func checkUnknownKeys(src Source, keys []Key) error {
	set, err := src.Keys()
	if err != nil {
		return err
	}
	unknown := FindUnknownKeys(src.Project, keys, set)
	if len(unknown) == 0 {
		return nil
	}
	lines := make([]string, len(unknown))
	for i, u := range unknown {
		if u.Suggestion != "" {
			lines[i] = fmt.Sprintf("%s: did you mean %s?", u.Key, u.Suggestion)
		} else {
			lines[i] = u.Key + ": no key is like it (docs/config.md lists them all)"
		}
	}
	return fmt.Errorf("unknown configuration keys, which nothing reads (keys are case-sensitive); rename or remove them in Pulumi.%s.yaml:\n  %s",
		src.Stack, strings.Join(lines, "\n  "))
}

// FindUnknownKeys returns the keys of set that are unknown: in the project namespace, every key
// the table does not declare; in the aws namespace, keys within a small edit distance of a
// known aws key (a typo), leaving every other provider setting alone. Other namespaces are
// not ours to judge.
func FindUnknownKeys(project string, keys []Key, set []string) []UnknownKey {
	known := map[string]bool{}
	var ours, aws []string // candidates for suggestions
	for _, k := range keys {
		q := k.Qualified(project)
		known[q] = true
		ours = append(ours, q)
	}
	for _, k := range AWSProviderKeys {
		known[k] = true
		aws = append(aws, k)
	}
	var out []UnknownKey
	for _, key := range set {
		if known[key] {
			continue
		}
		switch ns, _, _ := strings.Cut(key, ":"); ns {
		case project:
			out = append(out, UnknownKey{Key: key, Suggestion: nearest(key, ours)})
		case "aws":
			if s := nearest(key, aws); s != "" {
				out = append(out, UnknownKey{Key: key, Suggestion: s})
			}
		}
	}
	return out
}

// nearest returns the candidate closest to key by edit distance of their names (the part after
// the namespace), compared in lower case without '_' and '-', or "" when none is close.
func nearest(key string, candidates []string) string {
	best, bestDist := "", maxSuggestionDistance+1
	for _, c := range slices.Sorted(slices.Values(candidates)) {
		d := levenshtein.DistanceForStrings(normalizeKey(key), normalizeKey(c), levenshtein.DefaultOptionsWithSub)
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func normalizeKey(key string) []rune {
	_, name, ok := strings.Cut(key, ":")
	if !ok {
		name = key
	}
	name = strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
	return []rune(name)
}
