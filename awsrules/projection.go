package awsrules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Athena partition projection: table properties from which Athena computes a table's
// partitions and their S3 locations at query time instead of reading them from the Glue
// catalog (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html). With
// projection enabled Athena ignores the partitions registered in the catalog; other engines
// (Spark on EMR or Glue, Redshift Spectrum) still read only those.
const (
	ProjectionEnabled = "projection.enabled"
	LocationTemplate  = "storage.location.template"
)

// IntegerProjection is one partition column projected with the integer type: Athena produces
// every value of [Min, Max] zero-padded to Digits digits, so that "07" matches a folder
// month=07 (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html,
// "Integer type": range, interval and digits).
type IntegerProjection struct {
	Column           string
	Min, Max, Digits int
}

// ProjectionTemplate turns a Firehose prefix into the path of a storage.location.template:
// the expression of every k=<expression> folder becomes ${k}, e.g.
// data/year=!{partitionKeyFromLambda:year}/month=!{timestamp:MM}/ gives
// data/year=${year}/month=${month}/. AWS requires a placeholder for every partition column
// and a template ending in a slash
// (https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html,
// "Specifying custom S3 storage locations"); a folder that mixes an expression with text, or
// an expression outside a k= folder, has no column to project and is refused.
func ProjectionTemplate(prefix string) (string, error) {
	if !strings.HasSuffix(prefix, "/") {
		return "", fmt.Errorf("prefix %q must end with / to be a location template (one folder per partition)", prefix)
	}
	segs := strings.Split(strings.TrimSuffix(prefix, "/"), "/")
	for i, seg := range segs {
		exprs := Expressions(seg)
		if len(exprs) == 0 {
			continue
		}
		k, v, ok := strings.Cut(seg, "=")
		if !ok || k == "" || len(exprs) != 1 || v != "!{"+exprs[0].Namespace+":"+exprs[0].Value+"}" {
			return "", fmt.Errorf("prefix %q: folder %q must be k=<one expression> to be projected as partition column k", prefix, seg)
		}
		segs[i] = k + "=${" + k + "}"
	}
	return strings.Join(segs, "/") + "/", nil
}

// ProjectionParameters returns the Glue table parameters that project cols, whose data lies at
// location (s3://bucket/path/ with a ${column} placeholder per column).
func ProjectionParameters(location string, cols []IntegerProjection) map[string]string {
	p := map[string]string{ProjectionEnabled: "true", LocationTemplate: location}
	for _, c := range cols {
		p["projection."+c.Column+".type"] = "integer"
		p["projection."+c.Column+".range"] = fmt.Sprintf("%d,%d", c.Min, c.Max)
		p["projection."+c.Column+".digits"] = strconv.Itoa(c.Digits)
	}
	return p
}

// projectionTypes are the types Athena projects (supported-types page).
var projectionTypes = []string{"enum", "integer", "date", "injected"}

// CheckProjection checks a table's projection parameters the way Athena reads them at query
// time (Glue stores any parameters; a mistake shows only when a query fails or finds no rows):
// projection.enabled is true, every partition column has a supported type, integer columns a
// range "min,max" with min <= max and positive digits, and the location template is an s3://
// URL ending in a slash with a ${column} placeholder for every partition column. A table
// without projection.enabled passes.
func CheckProjection(params map[string]string, partitionKeys []string) error {
	enabled, ok := params[ProjectionEnabled]
	if !ok {
		return nil
	}
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !strings.EqualFold(strings.TrimSpace(enabled), "true") {
		add("%s is %q: Athena projects only with \"true\"", ProjectionEnabled, enabled)
	}
	tmpl := params[LocationTemplate]
	if !strings.HasPrefix(tmpl, "s3://") || !strings.HasSuffix(tmpl, "/") {
		add("%s %q must be an s3:// location ending in /", LocationTemplate, tmpl)
	}
	for _, k := range partitionKeys {
		if !strings.Contains(tmpl, "${"+k+"}") {
			add("%s %q has no placeholder ${%s} for partition column %s", LocationTemplate, tmpl, k, k)
		}
		typ := strings.ToLower(strings.TrimSpace(params["projection."+k+".type"]))
		switch {
		case !slices.Contains(projectionTypes, typ):
			add("projection.%s.type is %q, want one of %s", k, params["projection."+k+".type"], strings.Join(projectionTypes, ", "))
		case typ == "integer":
			if err := checkIntegerProjection(k, params); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func checkIntegerProjection(col string, params map[string]string) error {
	key := "projection." + col + "."
	lo, hi, ok := strings.Cut(params[key+"range"], ",")
	minV, err1 := strconv.ParseInt(strings.TrimSpace(lo), 10, 64)
	maxV, err2 := strconv.ParseInt(strings.TrimSpace(hi), 10, 64)
	if !ok || err1 != nil || err2 != nil || minV > maxV {
		return fmt.Errorf("%srange is %q, want \"min,max\" (integers, min <= max)", key, params[key+"range"])
	}
	if d, set := params[key+"digits"]; set {
		if n, err := strconv.Atoi(strings.TrimSpace(d)); err != nil || n < 1 {
			return fmt.Errorf("%sdigits is %q, want a positive integer", key, d)
		}
	}
	return nil
}
