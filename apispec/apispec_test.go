package apispec

import "testing"

func TestParseAuthAndBodyLength(t *testing.T) {
	for _, a := range AuthModes {
		if got, err := ParseAuth(string(a)); got != a || err != nil {
			t.Errorf("ParseAuth(%s) = %s, %v", a, got, err)
		}
	}
	if _, err := ParseAuth("APIKEY"); err == nil {
		t.Error("modes are case-sensitive, as Pulumi config values are")
	}
	for body, want := range map[string]int{"": 0, "abc": 3, "zoë": 3, "日本": 2, "🙂": 2, "\xff": 1} {
		if got := BodyLength([]byte(body)); got != want {
			t.Errorf("BodyLength(%q) = %d, want %d (Java String.length)", body, got, want)
		}
	}
	if !AuthAPIKey.UsesAPIKey() || AuthIAM.UsesAPIKey() || AuthJWT.UsesAPIKey() {
		t.Error("only apiKey sends a key")
	}
}
