// Package testenv is everything streamlake's tests need around them, in one place:
//
//   - the skip-or-fail rule (Missing: skip locally, fail when CI=true) and the module root;
//   - processes started by tests and stopped by pid at cleanup (StartServer, Process, LockedBuffer,
//     FreePort), on internal/standin, which shipped commands use;
//   - the local AWS stand-ins on 127.0.0.1 (Kinesalite, Moto), clients for them and Kinesis
//     helpers (CreateStream, WaitActive, ReadAll);
//   - a fault-injecting proxy in front of Kinesis (FaultProxy);
//   - the ingest API's contract on an httptest server (NewAPI, wrapping internal/apisim);
//   - the API Gateway template renderer (RenderVTL: velocityjs under node);
//   - files with generated blocks kept in step with the code that renders them (Generated).
//
// The Firehose transformation contract checker is its own package, firehosecheck, so that the
// transform's tests can use it without linking the stand-ins and the AWS SDK.
//
// It imports testing: shipped code never imports it (a shipped command uses internal/apisim
// and internal/standin).
package testenv
