package producer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/streamlake/streamlake/apispec"
)

// Auth adds a producer's credentials to a request for the ingest API, as the stack's apiAuth
// mode expects them. Every request is authenticated anew: a retry is signed again.
type Auth interface {
	// Authenticate sets the request's credentials; body is the exact body it sends.
	Authenticate(ctx context.Context, req *http.Request, body []byte) error
	// Refused says what a 401 or 403 answer means in this mode.
	Refused() string
}

// APIKeyAuth sends an API key in x-api-key (apiAuth apiKey).
type APIKeyAuth struct{ Key string }

// Authenticate implements Auth.
func (a APIKeyAuth) Authenticate(_ context.Context, req *http.Request, _ []byte) error {
	req.Header.Set(APIKeyHeader, a.Key)
	return nil
}

// Refused implements Auth.
func (a APIKeyAuth) Refused() string { return "missing or invalid API key" }

// BearerAuth sends a Cognito user pool token (ID or access token) in Authorization (apiAuth
// jwt), as API Gateway's user pool authorizers read it: the token itself, no scheme. The
// token is a credential: it is never printed.
type BearerAuth struct{ Token string }

// Authenticate implements Auth.
func (a BearerAuth) Authenticate(_ context.Context, req *http.Request, _ []byte) error {
	if strings.TrimSpace(a.Token) == "" {
		return errors.New("no token: apiAuth jwt needs a user pool token")
	}
	req.Header.Set(apispec.AuthorizationHeader, strings.TrimPrefix(a.Token, "Bearer "))
	return nil
}

// Refused implements Auth.
func (a BearerAuth) Refused() string {
	return "token refused (missing, expired, of another user pool, or without the route's scope)"
}

// SigV4Auth signs requests with AWS Signature Version 4 for API Gateway's invoke endpoint
// (service execute-api; apiAuth iam), the payload hash included, with credentials from
// Credentials (the SDK's default chain in the CLI).
type SigV4Auth struct {
	Credentials aws.CredentialsProvider
	// Region is the API's region (the one in its execute-api host name).
	Region string
	// Signer defaults to v4.NewSigner(); Now to time.Now.
	Signer *v4.Signer
	Now    func() time.Time
}

// Authenticate implements Auth.
func (a SigV4Auth) Authenticate(ctx context.Context, req *http.Request, body []byte) error {
	if a.Credentials == nil || a.Region == "" {
		return errors.New("SigV4 signing needs credentials and the API's region")
	}
	creds, err := a.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("AWS credentials for signing: %w", err)
	}
	signer, now := a.Signer, a.Now
	if signer == nil {
		signer = v4.NewSigner()
	}
	if now == nil {
		now = time.Now
	}
	if err := signer.SignHTTP(ctx, creds, req, PayloadHash(body), apispec.ExecuteAPIService, a.Region, now()); err != nil {
		return fmt.Errorf("sign the request: %w", err)
	}
	return nil
}

// Refused implements Auth.
func (a SigV4Auth) Refused() string {
	return "signature refused, or the caller's IAM policy lacks execute-api:Invoke on the route (see stack output producerPolicy)"
}

// PayloadHash is SigV4's hash of a body: hex SHA-256.
func PayloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// RegionOfURL returns the region of an API Gateway invoke URL
// (https://<id>.execute-api.<region>.amazonaws.com/...), or "" for other hosts.
func RegionOfURL(u string) string {
	host := u
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	}
	host, _, _ = strings.Cut(host, "/")
	host, _, _ = strings.Cut(host, ":")
	parts := strings.Split(host, ".")
	if len(parts) >= 4 && parts[1] == apispec.ExecuteAPIService {
		return parts[2]
	}
	return ""
}
