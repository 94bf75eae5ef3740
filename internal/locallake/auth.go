package locallake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/uuid"

	"github.com/streamlake/streamlake/apispec"
	"github.com/streamlake/streamlake/awsrules"
	"github.com/streamlake/streamlake/internal/apisim"
	"github.com/streamlake/streamlake/producer"
)

// localAuth makes credentials for the stack's apiAuth mode, valid for the local API only: an
// API key, an access key the API knows (iam), or a user pool token of the stack's first pool
// with its scopes (jwt; the local API, like apisim, does not check token signatures).
func localAuth(o *apisim.Options, mode apispec.Auth, region string, pools, scopes []string) (producer.Auth, error) {
	o.Auth = mode
	switch mode {
	case apispec.AuthIAM:
		creds := aws.Credentials{AccessKeyID: "AKIDLOCALLAKE", SecretAccessKey: uuid.NewString(), Source: "streamlake-local"}
		o.Credentials, o.Region = map[string]aws.Credentials{creds.AccessKeyID: creds}, region
		return producer.SigV4Auth{Credentials: credentials.StaticCredentialsProvider{Value: creds}, Region: region}, nil
	case apispec.AuthJWT:
		if len(pools) == 0 {
			return nil, fmt.Errorf("apiAuth jwt needs apiJwtUserPoolArns")
		}
		o.UserPoolArns, o.Scopes = pools, scopes
		token, err := localToken(pools[0], scopes)
		if err != nil {
			return nil, err
		}
		return producer.BearerAuth{Token: token}, nil
	}
	o.APIKey = uuid.NewString()
	return producer.APIKeyAuth{Key: o.APIKey}, nil
}

// localToken is a user pool token for the local API: an ID token, or an access token with the
// scopes when the stack requires scopes; valid for a day; signed by nobody.
func localToken(pool string, scopes []string) (string, error) {
	iss, err := awsrules.UserPoolIssuer(pool)
	if err != nil {
		return "", err
	}
	claims := map[string]any{"iss": iss, "exp": time.Now().Add(24 * time.Hour).Unix(), "token_use": "id", "sub": "streamlake-local"}
	if len(scopes) > 0 {
		claims["token_use"], claims["scope"] = "access", strings.Join(scopes, " ")
	}
	var parts []string
	for _, v := range []any{map[string]string{"alg": "RS256", "kid": "streamlake-local"}, claims} {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		parts = append(parts, base64.RawURLEncoding.EncodeToString(b))
	}
	return strings.Join(append(parts, "unsigned"), "."), nil
}
