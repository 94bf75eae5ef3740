package transform

import (
	"strings"
)

// event builds a default-schema event from members, with the required fields first unless
// they are overridden with the same key.
func event(members ...string) []byte {
	base := map[string]string{
		"event_id":    `"e-1"`,
		"event_type":  `"progress"`,
		"user_id":     `"u-42"`,
		"occurred_at": `"2024-05-01T11:59:59.123Z"`,
	}
	var parts []string
	for _, k := range []string{"event_id", "event_type", "user_id", "occurred_at"} {
		override := false
		for _, m := range members {
			if strings.HasPrefix(m, `"`+k+`":`) || m == "-"+k {
				override = true
			}
		}
		if !override {
			parts = append(parts, `"`+k+`":`+base[k])
		}
	}
	for _, m := range members {
		if !strings.HasPrefix(m, "-") {
			parts = append(parts, m)
		}
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}
